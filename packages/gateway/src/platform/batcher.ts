// Natural batching ("group commit"): calls that arrive while a batch is being written wait and go
// together in the next one. At low load every call is written at once, alone; at high load batches
// grow and the cost per call (a transaction, a disk flush) is shared. Each caller's promise settles
// only when its own batch has been written.

export interface BatcherOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** Batches being written at once (more than one needs a database with several connections). */
  maxInFlight: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

export class Batcher<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private inFlight = 0;
  /** Items in the batches being written. */
  private writing = 0;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: BatcherOptions,
  ) {}

  /** Items submitted and not yet settled: waiting for a batch, or in one being written. */
  get pending(): number {
    return this.waiting.length + this.writing;
  }

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.writing += batch.length;
      void this.run(batch);
    }
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(results[i] as R);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      this.inFlight--;
      this.writing -= batch.length;
      this.pump();
    }
  }
}
