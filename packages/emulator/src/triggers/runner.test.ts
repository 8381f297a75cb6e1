// biome-ignore-all lint/suspicious/noTemplateCurlyInString: fixture references (`${name:path}`) are plain strings by design.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestEmulator, testEmulator } from '../testing.js';
import { formEncode, formPairs } from './encode.js';
import { FixtureFormatError, parseTriggerFile, type TriggerFile } from './format.js';
import { runTrigger, TriggerStepError } from './runner.js';
import { rfc3339, substitute, TemplateError, type TemplateScope } from './template.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const scope = (responses: Record<string, unknown> = {}): TemplateScope => ({
  responses: new Map(Object.entries(responses)),
  now: () => Date.UTC(2026, 0, 2, 3, 4, 5, 678),
  uuid: () => '00000000-0000-4000-8000-000000000000',
  env: { SHOP: 'acme', EMPTY: '' },
});

test('form encoding: nested objects, arrays of objects and scalars, bracketed keys as written', () => {
  const pairs = formPairs(
    {
      a: { b: 'v', c: { d: 1 } },
      items: [{ price: 'p1', quantity: 2 }, { price: 'p2' }],
      types: ['card', 'link'],
      'recurring[interval]': 'month',
      nested: { 'x[y]': 'z' },
      flag: true,
      amount: 25.0,
      ratio: 3.145,
      big: 1e21,
      gone: null,
      ref: '${c:id}',
    },
    (s) => s.replace('${c:id}', 'cus_1'),
  );
  assert.deepEqual(pairs, [
    ['a[b]', 'v'],
    ['a[c][d]', '1'],
    ['items[0][price]', 'p1'],
    ['items[0][quantity]', '2'],
    ['items[1][price]', 'p2'],
    ['types[]', 'card'],
    ['types[]', 'link'],
    ['recurring[interval]', 'month'],
    ['nested[x][y]', 'z'],
    ['flag', 'true'],
    ['amount', '25'],
    ['ratio', '3.145'],
    ['big', '1000000000000000000000'],
    ['ref', 'cus_1'],
  ]);
  assert.equal(
    formEncode([
      ['a[b]', 'x y&z'],
      ['e', 'é'],
    ]),
    'a[b]=x%20y%26z&e=%C3%A9',
  );
});

test('references: dotted paths, array indexes, defaults, specials, env; errors name the reference', () => {
  const s = scope({
    customer: { id: 'cus_1', n: 3, ok: false },
    list: { data: [{ id: 'x0' }, { id: 'x1' }] },
  });
  assert.equal(substitute('/v1/customers/${customer:id}', s), '/v1/customers/cus_1');
  assert.equal(substitute('${list:data.1.id}', s), 'x1');
  assert.equal(substitute('${customer:n}-${customer:ok}', s), '3-false');
  assert.equal(substitute('${customer:missing|fallback}', s), 'fallback');
  assert.equal(substitute('${nobody:id|dflt}', s), 'dflt');
  assert.equal(substitute('${time-now-RFC3339}', s), '2026-01-02T03:04:05Z');
  assert.equal(substitute('k-${generate-uuid}', s), 'k-00000000-0000-4000-8000-000000000000');
  assert.equal(substitute('${.env:SHOP}', s), 'acme');
  assert.equal(substitute('${.env:EMPTY|none}', s), 'none');
  assert.equal(
    substitute('/v1/x/${customer:id}', s, () => 'ENC'),
    '/v1/x/ENC',
  );
  assert.throws(() => substitute('${customer:missing}', s), TemplateError);
  assert.throws(() => substitute('${nobody:id}', s), /names no earlier fixture/);
  assert.throws(() => substitute('${what-is-this}', s), /unknown reference/);
  assert.equal(rfc3339(0), '1970-01-01T00:00:00Z');
});

test('file format: checked, with aliases and version', () => {
  const f = parseTriggerFile(
    JSON.stringify({
      _meta: { template_version: 0, aliases: ['invoice.payment_succeeded'] },
      fixtures: [{ name: 'c', path: '/v1/customers', method: 'POST' }],
    }),
  );
  assert.deepEqual(f._meta.aliases, ['invoice.payment_succeeded']);
  assert.equal(f.fixtures[0]!.method, 'post');
  const bad = (v: unknown) => () => parseTriggerFile(JSON.stringify(v));
  assert.throws(bad({ fixtures: [] }), FixtureFormatError);
  assert.throws(
    bad({ _meta: { template_version: 1 }, fixtures: [{ name: 'a', path: '/v1/x', method: 'get' }] }),
  );
  assert.throws(bad({ fixtures: [{ name: 'a', path: '/x', method: 'get' }] }), /path/);
  assert.throws(bad({ fixtures: [{ name: 'a', path: '/v1/x', method: 'put' }] }), /method/);
  // A name may be reused (the Stripe CLI's customer.discount.deleted does): later references see the
  // latest response, as in the CLI, whose responses are a map by name.
  const reused = parseTriggerFile(
    JSON.stringify({
      fixtures: [
        { name: 'a', path: '/v1/x', method: 'get' },
        { name: 'a', path: '/v1/y', method: 'get' },
      ],
    }),
  );
  assert.deepEqual(
    reused.fixtures.map((s) => s.path),
    ['/v1/x', '/v1/y'],
  );
  assert.throws(() => parseTriggerFile('{'), /not JSON/);
});

