import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { paramSpecs } from '../resources/param-specs.js';
import { type TestEmulator, testEmulator } from '../testing.js';
import { acceptedNames, compile } from './param-spec.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const routes = () => t.emu.app.routes();

test('every route the emulator serves has a parameter description', () => {
  assert.ok(routes().length > 100);
  for (const r of routes()) assert.ok(r.params, `${r.method} ${r.pattern}`);
});

test('one unknown parameter sent to every route answers 400 parameter_unknown naming it', async () => {
  for (const r of routes()) {
    const path = r.pattern.replace(/:[a-z]+/g, 'x_unknown');
    const res =
      r.method === 'POST'
        ? await t.raw('POST', path, 'surely_not_a_param=1')
        : await t.raw(r.method, `${path}?surely_not_a_param=1`);
    const body = (await res.json()) as { error: { code: string; param: string; message: string } };
    const where = `${r.method} ${r.pattern}`;
    assert.equal(res.status, 400, where);
    assert.equal(body.error.code, 'parameter_unknown', where);
    assert.equal(body.error.param, 'surely_not_a_param', where);
    assert.equal(body.error.message, 'Received unknown parameter: surely_not_a_param', where);
  }
});

test('what the main endpoints accept (top level)', () => {
  const top = (route: string) => acceptedNames(compile(paramSpecs[route]!)).filter((n) => !n.includes('['));
  assert.deepEqual(top('POST /v1/customers').sort(), [
    'address',
    'balance',
    'business_name',
    'cash_balance',
    // Accepted only from API versions before 2025-03-31.basil (customers.ts refuses them otherwise).
    'coupon',
    'description',
    'email',
    'expand',
    'individual_name',
    'invoice_prefix',
    'invoice_settings',
    'metadata',
    'name',
    'next_invoice_sequence',
    'payment_method',
    'phone',
    'preferred_locales',
    'promotion_code',
    'shipping',
    'source',
    'tax',
    'tax_exempt',
    'tax_id_data',
    'test_clock',
    'validate',
  ]);
  assert.deepEqual(top('GET /v1/customers').sort(), [
    'created',
    'email',
    'ending_before',
    'expand',
    'limit',
    'starting_after',
    'test_clock',
  ]);
  assert.deepEqual(top('DELETE /v1/customers/:id'), []);
  const sub = top('POST /v1/subscriptions');
  for (const name of [
    'customer',
    'items',
    'trial_period_days',
    'payment_behavior',
    'discounts',
    'metadata',
  ]) {
    assert.ok(sub.includes(name), name);
  }
  const checkout = acceptedNames(compile(paramSpecs['POST /v1/checkout/sessions']!));
  for (const name of ['line_items[][price]', 'line_items[][quantity]', 'discounts[][coupon]', 'mode']) {
    assert.ok(checkout.includes(name), name);
  }
});

test('the invoicing routes are served, described and strict', async () => {
  const served = new Set(routes().map((r) => `${r.method} ${r.pattern}`));
  for (const route of [
    'POST /v1/tax_rates',
    'GET /v1/tax_rates',
    'GET /v1/tax_rates/:id',
    'POST /v1/tax_rates/:id',
    'GET /v1/credit_notes/preview',
    'GET /v1/credit_notes/preview/lines',
    'POST /v1/credit_notes',
    'GET /v1/credit_notes',
    'GET /v1/credit_notes/:id',
    'POST /v1/credit_notes/:id',
    'POST /v1/credit_notes/:id/void',
    'GET /v1/credit_notes/:id/lines',
    'POST /v1/invoices/:id/send',
    'POST /v1/customers/:id/balance_transactions',
    'GET /v1/customers/:id/balance_transactions',
    'GET /v1/customers/:id/balance_transactions/:txn',
    'POST /v1/customers/:id/balance_transactions/:txn',
    'GET /v1/balance_transactions',
    'GET /v1/balance_transactions/:id',
  ]) {
    assert.ok(served.has(route), route);
    assert.ok(paramSpecs[route], route);
  }
  const top = (route: string) => acceptedNames(compile(paramSpecs[route]!)).filter((n) => !n.includes('['));
  for (const name of [
    'invoice',
    'lines',
    'refund_amount',
    'credit_amount',
    'out_of_band_amount',
    'refunds',
  ]) {
    assert.ok(top('POST /v1/credit_notes').includes(name), name);
  }
  assert.deepEqual(top('POST /v1/tax_rates/:id').includes('percentage'), false);
  assert.deepEqual(top('GET /v1/balance_transactions').sort(), [
    'created',
    'currency',
    'ending_before',
    'expand',
    'limit',
    'payout',
    'source',
    'starting_after',
    'type',
  ]);
  const nested = await t.raw(
    'POST',
    '/v1/credit_notes',
    'invoice=in_x&lines[0][type]=custom_line_item&lines[0][colour]=red',
  );
  const n = (await nested.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [nested.status, n.error.code, n.error.param],
    [400, 'parameter_unknown', 'lines[0][colour]'],
  );
  const badEnum = await t.raw('POST', '/v1/credit_notes', 'invoice=in_x&amount=1&reason=bored');
  const be = (await badEnum.json()) as { error: Record<string, string> };
  assert.deepEqual([badEnum.status, be.error.param], [400, 'reason']);
});

