import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const at = (m: number, d: number, h = 0) => Date.UTC(2026, m - 1, d, h) / 1000;
const DAY = 86_400;
const HOUR = 3600;

async function advance(clock: string, to: number): Promise<void> {
  const c = await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  assert.equal(c.status, 'advancing');
  for (let i = 0; i < 400; i++) {
    const now = await t.stripe.testHelpers.testClocks.retrieve(clock);
    if (now.status === 'ready') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('test clock did not become ready');
}

async function mark(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

/** Event types since `since`, oldest first, keeping those that start with one of `prefixes`. */
async function eventsSince(since: string | undefined, prefixes: string[]): Promise<Stripe.Event[]> {
  const out: Stripe.Event[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === since) break;
    out.push(e);
  }
  return out.reverse().filter((e) => prefixes.some((p) => e.type.startsWith(p)));
}

const types = (es: Stripe.Event[]) => es.map((e) => e.type);
const LIFECYCLE = ['customer.subscription.', 'subscription_schedule.'];

async function price(amount: number, interval: Stripe.PriceCreateParams.Recurring.Interval = 'month') {
  const product = await t.stripe.products.create({ name: `Plan ${amount}` });
  return t.stripe.prices.create({
    product: product.id,
    unit_amount: amount,
    currency: 'usd',
    recurring: { interval },
  });
}

async function clockCustomer(frozen: number, pm: string | null = 'pm_card_visa') {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: frozen });
  const customer = await t.stripe.customers.create({ email: 'sched@example.com', test_clock: clock.id });
  if (pm) {
    const card = await t.stripe.paymentMethods.attach(pm, { customer: customer.id });
    await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  }
  return { clock, customer };
}

