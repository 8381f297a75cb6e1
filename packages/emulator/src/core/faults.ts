import { StripeError } from './errors.js';
import { SeededRandom } from './random.js';

export interface RouteFault {
  /** HTTP method to match; any when absent. */
  method?: string;
  /** Route pattern (`/v1/customers/:id`) or `*` for every route. */
  path: string;
  /** Share of matching requests that fail, 0–1. */
  errorRate?: number;
  /** Status of injected failures (default 500). 429 → rate limit, 402 → card decline. */
  status?: number;
  /** Added latency in ms for every matching request. */
  latencyMs?: number;
}

export interface WebhookFaults {
  /** Share of deliveries silently dropped (never sent), 0–1. */
  dropRate?: number;
  /** Share of deliveries sent twice, 0–1. */
  duplicateRate?: number;
  /** Spread first attempts over a random window of this many ms, so they arrive out of order. */
  reorderWindowMs?: number;
  /** Fixed delay added to every delivery, in ms. */
  delayMs?: number;
}

export interface FaultConfig {
  /** Seed for the PRNG; the same seed and the same requests give the same faults. */
  seed?: number;
  routes?: RouteFault[];
  webhooks?: WebhookFaults;
}

/** Deterministic fault injection for the API and for webhook delivery. */
export class Faults {
  #config: FaultConfig = {};
  #rng = new SeededRandom(1);

  configure(config: FaultConfig): void {
    this.#config = structuredClone(config);
    this.#rng = new SeededRandom(config.seed ?? 1);
  }

  clear(): void {
    this.configure({});
  }

  get config(): FaultConfig {
    return this.#config;
  }

  #route(method: string, pattern: string): RouteFault | undefined {
    const routes = this.#config.routes;
    if (!routes) return undefined;
    return routes.find(
      (r) => (r.method === undefined || r.method === method) && (r.path === '*' || r.path === pattern),
    );
  }

  /** An error to answer with instead of running the handler, or undefined. */
  apiFault(method: string, pattern: string): StripeError | undefined {
    const r = this.#route(method, pattern);
    if (!r?.errorRate || this.#rng.next() >= r.errorRate) return undefined;
    const status = r.status ?? 500;
    if (status === 429) {
      return new StripeError({
        status,
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Injected fault: rate limited.',
      });
    }
    if (status === 402) {
      return new StripeError({
        status,
        type: 'card_error',
        code: 'card_declined',
        declineCode: 'generic_decline',
        message: 'Injected fault: your card was declined.',
      });
    }
    return new StripeError({
      status,
      type: status >= 500 ? 'api_error' : 'invalid_request_error',
      message: `Injected fault (${status}).`,
    });
  }

  latency(method: string, pattern: string): number {
    return this.#route(method, pattern)?.latencyMs ?? 0;
  }

  /** How a webhook delivery is to be disturbed. */
  webhook(): { drop: boolean; duplicate: boolean; delayMs: number } {
    const w = this.#config.webhooks;
    if (!w) return { drop: false, duplicate: false, delayMs: 0 };
    const drop = (w.dropRate ?? 0) > 0 && this.#rng.next() < w.dropRate!;
    const duplicate = (w.duplicateRate ?? 0) > 0 && this.#rng.next() < w.duplicateRate!;
    const jitter = w.reorderWindowMs ? Math.floor(this.#rng.next() * w.reorderWindowMs) : 0;
    return { drop, duplicate, delayMs: (w.delayMs ?? 0) + jitter };
  }
}
