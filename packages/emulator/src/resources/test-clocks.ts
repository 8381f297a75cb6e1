import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, stateError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { paginate } from '../core/list.js';
import { int, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { ctxAt, systemCtx } from './billing/context.js';
import { boundary, type Interval } from './billing/periods.js';
import { runDue } from './billing/scheduler.js';
import { intervalOf } from './billing/subscription-model.js';

export type TestClock = Wire<Stripe.TestHelpers.TestClock>;

declare module '../core/store.js' {
  interface CollectionTypes {
    'test_helpers.test_clock': TestClock;
  }
}

const DELETES_AFTER = 30 * 86_400;

function create(ctx: Ctx): TestClock {
  const frozen = int(ctx.params, 'frozen_time');
  if (frozen === undefined) throw missingParam('frozen_time');
  const clock: TestClock = {
    id: newId('clock'),
    object: 'test_helpers.test_clock',
    created: ctx.now(),
    deletes_after: ctx.now() + DELETES_AFTER,
    frozen_time: frozen,
    livemode: false,
    name: str(ctx.params, 'name') ?? null,
    status: 'ready',
    status_details: {},
  };
  ctx.store.c('test_helpers.test_clock').insert(clock);
  ctx.emit('test_helpers.test_clock.created', clock);
  return clock;
}

/** How far a clock may move in one advance: two billing intervals of its shortest subscription. */
function maxTarget(app: App, clock: TestClock): number | undefined {
  let max: number | undefined;
  for (const sub of app.store.c('subscription').values()) {
    if (sub.test_clock !== clock.id || sub.status === 'canceled' || sub.status === 'incomplete_expired')
      continue;
    const { interval, count } = intervalOf(sub);
    const limit = boundary(clock.frozen_time, interval as Interval, count, 2);
    if (max === undefined || limit < max) max = limit;
  }
  return max;
}

/**
 * Moves a clock to `target`: `advancing` at once (`test_helpers.test_clock.advancing`), then every
 * scheduled piece of billing work of its customers runs in time order at its own simulated time, and
 * the clock turns `ready` (`test_helpers.test_clock.ready`). The work runs right after the response.
 */
export function advanceTestClock(app: App, clock: TestClock, target: number, ctx: Ctx): void {
  clock.status = 'advancing';
  clock.status_details = { advancing: { target_frozen_time: target } };
  ctxAt(ctx, clock.frozen_time).emit('test_helpers.test_clock.advancing', clock);
  setImmediate(() => {
    try {
      runDue(app, clock.id, target, (t) => {
        clock.frozen_time = Math.max(clock.frozen_time, t);
      });
      clock.frozen_time = target;
      clock.status = 'ready';
      clock.status_details = {};
      systemCtx(app, target).emit('test_helpers.test_clock.ready', clock);
    } catch (err) {
      clock.status = 'internal_failure';
      clock.status_details = {};
      systemCtx(app, clock.frozen_time).emit('test_helpers.test_clock.internal_failure', clock);
      console.error('[emulator] test clock advance failed', err);
    }
  });
}

function advance(ctx: Ctx): TestClock {
  const clock = ctx.store.c('test_helpers.test_clock').require(ctx.args.id!);
  const target = int(ctx.params, 'frozen_time');
  if (target === undefined) throw missingParam('frozen_time');
  if (clock.status === 'advancing') {
    throw stateError(
      'The test clock is already advancing; wait until it is ready.',
      'test_clock_advancing' as string,
    );
  }
  if (target <= clock.frozen_time) {
    throw invalidRequest(
      'The frozen_time must be after the current frozen_time of the test clock.',
      'frozen_time',
    );
  }
  const max = maxTarget(ctx.app, clock);
  if (max !== undefined && target > max) {
    throw invalidRequest(
      'Cannot advance the test clock more than two intervals of the shortest subscription billing interval at a time.',
      'frozen_time',
    );
  }
  advanceTestClock(ctx.app, clock, target, ctx);
  return clock;
}

function remove(ctx: Ctx): Stripe.TestHelpers.DeletedTestClock {
  const id = ctx.args.id!;
  const clock = ctx.store.c('test_helpers.test_clock').require(id);
  // Deleting a clock deletes its customers and everything billed on it.
  for (const sub of [...ctx.store.c('subscription').values()]) {
    if (sub.test_clock === id) ctx.store.c('subscription').delete(sub.id);
  }
  for (const s of [...ctx.store.c('subscription_schedule').values()]) {
    if (s.test_clock === id) ctx.store.c('subscription_schedule').delete(s.id);
  }
  for (const inv of [...ctx.store.c('invoice').values()]) {
    if (inv.test_clock === id) ctx.store.c('invoice').delete(inv.id);
  }
  for (const ii of [...ctx.store.c('invoiceitem').values()]) {
    if (ii.test_clock === id) ctx.store.c('invoiceitem').delete(ii.id);
  }
  for (const c of [...ctx.store.c('customer').values()]) {
    if (c.test_clock === id) {
      ctx.store.c('customer').delete(c.id);
      ctx.store.c('_deleted_customer').insert({ id: c.id });
    }
  }
  ctx.store.c('test_helpers.test_clock').delete(id);
  ctx.emit('test_helpers.test_clock.deleted', clock);
  return { id, object: 'test_helpers.test_clock', deleted: true };
}

export const testClocks = defineResource('test_clocks', (api) => {
  api.label('test_helpers.test_clock', 'test_clock');
  const base = '/v1/test_helpers/test_clocks';
  api.post(base, create);
  api.get(base, (ctx) => paginate(ctx.store.c('test_helpers.test_clock'), ctx.params, base));
  api.get(`${base}/:id`, (ctx) => ctx.store.c('test_helpers.test_clock').require(ctx.args.id!));
  api.del(`${base}/:id`, remove);
  api.post(`${base}/:id/advance`, advance);
  api.expandable('customer', 'test_clock', (id) => api.store.c('test_helpers.test_clock').get(id));
});