test('downgrade at the end of the period: from_subscription, a second phase on a cheaper price, release', async () => {
  const T0 = at(1, 1);
  const pro = await price(2000);
  const basic = await price(1000);
  const { clock, customer } = await clockCustomer(T0);
  const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: pro.id }] });
  assert.equal(sub.status, 'active');
  const periodEnd = sub.items.data[0]!.current_period_end;
  assert.equal(periodEnd, at(2, 1));

  let m = await mark();
  const sched = await t.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
  assert.equal(sched.object, 'subscription_schedule');
  assert.match(sched.id, /^sub_sched_/);
  assert.equal(sched.status, 'active');
  assert.equal(sched.subscription, sub.id);
  assert.equal(sched.customer, customer.id);
  assert.equal(sched.end_behavior, 'release');
  assert.equal(sched.test_clock, clock.id);
  assert.deepEqual(sched.current_phase, { start_date: T0, end_date: periodEnd });
  assert.equal(sched.phases.length, 1);
  assert.equal(sched.phases[0]!.items[0]!.price, pro.id);
  assert.equal(sched.phases[0]!.items[0]!.quantity, 1);
  assert.equal(sched.phases[0]!.proration_behavior, 'create_prorations');
  const migrated = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['schedule'] });
  assert.equal((migrated.schedule as Stripe.SubscriptionSchedule).id, sched.id);
  assert.equal((migrated.schedule as Stripe.SubscriptionSchedule).status, 'active');
  let es = await eventsSince(m, LIFECYCLE);
  assert.deepEqual(types(es), ['subscription_schedule.created', 'customer.subscription.updated']);
  assert.deepEqual(es[1]!.data.previous_attributes, { schedule: null });

  m = await mark();
  const updated = await t.stripe.subscriptionSchedules.update(sched.id, {
    phases: [
      { items: [{ price: pro.id }], start_date: T0, end_date: periodEnd },
      { items: [{ price: basic.id }] },
    ],
  });
  assert.equal(updated.phases.length, 2);
  assert.equal(updated.phases[1]!.start_date, periodEnd);
  assert.equal(updated.phases[1]!.end_date, at(3, 1), 'a last phase without an end lasts one interval');
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), ['subscription_schedule.updated']);
  // Nothing changed on the subscription yet.
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).items.data[0]!.price.id, pro.id);

  m = await mark();
  await advance(clock.id, periodEnd + 2 * HOUR);
  const down = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.equal(down.items.data[0]!.price.id, basic.id);
  assert.equal(down.status, 'active');
  const renewal = down.latest_invoice as Stripe.Invoice;
  assert.equal(renewal.billing_reason, 'subscription_cycle');
  assert.equal(
    renewal.amount_paid,
    1000,
    'the new period is billed at the cheaper price, without prorations',
  );
  assert.equal(renewal.lines.data.length, 1);
  es = await eventsSince(m, [...LIFECYCLE, 'invoice.created', 'invoice.paid']);
  // The phase change comes before the renewal, which then bills the new price.
  assert.deepEqual(types(es), [
    'customer.subscription.updated',
    'subscription_schedule.updated',
    'invoice.created',
    'customer.subscription.updated',
    'invoice.paid',
  ]);
  const phaseEvent = es[1]!.data.object as Stripe.SubscriptionSchedule;
  assert.deepEqual(phaseEvent.current_phase, { start_date: periodEnd, end_date: at(3, 1) });
  assert.deepEqual((es[1]!.data.previous_attributes as Record<string, unknown>).current_phase, {
    start_date: T0,
    end_date: periodEnd,
  });

  m = await mark();
  await advance(clock.id, at(3, 1) + 2 * HOUR);
  const done = await t.stripe.subscriptionSchedules.retrieve(sched.id);
  assert.equal(done.status, 'completed');
  assert.equal(done.completed_at, at(3, 1));
  assert.equal(done.released_at, null);
  assert.equal(done.current_phase, null);
  const free = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(free.schedule, null, 'the subscription leaves the completed schedule');
  assert.equal(free.status, 'active', 'end_behavior=release: the subscription goes on as it is');
  assert.equal(free.items.data[0]!.price.id, basic.id);
  es = await eventsSince(m, LIFECYCLE);
  assert.deepEqual(types(es).slice(0, 3), [
    'subscription_schedule.expiring',
    'customer.subscription.updated',
    'subscription_schedule.completed',
  ]);
  assert.equal(es[0]!.created, at(3, 1) - 7 * DAY, 'expiring: seven days before the last phase ends');
  assert.equal(es[2]!.created, at(3, 1));

  // Deleting the test clock deletes what was billed on it, its schedules too.
  await t.stripe.testHelpers.testClocks.del(clock.id);
  const gone = await stripeError(t.stripe.subscriptionSchedules.retrieve(sched.id));
  assert.equal(gone.statusCode, 404);
});

test('from phases: a trial phase, then a paid phase, end_behavior cancel completes the schedule', async () => {
  const T0 = at(1, 1);
  const pr = await price(1500);
  const { clock, customer } = await clockCustomer(T0);
  const m = await mark();
  const sched = await t.stripe.subscriptionSchedules.create({
    customer: customer.id,
    start_date: 'now',
    end_behavior: 'cancel',
    metadata: { plan: 'trial-then-pro' },
    phases: [
      { items: [{ price: pr.id, quantity: 2 }], trial: true, end_date: T0 + 7 * DAY },
      { items: [{ price: pr.id, quantity: 2 }], duration: { interval: 'month', interval_count: 1 } },
    ],
    expand: ['subscription'],
  });
  assert.equal(sched.status, 'active');
  assert.deepEqual(sched.metadata, { plan: 'trial-then-pro' });
  assert.equal(sched.phases[0]!.trial_end, T0 + 7 * DAY);
  assert.equal(sched.phases[1]!.start_date, T0 + 7 * DAY);
  assert.equal(sched.phases[1]!.end_date, at(2, 8));
  const sub = sched.subscription as Stripe.Subscription;
  assert.equal(sub.status, 'trialing');
  assert.equal(sub.trial_end, T0 + 7 * DAY);
  assert.equal(sub.schedule, sched.id);
  assert.equal(sub.items.data[0]!.quantity, 2);
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), [
    'customer.subscription.created',
    'subscription_schedule.created',
  ]);

  let mk = await mark();
  await advance(clock.id, T0 + 7 * DAY + 2 * HOUR);
  const paid = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.equal(paid.status, 'active');
  assert.equal((paid.latest_invoice as Stripe.Invoice).amount_paid, 3000);
  let es = await eventsSince(mk, LIFECYCLE);
  assert.equal(es[0]!.type, 'customer.subscription.trial_will_end');
  assert.equal(es[0]!.created, T0 + 4 * DAY);
  assert.ok(types(es).includes('subscription_schedule.updated'));

  mk = await mark();
  await advance(clock.id, at(2, 8) + HOUR);
  const ended = await t.stripe.subscriptionSchedules.retrieve(sched.id);
  assert.equal(ended.status, 'completed');
  assert.equal(ended.completed_at, at(2, 8));
  assert.equal(ended.current_phase, null);
  const canceled = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal(canceled.ended_at, at(2, 8));
  es = await eventsSince(mk, LIFECYCLE);
  assert.deepEqual(types(es), [
    'subscription_schedule.expiring',
    'customer.subscription.deleted',
    'subscription_schedule.completed',
  ]);
  assert.equal(es[0]!.created, at(2, 1));
});

