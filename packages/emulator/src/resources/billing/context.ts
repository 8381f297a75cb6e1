import type { App } from '../../core/app.js';
import type { Ctx } from '../../core/context.js';
import type { EventRequest } from '../../core/events.js';
import { newId } from '../../core/ids.js';

/**
 * Billing work runs either inside an API request or outside one (a clock advance, a retry), and for
 * a customer on a test clock it runs at the clock's simulated time. These helpers give both cases a
 * `Ctx` whose `now()` and event `created` read that time, so the billing code has one shape.
 */

/** The same request, with `now()` and event times pinned to `at` (a test clock's frozen time). */
export function ctxAt(base: Ctx, at: number): Ctx {
  const request: EventRequest = { id: base.requestId, idempotency_key: base.idempotencyKey };
  return {
    ...base,
    now: () => at,
    emit: (type, object, previous) => base.app.events.emit(type, object, previous, request, at),
  };
}

/** A context for work the emulator does by itself (no request): `request.id` is null, as Stripe sends. */
export function systemCtx(app: App, at: number): Ctx {
  const request: EventRequest = { id: null, idempotency_key: null };
  return {
    app,
    store: app.store,
    clock: app.clock,
    method: 'POST',
    path: '',
    params: {},
    args: {},
    requestId: newId('req', 14),
    apiKey: '',
    idempotencyKey: null,
    now: () => at,
    emit: (type, object, previous) => app.events.emit(type, object, previous, request, at),
  };
}

/** The time a customer lives in: its test clock's frozen time, or the emulator clock. */
export function customerNow(ctx: Ctx, customerId: string | null): number {
  const clock = testClockOf(ctx, customerId);
  if (clock === null) return ctx.now();
  return ctx.store.c('test_helpers.test_clock').get(clock)?.frozen_time ?? ctx.now();
}

export function testClockOf(ctx: Ctx, customerId: string | null): string | null {
  if (customerId === null) return null;
  const tc = ctx.store.c('customer').get(customerId)?.test_clock;
  return typeof tc === 'string' ? tc : (tc?.id ?? null);
}

/** `ctx` moved to the customer's time when the customer is on a test clock. */
export function ctxFor(ctx: Ctx, customerId: string | null): Ctx {
  return testClockOf(ctx, customerId) === null ? ctx : ctxAt(ctx, customerNow(ctx, customerId));
}
