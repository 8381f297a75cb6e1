import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customerByExternalId } from '../customers/service.js';
import { idempotencyKey } from '../platform/stripe/client.js';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';
import { recordSubscriptionState } from './service.js';
import { insertPending, subscriptionById } from './store.js';
import type { SubscriptionView } from './view.js';

const t = useTestApp();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

interface Preview {
  proration_date: number;
  proration_amount: number;
  amount_due: number;
  total: number;
  currency: string;
  lines: { amount: number; proration: boolean; description: string | null }[];
}

async function call<T>(
  token: string,
  method: 'GET' | 'POST',
  url: string,
  payload?: Record<string, unknown>,
  status = 200,
): Promise<T> {
  const r = await t.app.inject({ method, url, headers: auth(token), ...(payload ? { payload } : {}) });
  assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
  return JSON.parse(r.body) as T;
}

function errorOf(body: string): { code: string; message: string; details?: { issues?: { path: string }[] } } {
  return (JSON.parse(body) as { error: { code: string; message: string } }).error;
}

/** Confirms the first payment as the browser would, with the PaymentIntent named by the client secret. */
async function payFirstInvoice(clientSecret: string | null): Promise<void> {
  assert.ok(clientSecret, 'a client secret for the first payment');
  const pi = clientSecret.split('_secret_')[0]!;
  assert.match(pi, /^pi_/);
  const confirmed = await t.stripe.paymentIntents.confirm(
    pi,
    { payment_method: 'pm_card_visa' },
    { idempotencyKey: idempotencyKey('test.confirm', pi) },
  );
  assert.equal(confirmed.status, 'succeeded');
}

async function activeSubscription(token: string, plan = 'starter'): Promise<SubscriptionView> {
  const sub = await call<SubscriptionView>(
    token,
    'POST',
    '/v1/subscriptions',
    { plan, interval: 'month', currency: 'usd' },
    201,
  );
  await payFirstInvoice(sub.client_secret);
  const read = await call<SubscriptionView>(token, 'GET', `/v1/subscriptions/${sub.id}`);
  assert.equal(read.status, 'active');
  return read;
}

