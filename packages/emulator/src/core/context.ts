import type { App } from './app.js';
import type { Clock } from './clock.js';
import type { EventObject, EventType, StoredEvent } from './events.js';
import type { Params } from './form.js';
import type { Store } from './store.js';

/** What a route handler receives. Cheap to build: one plain object per request. */
export interface Ctx {
  readonly app: App;
  readonly store: Store;
  readonly clock: Clock;
  readonly method: string;
  /** The request path, e.g. `/v1/customers/cus_123`. */
  readonly path: string;
  /** Decoded form body (POST) or query string (GET, DELETE). */
  readonly params: Params;
  /** Path parameters, e.g. `{ id: 'cus_123' }` for `/v1/customers/:id`. */
  readonly args: Record<string, string>;
  readonly requestId: string;
  readonly apiKey: string;
  readonly idempotencyKey: string | null;
  /** The request's `Stripe-Version` header, if it sent one (else the pinned version applies). */
  readonly stripeVersion?: string | undefined;
  /** Emulator time in unix seconds. */
  now(): number;
  /** Record an event for this request (`request.id` and `request.idempotency_key` filled in). */
  emit<T extends EventType>(
    type: T,
    object: EventObject<T>,
    previousAttributes?: Record<string, unknown> | null,
  ): StoredEvent;
}

/** A route handler returns the response object (a `Wire<Stripe.X>`, a list or a deleted stub). */
export type Handler = (ctx: Ctx) => unknown;

export interface RouteOptions {
  /** Also accept publishable keys (`pk_test_…`), as Stripe.js-facing endpoints do. */
  publishable?: boolean;
}