test("iterations (the Stripe CLI fixtures' form), and canceling a schedule that has not started aborts it", async () => {
  const pr = await price(1500);
  const cus = await t.stripe.customers.create({ email: 'cli@example.com' });
  const now = Math.floor(Date.now() / 1000);
  const start = now + 30 * DAY;
  const res = await t.raw(
    'POST',
    '/v1/subscription_schedules',
    `customer=${cus.id}&start_date=${start}&phases[0][iterations]=2&phases[0][items][0][price]=${pr.id}` +
      `&phases[1][iterations]=1&phases[1][items][0][price]=${pr.id}&phases[1][items][0][quantity]=2`,
  );
  assert.equal(res.status, 200);
  const s = (await res.json()) as Stripe.SubscriptionSchedule;
  assert.equal(s.status, 'not_started');
  const d = new Date(start * 1000);
  const months = (n: number) => {
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n + 1, 0)).getUTCDate();
    const day = Math.min(d.getUTCDate(), last);
    return (
      Date.UTC(
        d.getUTCFullYear(),
        d.getUTCMonth() + n,
        day,
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
      ) / 1000
    );
  };
  assert.equal(s.phases[0]!.end_date, months(2));
  assert.equal(s.phases[1]!.start_date, months(2));
  assert.equal(s.phases[1]!.end_date, months(3));
  const both = await t.raw(
    'POST',
    '/v1/subscription_schedules',
    `customer=${cus.id}&phases[0][iterations]=2&phases[0][end_date]=${now + 90 * DAY}&phases[0][items][0][price]=${pr.id}`,
  );
  const b = (await both.json()) as { error: Record<string, string> };
  assert.deepEqual([both.status, b.error.param], [400, 'phases[0][end_date]']);

  const m = await mark();
  const aborted = await t.stripe.subscriptionSchedules.cancel(s.id, { prorate: false, invoice_now: false });
  assert.equal(aborted.status, 'canceled');
  assert.equal(aborted.subscription, null);
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), ['subscription_schedule.aborted']);
});

test('the subscription canceled for failed payments aborts its schedule', async () => {
  const T0 = at(1, 1);
  const pr = await price(1100);
  const { clock, customer } = await clockCustomer(T0);
  const sched = await t.stripe.subscriptionSchedules.create({
    customer: customer.id,
    phases: [{ items: [{ price: pr.id }], duration: { interval: 'year' } }],
  });
  const failing = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
    customer: customer.id,
  });
  await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: failing.id } });
  const m = await mark();
  // The renewal on Feb 1 fails, then its retries (3, 5 and 7 days later); the last one cancels.
  await advance(clock.id, at(2, 20));
  const sub = await t.stripe.subscriptions.retrieve(sched.subscription as string);
  assert.equal(sub.status, 'canceled');
  assert.equal(sub.cancellation_details?.reason, 'payment_failed');
  assert.equal((await t.stripe.subscriptionSchedules.retrieve(sched.id)).status, 'canceled');
  const es = types(await eventsSince(m, LIFECYCLE));
  assert.deepEqual(es.slice(-2), ['customer.subscription.deleted', 'subscription_schedule.aborted']);
});