test('runs in order against the emulator: references, GET/DELETE params in the query, idempotency keys', async () => {
  const file: TriggerFile = {
    _meta: { template_version: 0, aliases: [] },
    fixtures: [
      {
        name: 'customer',
        path: '/v1/customers',
        method: 'post',
        params: { email: 'runner@example.com', metadata: { k: 'v' } },
        idempotency_key: 'runner-${generate-uuid}',
      },
      {
        name: 'again',
        path: '/v1/customers',
        method: 'post',
        params: { email: 'runner@example.com', metadata: { k: 'v' } },
        idempotency_key: 'runner-${generate-uuid}',
      },
      {
        name: 'list',
        path: '/v1/customers',
        method: 'get',
        params: { email: '${customer:email}', limit: 1 },
      },
      {
        name: 'fetched',
        path: '/v1/customers/${list:data.0.id}',
        method: 'get',
        params: { expand: ['test_clock'] },
      },
      { name: 'deleted', path: '/v1/customers/${fetched:id}', method: 'delete' },
    ],
  };
  const runId = `u-${process.pid}-${Date.now()}`;
  const results = await runTrigger(file, {
    baseUrl: t.emu.url,
    apiKey: 'sk_test_runner',
    uuid: () => runId,
  });
  const [created, replay, list, fetched, deleted] = results.map((r) => r.body as Record<string, unknown>);
  assert.equal(replay!.id, created!.id, 'the same idempotency key replays the first answer');
  assert.equal(results[2]!.url, '/v1/customers?email=runner%40example.com&limit=1');
  assert.equal(((list!.data as { id: string }[])[0] ?? { id: '' }).id, created!.id);
  assert.deepEqual(fetched!.metadata, { k: 'v' });
  assert.equal(deleted!.deleted, true);
});

test('expected_error_type: a matching failure or a success goes on, another error type stops the run', async () => {
  const decline = {
    name: 'pi',
    path: '/v1/payment_intents',
    method: 'post' as const,
    params: {
      amount: 500,
      currency: 'usd',
      confirm: 'true',
      payment_method: 'pm_card_chargeDeclined',
      payment_method_types: ['card'],
    },
    expected_error_type: 'card_error',
  };
  const ok = await runTrigger(
    {
      _meta: { template_version: 0, aliases: [] },
      fixtures: [
        decline,
        { name: 'after', path: '/v1/payment_intents/${pi:error.payment_intent.id}', method: 'get' },
      ],
    },
    { baseUrl: t.emu.url, apiKey: 'sk_test_runner' },
  );
  assert.equal(ok[0]!.errorType, 'card_error');
  assert.equal((ok[1]!.body as { status: string }).status, 'requires_payment_method');

  const wrongType = runTrigger(
    {
      _meta: { template_version: 0, aliases: [] },
      fixtures: [{ ...decline, expected_error_type: 'api_error' }],
    },
    { baseUrl: t.emu.url, apiKey: 'sk_test_runner' },
  );
  await assert.rejects(
    wrongType,
    (e: unknown) => e instanceof TriggerStepError && /card_error, expected api_error/.test(e.message),
  );
  const succeeded = runTrigger(
    {
      _meta: { template_version: 0, aliases: [] },
      fixtures: [{ ...decline, params: { ...decline.params, payment_method: 'pm_card_visa' } }],
    },
    { baseUrl: t.emu.url, apiKey: 'sk_test_runner' },
  );
  // As the CLI: the error type is tolerated, not required.
  const tolerated = await succeeded;
  assert.equal(tolerated[0]!.errorType, null);
  assert.equal((tolerated[0]!.body as { status: string }).status, 'succeeded');
  const unexpected = runTrigger(
    {
      _meta: { template_version: 0, aliases: [] },
      fixtures: [{ name: 'x', path: '/v1/customers/cus_nope', method: 'get' }],
    },
    { baseUrl: t.emu.url, apiKey: 'sk_test_runner' },
  );
  await assert.rejects(unexpected, (e: unknown) => e instanceof TriggerStepError && e.step.status === 404);
});
