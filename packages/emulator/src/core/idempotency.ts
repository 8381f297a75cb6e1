import type { Clock } from './clock.js';
import { flatten } from './json.js';

/** A stored response for an idempotency key. */
export interface IdempotentEntry {
  method: string;
  path: string;
  paramsKey: string;
  status: number;
  /** The response body: its JSON text, or its `ShapeCodec` text when `compact` (successful answers). */
  body: string;
  compact: boolean;
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
  /**
   * API key → idempotency key → entry. Two levels, so that the kept key is the request's own
   * `Idempotency-Key` string (shared with its events' `request.idempotency_key`), not a copy joined
   * to the API key.
   */
  #entries = new Map<string, Map<string, IdempotentEntry>>();
  #size = 0;
  #clock: Clock;
  #sinceSweep = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get(apiKey: string, key: string): IdempotentEntry | undefined {
    const forKey = this.#entries.get(apiKey);
    const e = forKey?.get(key);
    if (e === undefined) return undefined;
    if (this.#clock.nowMs() - e.createdMs >= IDEMPOTENCY_TTL_MS) {
      this.delete(apiKey, key);
      return undefined;
    }
    return e;
  }

  set(apiKey: string, key: string, entry: IdempotentEntry): void {
    let forKey = this.#entries.get(apiKey);
    if (forKey === undefined) {
      forKey = new Map();
      this.#entries.set(apiKey, forKey);
    }
    const before = forKey.size;
    // Kept for 24 h: one flat string (a key built by concatenation would keep its pieces).
    forKey.set(flatten(key), entry);
    this.#size += forKey.size - before;
    if (++this.#sinceSweep >= 10_000) this.sweep();
  }

  delete(apiKey: string, key: string): void {
    const forKey = this.#entries.get(apiKey);
    if (forKey?.delete(key)) {
      this.#size--;
      if (forKey.size === 0) this.#entries.delete(apiKey);
    }
  }

  sweep(): void {
    this.#sinceSweep = 0;
    const now = this.#clock.nowMs();
    for (const [apiKey, forKey] of this.#entries) {
      for (const [k, e] of forKey) {
        if (now - e.createdMs >= IDEMPOTENCY_TTL_MS) {
          forKey.delete(k);
          this.#size--;
        }
      }
      if (forKey.size === 0) this.#entries.delete(apiKey);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#size = 0;
  }

  get size(): number {
    return this.#size;
  }
}