test('a schedule starting later is not_started until its start_date, then creates its subscription', async () => {
  const T0 = at(1, 1);
  const pr = await price(900);
  const { clock, customer } = await clockCustomer(T0);
  const sched = await t.stripe.subscriptionSchedules.create({
    customer: customer.id,
    start_date: T0 + 10 * DAY,
    phases: [{ items: [{ price: pr.id }], duration: { interval: 'month' } }],
  });
  assert.equal(sched.status, 'not_started');
  assert.equal(sched.subscription, null);
  assert.equal(sched.current_phase, null);
  assert.equal(sched.phases[0]!.start_date, T0 + 10 * DAY);
  // Moving a schedule that has not started: phases[0][start_date] sets its new start.
  const moved = await t.stripe.subscriptionSchedules.update(sched.id, {
    phases: [{ items: [{ price: pr.id }], start_date: T0 + 10 * DAY, duration: { interval: 'month' } }],
  });
  assert.equal(moved.phases[0]!.start_date, T0 + 10 * DAY);
  assert.equal(moved.status, 'not_started');
  const scheduled = await t.stripe.subscriptionSchedules.list({ customer: customer.id, scheduled: true });
  assert.deepEqual(
    scheduled.data.map((s) => s.id),
    [sched.id],
  );
  const m = await mark();
  await advance(clock.id, T0 + 10 * DAY + 2 * HOUR);
  const started = await t.stripe.subscriptionSchedules.retrieve(sched.id, { expand: ['subscription'] });
  assert.equal(started.status, 'active');
  const sub = started.subscription as Stripe.Subscription;
  assert.equal(sub.status, 'active');
  assert.equal(sub.start_date, T0 + 10 * DAY);
  assert.equal(sub.schedule, sched.id);
  const es = await eventsSince(m, LIFECYCLE);
  // A schedule's subscription starts active; its first invoice is a draft charged an hour later.
  assert.deepEqual(types(es), ['customer.subscription.created', 'subscription_schedule.updated']);
  const first = await t.stripe.invoices.retrieve(sub.latest_invoice as string);
  assert.equal(first.billing_reason, 'subscription_create');
  assert.equal(first.status, 'paid');
  assert.equal(first.status_transitions.finalized_at, T0 + 10 * DAY + HOUR);
  assert.deepEqual(Object.keys(es[1]!.data.previous_attributes ?? {}).sort(), [
    'current_phase',
    'status',
    'subscription',
  ]);
  assert.equal(
    (await t.stripe.subscriptionSchedules.list({ customer: customer.id, scheduled: true })).data.length,
    0,
  );
});

test('a schedule for a customer without a payment method: active at once, past_due when its first invoice fails', async () => {
  const T0 = at(1, 1);
  const pr = await price(800);
  const { clock, customer } = await clockCustomer(T0, null);
  const sched = await t.stripe.subscriptionSchedules.create({
    customer: customer.id,
    phases: [{ items: [{ price: pr.id }] }],
    expand: ['subscription.latest_invoice'],
  });
  const sub = sched.subscription as Stripe.Subscription;
  assert.equal(sub.status, 'active', 'not incomplete: no request waits for this payment');
  assert.equal((sub.latest_invoice as Stripe.Invoice).status, 'draft');
  const m = await mark();
  await advance(clock.id, T0 + 2 * HOUR);
  const due = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.equal(due.status, 'past_due');
  const inv = due.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'open');
  assert.equal(inv.attempt_count, 1);
  assert.equal(inv.next_payment_attempt, null, 'nothing to retry without a payment method');
  assert.deepEqual(
    types(await eventsSince(m, ['invoice.finalized', 'invoice.payment_failed', ...LIFECYCLE])),
    ['invoice.finalized', 'invoice.payment_failed', 'customer.subscription.updated'],
  );
  // No retry schedule runs out: three weeks on it is still past_due, not canceled.
  await advance(clock.id, T0 + 21 * DAY);
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
  assert.equal((await t.stripe.subscriptionSchedules.retrieve(sched.id)).status, 'active');
});

