// Natural batching ("group commit"): calls that arrive while a batch is being written wait and go
// together in the next one. At low load every call is written at once, alone; at high load batches
// grow and the cost per call (a transaction, a disk flush) is shared. Each caller's promise settles
// only when its own batch has been written.

export interface BatcherOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** Batches being written at once (more than one needs a database with several connections). */
  maxInFlight: number;
  /**
   * While another batch is being written, a new one starts only once this many items wait (a batch
   * alone in flight starts with any). Without it, a batch that finished left a slot that the next
   * delivery or two took at once, as a statement and a commit of their own: at 100 concurrent
   * deliveries half of the batches held a single event. They wait instead for the batches in flight,
   * a few milliseconds at most.
   */
  minBatchWhileBusy?: number;
  /**
   * For work nobody waits on at once (applying events, recording their outcome): while fewer than
   * `fill` items wait, a batch waits up to `ms` for more. At a steady, moderate rate natural batching
   * writes a statement for every item or two; this lets a few milliseconds gather them.
   */
  linger?: { ms: number; fill: number };
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
  /** The linger under way (see BatcherOptions.linger). */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Callers of settled() waiting for nothing to be pending. */
  private drained: (() => void)[] = [];

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: BatcherOptions,
  ) {}

  /** Items submitted and not yet settled: waiting for a batch, or in one being written. */
  get pending(): number {
    return this.waiting.length + this.writing;
  }

  /** Resolves once nothing is pending: every item submitted so far has been written (or failed). */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Starts what batches it can; `lingerDone`: the linger has run out, a small batch may go. */
  private pump(lingerDone = false): void {
    const { linger } = this.options;
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      if (linger && this.waiting.length < linger.fill && !lingerDone) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.pump(true);
        }, linger.ms);
        return;
      }
      const { minBatchWhileBusy } = this.options;
      if (minBatchWhileBusy && this.inFlight > 0 && this.waiting.length < minBatchWhileBusy) return;
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
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
      if (this.drained.length > 0 && this.pending === 0) {
        const waiting = this.drained;
        this.drained = [];
        for (const resolve of waiting) resolve();
      }
    }
  }
}
