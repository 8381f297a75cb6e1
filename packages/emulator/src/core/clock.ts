/**
 * The emulator's clock. Real time by default; tests and the control API can freeze it at an instant
 * (`set`) or move it (`advance`). Every `created`, expiry and idempotency window reads this clock,
 * never `Date.now()` directly.
 */
export class Clock {
  #frozenMs: number | null = null;
  #offsetMs = 0;

  /** Milliseconds since the epoch. */
  nowMs(): number {
    return this.#frozenMs ?? Date.now() + this.#offsetMs;
  }

  /** Unix seconds, as Stripe's `created` fields use. */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Freeze the clock at `unixSeconds`. */
  set(unixSeconds: number): void {
    this.#frozenMs = unixSeconds * 1000;
  }

  /** Move the clock forward (frozen or not). */
  advance(seconds: number): void {
    if (this.#frozenMs !== null) this.#frozenMs += seconds * 1000;
    else this.#offsetMs += seconds * 1000;
  }

  /** Back to real time. */
  useRealTime(): void {
    this.#frozenMs = null;
    this.#offsetMs = 0;
  }

  get frozen(): boolean {
    return this.#frozenMs !== null;
  }

  toJSON(): { frozenMs: number | null; offsetMs: number } {
    return { frozenMs: this.#frozenMs, offsetMs: this.#offsetMs };
  }

  restore(state: { frozenMs: number | null; offsetMs: number }): void {
    this.#frozenMs = state.frozenMs;
    this.#offsetMs = state.offsetMs;
  }
}