describe('POST /v1/subscriptions', () => {
  test('a user subscribes: default_incomplete at the catalog price, with paydesk metadata and the first payment’s client secret', async () => {
    const token = await t.userToken('sub-user-1', { email: 'sub1@example.com' });
    const sub = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'starter', interval: 'year', currency: 'EUR' },
      201,
    );
    assert.match(sub.id, /^psub_/);
    assert.equal(sub.status, 'incomplete');
    assert.equal(sub.plan, 'starter');
    assert.equal(sub.interval, 'year');
    assert.equal(sub.currency, 'eur');
    assert.equal(sub.amount, 8000);
    assert.match(sub.client_secret ?? '', /^pi_[A-Za-z0-9]+_secret_/);
    assert.ok(sub.current_period_end && Date.parse(sub.current_period_end) > Date.now() + 360 * 86_400_000);

    const customer = await customerByExternalId(t.context.db, 'sub-user-1');
    assert.equal(sub.customer, customer?.id);
    const stripeSub = await t.stripe.subscriptions.retrieve(sub.stripe_subscription_id);
    assert.equal(stripeSub.customer, customer?.stripe_customer_id);
    assert.deepEqual(stripeSub.metadata, {
      paydesk_instance: 'default',
      paydesk_subscription_id: sub.id,
      paydesk_customer_id: customer?.id,
    });
    assert.equal(stripeSub.payment_settings?.save_default_payment_method, 'on_subscription');
    const price = stripeSub.items.data[0]!.price;
    assert.equal(price.lookup_key, 'paydesk:default:plan:starter:year:eur');
    assert.equal(price.unit_amount, 8000);

    const row = await subscriptionById(t.context.db, sub.id);
    assert.equal(row?.status, 'incomplete');
    assert.equal(row?.stripe_subscription_id, sub.stripe_subscription_id);
  });

  test('an API key subscribes a named customer; without one it must name it', async () => {
    const key = await t.apiKey();
    const c = await call<{ id: string }>(key, 'POST', '/v1/customers', { external_id: 'sub-key-1' }, 201);
    const sub = await call<SubscriptionView>(
      key,
      'POST',
      '/v1/subscriptions',
      { customer: c.id, plan: 'pro', interval: 'month', currency: 'jpy' },
      201,
    );
    assert.equal(sub.customer, c.id);
    assert.equal(sub.amount, 4500);
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth(key),
      payload: { plan: 'pro', interval: 'month', currency: 'usd' },
    });
    assert.equal(r.statusCode, 400);
    assert.equal(errorOf(r.body).code, 'validation_failed');
  });

  test('unknown plan, interval or currency → 400 naming the field; no subscription is made', async () => {
    const token = await t.userToken('sub-invalid');
    const cases: [Record<string, unknown>, string][] = [
      [{ plan: 'platinum', interval: 'month', currency: 'usd' }, 'plan'],
      [{ plan: 'starter', interval: 'week', currency: 'usd' }, 'interval'],
      [{ plan: 'starter', interval: 'month', currency: 'gbp' }, 'currency'],
      [{ plan: 'starter', interval: 'month', currency: 'dollars' }, 'currency'],
      [{ interval: 'month', currency: 'usd' }, 'plan'],
    ];
    for (const [payload, field] of cases) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/subscriptions',
        headers: auth(token),
        payload,
      });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      const err = errorOf(r.body);
      assert.equal(err.code, 'validation_failed');
      assert.match(err.message, new RegExp(`body\\.${field}`), err.message);
      assert.equal(err.details?.issues?.[0]?.path, field);
    }
    const customer = await customerByExternalId(t.context.db, 'sub-invalid');
    if (customer?.stripe_customer_id) {
      const subs = await t.stripe.subscriptions.list({
        customer: customer.stripe_customer_id,
        status: 'all',
      });
      assert.equal(subs.data.length, 0);
    }
  });

  test('no way to subscribe at another amount: price, amount and price_data fields are refused', async () => {
    const token = await t.userToken('sub-amount');
    for (const extra of [
      { amount: 1 },
      { unit_amount: 1 },
      { price: 'price_cheap' },
      { price_data: { unit_amount: 1 } },
      { items: [{ price: 'price_cheap' }] },
    ]) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/subscriptions',
        headers: auth(token),
        payload: { plan: 'pro', interval: 'month', currency: 'usd', ...extra },
      });
      assert.equal(r.statusCode, 400, JSON.stringify(extra));
      assert.equal(errorOf(r.body).code, 'validation_failed');
    }
    const sub = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'pro', interval: 'month', currency: 'usd' },
      201,
    );
    const stripeSub = await t.stripe.subscriptions.retrieve(sub.stripe_subscription_id, {
      expand: ['latest_invoice'],
    });
    assert.equal(stripeSub.items.data[0]!.price.unit_amount, 2900);
    const invoice = stripeSub.latest_invoice;
    assert.ok(invoice && typeof invoice !== 'string');
    assert.equal(invoice.amount_due, 2900);
  });

  test('one subscription per customer: a live one → 409; an incomplete one is returned again or replaced', async () => {
    const token = await t.userToken('sub-once');
    const first = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'starter', interval: 'month', currency: 'usd' },
      201,
    );
    // The browser retries the same subscribe before paying: the same subscription and secret.
    const again = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'starter', interval: 'month', currency: 'usd' },
      200,
    );
    assert.equal(again.id, first.id);
    assert.equal(again.client_secret, first.client_secret);
    // Another plan before paying: the unpaid one is cancelled and replaced.
    const other = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'pro', interval: 'month', currency: 'usd' },
      201,
    );
    assert.notEqual(other.id, first.id);
    assert.equal((await t.stripe.subscriptions.retrieve(first.stripe_subscription_id)).status, 'canceled');
    await payFirstInvoice(other.client_secret);

    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth(token),
      payload: { plan: 'starter', interval: 'year', currency: 'usd' },
    });
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(errorOf(r.body).code, 'conflict');
    const customer = await customerByExternalId(t.context.db, 'sub-once');
    const live = await t.stripe.subscriptions.list({ customer: customer!.stripe_customer_id! });
    assert.deepEqual(
      live.data.map((s) => s.id),
      [other.stripe_subscription_id],
    );
  });

  test('concurrent subscribes for one customer make one Stripe subscription', async () => {
    const token = await t.userToken('sub-racer');
    await call(token, 'POST', '/v1/customers', {}, 201);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/subscriptions',
          headers: auth(token),
          payload: { plan: 'starter', interval: 'month', currency: 'usd' },
        }),
      ),
    );
    for (const r of results) assert.ok([200, 201, 409].includes(r.statusCode), r.body);
    assert.equal(results.filter((r) => r.statusCode === 201).length, 1, 'one creates');
    const ids = new Set(
      results.filter((r) => r.statusCode !== 409).map((r) => (JSON.parse(r.body) as SubscriptionView).id),
    );
    assert.equal(ids.size, 1, 'the others get the same subscription or a conflict');
    const customer = await customerByExternalId(t.context.db, 'sub-racer');
    const subs = await t.stripe.subscriptions.list({
      customer: customer!.stripe_customer_id!,
      status: 'all',
    });
    assert.equal(subs.data.length, 1);
  });

  test('a creation interrupted before Stripe answered is finished with the same record', async () => {
    const token = await t.userToken('sub-crash');
    await call(token, 'POST', '/v1/customers', {}, 201);
    const customer = await customerByExternalId(t.context.db, 'sub-crash');
    const pending = await insertPending(t.context.db, {
      id: 'psub_interrupted000001',
      customer_id: customer!.id,
      plan: 'starter',
      interval: 'month',
      currency: 'usd',
      state_at: new Date(),
    });
    assert.ok(pending);
    const sub = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'starter', interval: 'month', currency: 'usd' },
      200,
    );
    assert.equal(sub.id, 'psub_interrupted000001');
    assert.equal(sub.status, 'incomplete');
    const subs = await t.stripe.subscriptions.list({
      customer: customer!.stripe_customer_id!,
      status: 'all',
    });
    assert.equal(subs.data.length, 1);
  });
});

