// A kind's running slots on the RabbitMQ transport. The broker hands a consumer more messages than
// the kind may run at once (its prefetch is a multiple of the concurrency), so that the next ones are
// here already when a slot frees instead of a broker round trip later; they wait here, unclaimed, for
// a slot. Closed on stop: those still waiting are left unsettled, and closing the channel hands them
// back to the queue for any consumer.

export class Slots {
  private running = 0;
  private readonly waiting: ((got: boolean) => void)[] = [];
  private closed = false;

  constructor(private readonly limit: number) {}

  /** Resolves true once a slot is taken (release it after), false if closed first. */
  take(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.running--;
  }

  /** Refuses every waiting and later take(). */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(false);
  }
}