test('updating the current phase mid-period prorates per proration_behavior; its start_date cannot move', async () => {
  const T0 = at(1, 1);
  const pr = await price(3000);
  const { clock, customer } = await clockCustomer(T0);
  const sched = await t.stripe.subscriptionSchedules.create({
    customer: customer.id,
    phases: [{ items: [{ price: pr.id, quantity: 1 }], duration: { interval: 'month', interval_count: 3 } }],
  });
  const subId = sched.subscription as string;
  await advance(clock.id, at(1, 16));
  const moved = await stripeError(
    t.stripe.subscriptionSchedules.update(sched.id, {
      phases: [{ items: [{ price: pr.id, quantity: 2 }], start_date: at(1, 2), end_date: at(4, 1) }],
    }),
  );
  assert.equal(moved.statusCode, 400);
  assert.equal(moved.type, 'StripeInvalidRequestError');
  assert.equal(moved.param, 'phases[0][start_date]');

  const m = await mark();
  const up = await t.stripe.subscriptionSchedules.update(sched.id, {
    proration_behavior: 'always_invoice',
    phases: [{ items: [{ price: pr.id, quantity: 2 }], start_date: T0, end_date: at(4, 1) }],
  });
  assert.deepEqual(up.current_phase, { start_date: T0, end_date: at(4, 1) });
  const sub = await t.stripe.subscriptions.retrieve(subId, { expand: ['latest_invoice'] });
  assert.equal(sub.items.data[0]!.quantity, 2);
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.equal(inv.billing_reason, 'subscription_update');
  // The second half of January (16 of 31 days): credit for one seat, charge for two, each rounded.
  assert.equal(inv.amount_due, Math.round((6000 * 16) / 31) - Math.round((3000 * 16) / 31));
  const es = await eventsSince(m, [...LIFECYCLE, 'invoice.created']);
  assert.deepEqual(types(es), [
    'customer.subscription.updated',
    'invoice.created',
    'subscription_schedule.updated',
  ]);
});

test('release and cancel endpoints; a released or canceled schedule cannot change', async () => {
  const pr = await price(700);
  const cus = await t.stripe.customers.create({ email: 'rel@example.com' });
  const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: cus.id });
  await t.stripe.customers.update(cus.id, { invoice_settings: { default_payment_method: card.id } });
  const a = await t.stripe.subscriptionSchedules.create({
    customer: cus.id,
    phases: [{ items: [{ price: pr.id }] }],
  });
  let m = await mark();
  const released = await t.stripe.subscriptionSchedules.release(a.id);
  assert.equal(released.status, 'released');
  assert.equal(released.released_subscription, a.subscription);
  assert.equal(released.subscription, null);
  assert.equal((await t.stripe.subscriptions.retrieve(a.subscription as string)).schedule, null);
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), [
    'customer.subscription.updated',
    'subscription_schedule.released',
  ]);
  const again = await stripeError(t.stripe.subscriptionSchedules.release(a.id));
  assert.equal(again.statusCode, 400);
  assert.equal(
    again.message,
    'You cannot release a subscription schedule that is currently in the `released` status. It must be in `not_started` or `active` to be released.',
  );
  const upd = await stripeError(t.stripe.subscriptionSchedules.update(a.id, { metadata: { x: '1' } }));
  assert.equal(upd.statusCode, 400);
  assert.match(upd.message, /currently in the `released` status/);

  const b = await t.stripe.subscriptionSchedules.create({
    customer: cus.id,
    phases: [{ items: [{ price: pr.id }] }],
  });
  m = await mark();
  const canceled = await t.stripe.subscriptionSchedules.cancel(b.id);
  assert.equal(canceled.status, 'canceled');
  assert.ok(canceled.canceled_at);
  assert.equal(canceled.current_phase, null);
  assert.equal((await t.stripe.subscriptions.retrieve(b.subscription as string)).status, 'canceled');
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), [
    'customer.subscription.deleted',
    'subscription_schedule.canceled',
  ]);
  const c2 = await stripeError(t.stripe.subscriptionSchedules.cancel(b.id));
  assert.equal(c2.statusCode, 400);
  assert.match(c2.message, /currently in the `canceled` status/);

  // Canceling the subscription itself cancels its schedule.
  const c = await t.stripe.subscriptionSchedules.create({
    customer: cus.id,
    phases: [{ items: [{ price: pr.id }] }],
  });
  m = await mark();
  await t.stripe.subscriptions.cancel(c.subscription as string);
  assert.equal((await t.stripe.subscriptionSchedules.retrieve(c.id)).status, 'canceled');
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), [
    'customer.subscription.deleted',
    'subscription_schedule.canceled',
  ]);
});