test('nested unknown parameters, types, enums, required and empty strings', async () => {
  const nested = await t.raw('POST', '/v1/customers', 'address[planet]=mars');
  assert.equal(nested.status, 400);
  const n = (await nested.json()) as { error: Record<string, string> };
  assert.equal(n.error.param, 'address[planet]');
  assert.equal(n.error.message, 'Received unknown parameter: address[planet]');

  const item = await t.raw(
    'POST',
    '/v1/subscriptions',
    'customer=cus_x&items[0][price]=p&items[0][colour]=red',
  );
  assert.equal(((await item.json()) as { error: Record<string, string> }).error.param, 'items[0][colour]');

  const badInt = await t.raw('POST', '/v1/customers', 'balance=ten');
  const bi = (await badInt.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [badInt.status, bi.error.code, bi.error.param],
    [400, 'parameter_invalid_integer', 'balance'],
  );

  const badEnum = await t.raw('POST', '/v1/customers', 'tax_exempt=sometimes');
  const be = (await badEnum.json()) as { error: Record<string, string> };
  assert.equal(be.error.param, 'tax_exempt');
  assert.equal(be.error.message, 'Invalid tax_exempt: must be one of exempt, none, or reverse');

  const missing = await t.raw('POST', '/v1/prices', 'unit_amount=5&product_data[name]=x');
  const m = (await missing.json()) as { error: Record<string, string> };
  assert.deepEqual([m.error.code, m.error.param], ['parameter_missing', 'currency']);

  const nestedMissing = await t.raw(
    'POST',
    '/v1/prices',
    'currency=usd&unit_amount=5&product_data[active]=true',
  );
  const nm = (await nestedMissing.json()) as { error: Record<string, string> };
  assert.deepEqual([nm.error.code, nm.error.param], ['parameter_missing', 'product_data[name]']);

  const empty = await t.raw('POST', '/v1/customers', 'name=Jo&preferred_locales[0]=');
  const e = (await empty.json()) as { error: Record<string, string> };
  assert.deepEqual([e.error.code, e.error.param], ['parameter_invalid_empty', 'preferred_locales[0]']);

  const unset = await t.stripe.customers.create({ name: 'Jo', metadata: { a: '1' } });
  const cleared = await t.stripe.customers.update(unset.id, {
    metadata: '' as unknown as Record<string, string>,
  });
  assert.deepEqual(cleared.metadata, {});

  const long = await t.raw('POST', '/v1/customers', `business_name=${'x'.repeat(151)}`);
  const l = (await long.json()) as { error: Record<string, string> };
  assert.equal(l.error.param, 'business_name');
  assert.match(l.error.message ?? '', /must be at most 150 characters/);
});

