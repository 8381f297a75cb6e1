import type { Clock } from './clock.js';

/** A stored response for an idempotency key. */
export interface IdempotentEntry {
  method: string;
  path: string;
  paramsKey: string;
  status: number;
  body: string;
  requestId: string;
  createdMs: number;
  /** True while the first request is still running (a concurrent retry then gets a 409). */
  inFlight: boolean;
}

/** How long Stripe keeps idempotency keys. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Idempotency keys, scoped per API key and kept 24 hours of emulator time. The HTTP layer uses it:
 * resources never see it.
 */
export class IdempotencyCache {
  #entries = new Map<string, IdempotentEntry>();
  #clock: Clock;
  #sinceSweep = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get(apiKey: string, key: string): IdempotentEntry | undefined {
    const id = `${apiKey}\u0000${key}`;
    const e = this.#entries.get(id);
    if (e === undefined) return undefined;
    if (this.#clock.nowMs() - e.createdMs >= IDEMPOTENCY_TTL_MS) {
      this.#entries.delete(id);
      return undefined;
    }
    return e;
  }

  set(apiKey: string, key: string, entry: IdempotentEntry): void {
    this.#entries.set(`${apiKey}\u0000${key}`, entry);
    if (++this.#sinceSweep >= 10_000) this.sweep();
  }

  delete(apiKey: string, key: string): void {
    this.#entries.delete(`${apiKey}\u0000${key}`);
  }

  sweep(): void {
    this.#sinceSweep = 0;
    const now = this.#clock.nowMs();
    for (const [k, e] of this.#entries) if (now - e.createdMs >= IDEMPOTENCY_TTL_MS) this.#entries.delete(k);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