test('errors: Stripe statuses, codes and params', async () => {
  const pr = await price(500);
  const oneTime = await t.stripe.prices.create({
    product: pr.product as string,
    unit_amount: 100,
    currency: 'usd',
  });
  const cus = await t.stripe.customers.create({ email: 'err@example.com' });
  const check = async (
    p: Promise<unknown>,
    status: number,
    code: string | undefined,
    param: string | undefined,
  ): Promise<string> => {
    const e = await stripeError(p);
    assert.equal(e.statusCode, status, e.message);
    assert.equal(e.code, code, e.message);
    assert.equal(e.param, param, e.message);
    return e.message;
  };
  await check(
    t.stripe.subscriptionSchedules.create({ phases: [{ items: [{ price: pr.id }] }] }),
    400,
    'parameter_missing',
    'customer',
  );
  await check(
    t.stripe.subscriptionSchedules.create({ customer: 'cus_nope', phases: [{ items: [{ price: pr.id }] }] }),
    400,
    'resource_missing',
    'customer',
  );
  await check(
    t.stripe.subscriptionSchedules.create({ customer: cus.id }),
    400,
    'parameter_missing',
    'phases',
  );
  await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      phases: [
        {
          end_date: Math.floor(Date.now() / 1000) + 40 * DAY,
        } as Stripe.SubscriptionScheduleCreateParams.Phase,
      ],
    }),
    400,
    'parameter_missing',
    'phases[0][items]',
  );
  const nope = await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      phases: [{ items: [{ price: 'price_nope' }] }],
    }),
    400,
    'resource_missing',
    'phases[0][items][0][price]',
  );
  assert.equal(nope, "No such price: 'price_nope'");
  await check(
    t.stripe.subscriptionSchedules.create({ customer: cus.id, phases: [{ items: [{ price: oneTime.id }] }] }),
    400,
    undefined,
    'phases[0][items][0][price]',
  );
  await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      phases: [{ items: [{ price: pr.id }] }, { items: [{ price: pr.id }] }],
    }),
    400,
    undefined,
    'phases[0][end_date]',
  );
  const now = Math.floor(Date.now() / 1000);
  await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      start_date: now + 1000,
      phases: [{ items: [{ price: pr.id }], end_date: now + 500 }],
    }),
    400,
    undefined,
    'phases[0][end_date]',
  );
  await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      phases: [{ items: [{ price: pr.id }], end_date: now + 40 * DAY, duration: { interval: 'month' } }],
    }),
    400,
    undefined,
    'phases[0][end_date]',
  );
  await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      end_behavior: 'sometimes' as 'release',
      phases: [{ items: [{ price: pr.id }] }],
    }),
    400,
    undefined,
    'end_behavior',
  );
  await check(
    t.stripe.subscriptionSchedules.create({ from_subscription: 'sub_nope' }),
    400,
    'resource_missing',
    'from_subscription',
  );
  const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: cus.id });
  const sub = await t.stripe.subscriptions.create({
    customer: cus.id,
    items: [{ price: pr.id }],
    default_payment_method: card.id,
  });
  await check(
    t.stripe.subscriptionSchedules.create({ from_subscription: sub.id, customer: cus.id }),
    400,
    undefined,
    'customer',
  );
  const s = await t.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
  const twice = await check(
    t.stripe.subscriptionSchedules.create({ from_subscription: sub.id }),
    400,
    undefined,
    'from_subscription',
  );
  assert.equal(
    twice,
    `You cannot migrate a subscription that is already attached to a schedule: \`${s.id}\`.`,
  );
  const missing = await check(
    t.stripe.subscriptionSchedules.retrieve('sub_sched_nope'),
    404,
    'resource_missing',
    'id',
  );
  assert.equal(missing, "No such subscription_schedule: 'sub_sched_nope'");
  await check(t.stripe.subscriptionSchedules.release('sub_sched_nope'), 404, 'resource_missing', 'id');
  const unknown = await check(
    t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      phases: [
        { items: [{ price: pr.id, colour: 'red' } as Stripe.SubscriptionScheduleCreateParams.Phase.Item] },
      ],
    }),
    400,
    'parameter_unknown',
    'phases[0][items][0][colour]',
  );
  assert.equal(unknown, 'Received unknown parameter: phases[0][items][0][colour]');
});