test('email, currency and amounts within Stripe’s limits', async () => {
  const email = await t.raw('POST', '/v1/customers', 'email=not-an-address');
  const em = (await email.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [email.status, em.error.code, em.error.param, em.error.message],
    [400, 'email_invalid', 'email', 'Invalid email address: not-an-address'],
  );
  const ok = await t.stripe.customers.create({ email: 'jo@example.com' });
  assert.equal(ok.email, 'jo@example.com');

  const currency = await t.raw('POST', '/v1/payment_intents', 'amount=100&currency=zzz');
  const cu = (await currency.json()) as { error: Record<string, string> };
  assert.deepEqual([currency.status, cu.error.param], [400, 'currency']);
  assert.match(cu.error.message ?? '', /^Invalid currency: zzz/);

  const small = await t.raw('POST', '/v1/payment_intents', 'amount=49&currency=usd');
  const sm = (await small.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [sm.error.code, sm.error.param, sm.error.message],
    ['amount_too_small', 'amount', 'Amount must be at least $0.50 usd'],
  );
  const gbp = await t.raw('POST', '/v1/payment_intents', 'amount=29&currency=gbp');
  assert.equal(((await gbp.json()) as { error: Record<string, string> }).error.code, 'amount_too_small');
  assert.equal((await t.raw('POST', '/v1/payment_intents', 'amount=30&currency=gbp')).status, 200);
  assert.equal((await t.raw('POST', '/v1/payment_intents', 'amount=50&currency=jpy')).status, 200);
  const large = await t.raw('POST', '/v1/payment_intents', 'amount=100000000&currency=usd');
  const lg = (await large.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [lg.error.code, lg.error.message],
    ['amount_too_large', 'Amount must be no more than $999,999.99 usd'],
  );
});

test('an object named in the body that does not exist is 400 naming the param; 404 only in the path', async () => {
  const sub = await t.raw('POST', '/v1/subscriptions', 'customer=cus_nope&items[0][price]=price_nope');
  const s = (await sub.json()) as { error: Record<string, string> };
  assert.deepEqual([sub.status, s.error.code, s.error.param], [400, 'resource_missing', 'customer']);
  const c = await t.stripe.customers.create({});
  const item = await t.raw('POST', '/v1/subscriptions', `customer=${c.id}&items[0][price]=price_nope`);
  const i = (await item.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [item.status, i.error.param, i.error.message],
    [400, 'items[0][price]', "No such price: 'price_nope'"],
  );
  const path = await t.raw('GET', '/v1/customers/cus_nope');
  assert.equal(path.status, 404);
  const sess = await t.raw('GET', '/v1/checkout/sessions/cs_nope');
  assert.equal(sess.status, 404);
});

test('a request refused for its parameters leaves its idempotency key unused', async () => {
  const bad = await t.raw('POST', '/v1/customers', 'colour=red', { 'Idempotency-Key': 'strict-1' });
  assert.equal(bad.status, 400);
  const good = await t.raw('POST', '/v1/customers', 'name=Jo', { 'Idempotency-Key': 'strict-1' });
  assert.equal(good.status, 200);
  assert.equal(good.headers.get('idempotent-replayed'), null);
});

test('the generated descriptions are what the installed SDK says (scripts/gen-param-specs.ts --check)', () => {
  const script = fileURLToPath(new URL('../../scripts/gen-param-specs.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', script, '--check'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
});

test('subscription schedules: every route is served and strict, nested phase parameters included', async () => {
  const served = new Set(routes().map((r) => `${r.method} ${r.pattern}`));
  for (const route of [
    'POST /v1/subscription_schedules',
    'GET /v1/subscription_schedules',
    'GET /v1/subscription_schedules/:id',
    'POST /v1/subscription_schedules/:id',
    'POST /v1/subscription_schedules/:id/release',
    'POST /v1/subscription_schedules/:id/cancel',
  ]) {
    assert.ok(served.has(route), route);
  }
  const accepted = acceptedNames(compile(paramSpecs['POST /v1/subscription_schedules']!));
  for (const name of [
    'customer',
    'from_subscription',
    'start_date',
    'end_behavior',
    'phases[][items][][price]',
  ]) {
    assert.ok(accepted.includes(name), name);
  }
  // `iterations` is accepted beside `duration` (the Stripe CLI's fixtures send it).
  assert.ok(accepted.includes('phases[][iterations]'));
  const phase = await t.raw('POST', '/v1/subscription_schedules', 'customer=cus_x&phases[0][colour]=red');
  const p = (await phase.json()) as { error: Record<string, string> };
  assert.deepEqual(
    [phase.status, p.error.code, p.error.param],
    [400, 'parameter_unknown', 'phases[0][colour]'],
  );
  const release = await t.raw('POST', '/v1/subscription_schedules/sub_sched_x/release', 'prorate=true');
  const r = (await release.json()) as { error: Record<string, string> };
  assert.deepEqual([release.status, r.error.code, r.error.param], [400, 'parameter_unknown', 'prorate']);
});