describe('the subscription journey', () => {
  test('subscribe → pay → active → preview → change (prorated on the next invoice) → cancel at period end → resume → cancel now', async () => {
    const token = await t.userToken('journey-user', { email: 'journey@example.com' });
    const created = await call<SubscriptionView>(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'starter', interval: 'month', currency: 'usd' },
      201,
    );
    assert.equal(created.status, 'incomplete');
    await payFirstInvoice(created.client_secret);

    const active = await call<SubscriptionView>(token, 'GET', `/v1/subscriptions/${created.id}`);
    assert.equal(active.status, 'active');
    assert.equal(active.client_secret, null, 'nothing left to pay');
    assert.equal((await subscriptionById(t.context.db, created.id))?.status, 'active');

    const preview = await call<Preview>(
      token,
      'GET',
      `/v1/subscriptions/${created.id}/preview?plan=pro&interval=month`,
    );
    const prorations = preview.lines.filter((l) => l.proration);
    assert.equal(prorations.length, 2, 'a credit for starter and a charge for pro');
    assert.ok(prorations.some((l) => l.amount < 0) && prorations.some((l) => l.amount > 0));
    assert.equal(
      preview.proration_amount,
      prorations.reduce((s, l) => s + l.amount, 0),
    );
    // Nearly a whole month is left: nearly the whole difference (2900 − 900) is due.
    assert.ok(
      preview.proration_amount > 1900 && preview.proration_amount <= 2000,
      String(preview.proration_amount),
    );
    assert.equal(preview.currency, 'usd');
    const stillStarter = await t.stripe.subscriptions.retrieve(created.stripe_subscription_id);
    assert.equal(stillStarter.items.data[0]!.price.unit_amount, 900, 'a preview changes nothing');

    const changed = await call<SubscriptionView>(token, 'POST', `/v1/subscriptions/${created.id}/change`, {
      plan: 'pro',
      interval: 'month',
      proration_date: preview.proration_date,
    });
    assert.equal(changed.plan, 'pro');
    assert.equal(changed.amount, 2900);
    assert.equal(changed.status, 'active');
    assert.equal((await subscriptionById(t.context.db, created.id))?.plan, 'pro');

    const next = await t.stripe.invoices.createPreview(
      { subscription: created.stripe_subscription_id },
      { idempotencyKey: idempotencyKey('test.next-invoice', created.id) },
    );
    const nextProrations = next.lines.data.filter(
      (l) => l.parent?.subscription_item_details?.proration || l.parent?.invoice_item_details?.proration,
    );
    assert.equal(
      nextProrations.reduce((s, l) => s + l.amount, 0),
      preview.proration_amount,
      'the next invoice carries exactly the previewed proration',
    );
    assert.equal(next.amount_due, 2900 + preview.proration_amount);

    const cancelling = await call<SubscriptionView>(token, 'POST', `/v1/subscriptions/${created.id}/cancel`, {
      at_period_end: true,
    });
    assert.equal(cancelling.cancel_at_period_end, true);
    assert.equal(cancelling.status, 'active');
    assert.equal((await subscriptionById(t.context.db, created.id))?.cancel_at_period_end, true);

    const resumed = await call<SubscriptionView>(token, 'POST', `/v1/subscriptions/${created.id}/resume`);
    assert.equal(resumed.cancel_at_period_end, false);
    assert.equal(resumed.cancel_at, null);
    assert.equal(
      (await t.stripe.subscriptions.retrieve(created.stripe_subscription_id)).cancel_at_period_end,
      false,
    );

    const nothing = await t.app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${created.id}/resume`,
      headers: auth(token),
    });
    assert.equal(nothing.statusCode, 409, 'nothing to resume');

    const canceled = await call<SubscriptionView>(token, 'POST', `/v1/subscriptions/${created.id}/cancel`, {
      at_period_end: false,
    });
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.canceled_at);
    assert.equal((await t.stripe.subscriptions.retrieve(created.stripe_subscription_id)).status, 'canceled');
    assert.equal((await subscriptionById(t.context.db, created.id))?.status, 'canceled');

    for (const [url, payload] of [
      [`/v1/subscriptions/${created.id}/cancel`, { at_period_end: false }],
      [`/v1/subscriptions/${created.id}/resume`, undefined],
      [`/v1/subscriptions/${created.id}/change`, { plan: 'starter', interval: 'month' }],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url,
        headers: auth(token),
        ...(payload ? { payload } : {}),
      });
      assert.equal(r.statusCode, 409, `${url}: ${r.body}`);
    }

    const list = await call<{ data: SubscriptionView[] }>(token, 'GET', '/v1/subscriptions');
    assert.deepEqual(
      list.data.map((s) => [s.id, s.status]),
      [[created.id, 'canceled']],
    );
    // Ended: the customer may subscribe again.
    await call(
      token,
      'POST',
      '/v1/subscriptions',
      { plan: 'starter', interval: 'month', currency: 'usd' },
      201,
    );
  });

  test('always_invoice charges the previewed difference now; a yearly switch works the same way', async () => {
    const key = await t.apiKey();
    const c = await call<{ id: string }>(key, 'POST', '/v1/customers', { external_id: 'always-1' }, 201);
    const sub = await call<SubscriptionView>(
      key,
      'POST',
      '/v1/subscriptions',
      { customer: c.id, plan: 'starter', interval: 'month', currency: 'usd' },
      201,
    );
    await payFirstInvoice(sub.client_secret);
    const preview = await call<Preview>(
      key,
      'GET',
      `/v1/subscriptions/${sub.id}/preview?plan=pro&interval=year&proration_behavior=always_invoice`,
    );
    assert.ok(preview.amount_due > 28_000 && preview.amount_due <= 29_000, String(preview.amount_due));
    const changed = await call<SubscriptionView>(key, 'POST', `/v1/subscriptions/${sub.id}/change`, {
      plan: 'pro',
      interval: 'year',
      proration_behavior: 'always_invoice',
      proration_date: preview.proration_date,
    });
    assert.equal(changed.interval, 'year');
    assert.equal(changed.amount, 29_000);
    const invoices = await t.stripe.invoices.list({ subscription: sub.stripe_subscription_id });
    const now = invoices.data.find((i) => i.billing_reason === 'subscription_update');
    assert.ok(now, 'an invoice for the change');
    assert.equal(now.amount_paid, preview.amount_due, 'charged with the saved card, exactly as previewed');
  });

  test('validation on preview, change and cancel', async () => {
    const token = await t.userToken('sub-validation');
    const sub = await activeSubscription(token);
    const bad: [string, string, Record<string, unknown> | undefined, number, string][] = [
      [
        'GET',
        `/v1/subscriptions/${sub.id}/preview?plan=nope&interval=month`,
        undefined,
        400,
        'validation_failed',
      ],
      [
        'GET',
        `/v1/subscriptions/${sub.id}/preview?plan=pro&interval=day`,
        undefined,
        400,
        'validation_failed',
      ],
      ['GET', `/v1/subscriptions/${sub.id}/preview?plan=pro`, undefined, 400, 'validation_failed'],
      ['GET', `/v1/subscriptions/${sub.id}/preview?plan=starter&interval=month`, undefined, 409, 'conflict'],
      ['POST', `/v1/subscriptions/${sub.id}/change`, { plan: 'pro' }, 400, 'validation_failed'],
      [
        'POST',
        `/v1/subscriptions/${sub.id}/change`,
        { plan: 'pro', interval: 'month', proration_behavior: 'none' },
        400,
        'validation_failed',
      ],
      [
        'POST',
        `/v1/subscriptions/${sub.id}/change`,
        { plan: 'pro', interval: 'month', amount: 1 },
        400,
        'validation_failed',
      ],
      ['POST', `/v1/subscriptions/${sub.id}/change`, { plan: 'starter', interval: 'month' }, 409, 'conflict'],
      ['POST', `/v1/subscriptions/${sub.id}/cancel`, {}, 400, 'validation_failed'],
      ['POST', `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: 'yes' }, 400, 'validation_failed'],
      ['GET', '/v1/subscriptions/psub_doesnotexist', undefined, 404, 'not_found'],
    ];
    for (const [method, url, payload, status, code] of bad) {
      const r = await t.app.inject({
        method: method as 'GET' | 'POST',
        url,
        headers: auth(token),
        ...(payload ? { payload } : {}),
      });
      assert.equal(r.statusCode, status, `${method} ${url} ${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(errorOf(r.body).code, code);
    }
    const r = await t.app.inject({
      method: 'GET',
      url: `/v1/subscriptions/${sub.id}/preview?plan=nope&interval=month`,
      headers: auth(token),
    });
    assert.equal(errorOf(r.body).details?.issues?.[0]?.path, 'plan');
    const unchanged = await t.stripe.subscriptions.retrieve(sub.stripe_subscription_id);
    assert.equal(unchanged.items.data[0]!.price.unit_amount, 900);
    assert.equal(unchanged.status, 'active');
  });
});

describe('reading and authorization', () => {
  test('API keys list a named customer’s subscriptions; users only their own', async () => {
    const a = await t.userToken('list-a');
    const b = await t.userToken('list-b');
    const subA = await activeSubscription(a);
    const key = await t.apiKey(['read']);
    const byKey = await call<{ data: SubscriptionView[] }>(
      key,
      'GET',
      `/v1/subscriptions?customer=${subA.customer}`,
    );
    assert.deepEqual(
      byKey.data.map((s) => s.id),
      [subA.id],
    );
    const own = await call<{ data: SubscriptionView[] }>(a, 'GET', '/v1/subscriptions?customer=me');
    assert.deepEqual(
      own.data.map((s) => s.id),
      [subA.id],
    );
    await call(b, 'POST', '/v1/customers', {}, 201);
    const cross = await t.app.inject({
      method: 'GET',
      url: `/v1/subscriptions?customer=${subA.customer}`,
      headers: auth(b),
    });
    assert.equal(cross.statusCode, 404);
    assert.deepEqual((await call<{ data: unknown[] }>(b, 'GET', '/v1/subscriptions')).data, []);
    const noCustomer = await t.app.inject({ method: 'GET', url: '/v1/subscriptions', headers: auth(key) });
    assert.equal(noCustomer.statusCode, 400);
  });

  test('user B can neither read nor change user A’s subscription', async () => {
    const a = await t.userToken('owner-a');
    const b = await t.userToken('owner-b');
    const subA = await activeSubscription(a);
    await activeSubscription(b);
    for (const [method, url, payload] of [
      ['GET', `/v1/subscriptions/${subA.id}`, undefined],
      ['GET', `/v1/subscriptions/${subA.id}/preview?plan=pro&interval=month`, undefined],
      ['POST', `/v1/subscriptions/${subA.id}/change`, { plan: 'pro', interval: 'month' }],
      ['POST', `/v1/subscriptions/${subA.id}/cancel`, { at_period_end: false }],
      ['POST', `/v1/subscriptions/${subA.id}/cancel`, { at_period_end: true }],
      ['POST', `/v1/subscriptions/${subA.id}/resume`, undefined],
      [
        'POST',
        '/v1/subscriptions',
        { customer: subA.customer, plan: 'pro', interval: 'month', currency: 'usd' },
      ],
    ] as const) {
      const r = await t.app.inject({ method, url, headers: auth(b), ...(payload ? { payload } : {}) });
      assert.equal(r.statusCode, 404, `${method} ${url}: ${r.body}`);
      assert.equal(errorOf(r.body).code, 'not_found');
    }
    const untouched = await t.stripe.subscriptions.retrieve(subA.stripe_subscription_id);
    assert.equal(untouched.status, 'active');
    assert.equal(untouched.cancel_at_period_end, false);
    assert.equal(untouched.items.data[0]!.price.unit_amount, 900);
  });

  test('an older state never overwrites a newer one in paydesk’s record', async () => {
    const token = await t.userToken('order-user');
    const sub = await activeSubscription(token);
    const before = await t.stripe.subscriptions.retrieve(sub.stripe_subscription_id);
    const seenAt = new Date();
    await call(token, 'POST', `/v1/subscriptions/${sub.id}/cancel`, { at_period_end: false });
    // The active state, read before the cancellation, arrives late (as a delayed webhook would).
    const kept = await recordSubscriptionState(
      t.context,
      t.context.db,
      before,
      new Date(seenAt.getTime() - 60_000),
    );
    assert.equal(kept?.status, 'canceled');
    assert.equal((await subscriptionById(t.context.db, sub.id))?.status, 'canceled');
    // A newer one is taken.
    const newer = await recordSubscriptionState(
      t.context,
      t.context.db,
      before,
      new Date(Date.now() + 60_000),
    );
    assert.equal(newer?.status, 'active');
  });
});

describe('OpenAPI', () => {
  test('every subscription and portal route is in the document', async () => {
    const doc = JSON.parse((await t.app.inject({ method: 'GET', url: '/docs/json' })).body) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    for (const [path, method] of [
      ['/v1/subscriptions', 'post'],
      ['/v1/subscriptions', 'get'],
      ['/v1/subscriptions/{id}', 'get'],
      ['/v1/subscriptions/{id}/preview', 'get'],
      ['/v1/subscriptions/{id}/change', 'post'],
      ['/v1/subscriptions/{id}/cancel', 'post'],
      ['/v1/subscriptions/{id}/resume', 'post'],
      ['/v1/portal/sessions', 'post'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.ok(op.tags?.includes(path.includes('portal') ? 'portal' : 'subscriptions'));
    }
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/v1/subscriptions',
        payload: { plan: 'starter', interval: 'month', currency: 'usd' },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
      { method: 'GET', url: '/v1/subscriptions?customer=me', allow: ['api_key', 'user'], scopes: ['read'] },
      { method: 'GET', url: '/v1/subscriptions/psub_x', allow: ['api_key', 'user'], scopes: ['read'] },
      {
        method: 'GET',
        url: '/v1/subscriptions/psub_x/preview?plan=pro&interval=month',
        allow: ['api_key', 'user'],
        scopes: ['read'],
      },
      {
        method: 'POST',
        url: '/v1/subscriptions/psub_x/change',
        payload: { plan: 'pro', interval: 'month' },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
      {
        method: 'POST',
        url: '/v1/subscriptions/psub_x/cancel',
        payload: { at_period_end: true },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
      {
        method: 'POST',
        url: '/v1/subscriptions/psub_x/resume',
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
    ],
  );
});