test('list: newest first, pagination, customer filter, expand', async () => {
  const pr = await price(400);
  const cus = await t.stripe.customers.create({ email: 'list@example.com' });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await t.stripe.subscriptionSchedules.create({
      customer: cus.id,
      start_date: Math.floor(Date.now() / 1000) + 30 * DAY,
      phases: [{ items: [{ price: pr.id }] }],
    });
    ids.push(s.id);
  }
  const page1 = await t.stripe.subscriptionSchedules.list({
    customer: cus.id,
    limit: 2,
    expand: ['data.customer'],
  });
  assert.equal(page1.object, 'list');
  assert.equal(page1.url, '/v1/subscription_schedules');
  assert.deepEqual(
    page1.data.map((s) => s.id),
    [ids[2], ids[1]],
  );
  assert.equal(page1.has_more, true);
  assert.equal((page1.data[0]!.customer as Stripe.Customer).email, 'list@example.com');
  const page2 = await t.stripe.subscriptionSchedules.list({
    customer: cus.id,
    limit: 2,
    starting_after: ids[1],
  });
  assert.deepEqual(
    page2.data.map((s) => s.id),
    [ids[0]],
  );
  assert.equal(page2.has_more, false);
  const all: string[] = [];
  for await (const s of t.stripe.subscriptionSchedules.list({ customer: cus.id, limit: 1 })) all.push(s.id);
  assert.deepEqual(all, [...ids].reverse());
  const bad = await stripeError(t.stripe.subscriptionSchedules.list({ starting_after: 'sub_sched_nope' }));
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.code, 'resource_missing');
  assert.equal(bad.param, 'starting_after');
});

test('a schedule whose customer is gone when it should start is aborted, and the clock goes on', async () => {
  const T0 = at(1, 1);
  const pr = await price(600);
  const { clock, customer } = await clockCustomer(T0);
  const sched = await t.stripe.subscriptionSchedules.create({
    customer: customer.id,
    start_date: T0 + 2 * DAY,
    phases: [{ items: [{ price: pr.id }] }],
  });
  await t.stripe.customers.del(customer.id);
  const m = await mark();
  await advance(clock.id, T0 + 3 * DAY);
  const s = await t.stripe.subscriptionSchedules.retrieve(sched.id);
  assert.equal(s.status, 'canceled');
  assert.equal(s.canceled_at, T0 + 2 * DAY);
  assert.deepEqual(types(await eventsSince(m, LIFECYCLE)), ['subscription_schedule.aborted']);
  await advance(clock.id, T0 + 4 * DAY);
});
