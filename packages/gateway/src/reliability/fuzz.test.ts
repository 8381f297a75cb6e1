// Property-based fuzzing (fast-check) over every route: those in the OpenAPI document (/docs/json) and
// those listed below, and a check that no registered route is in neither, so a route added later is
// fuzzed without anyone remembering to. Requests are hostile on every axis: strings with NUL and
// unpaired surrogates, huge and odd numbers, wrong types, deep nesting, bad and good credentials,
// junk in paths, queries and content types, correctly signed hostile webhook bodies. The property:
// no answer is a 5xx, and every JSON error is in paydesk's one error shape.
//
// PAYDESK_FUZZ_RUNS sets the number of requests (default 10,000, what CI runs; fewer while
// developing), PAYDESK_FUZZ_SEED replays a failing run (fast-check prints its seed and path).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import Stripe from 'stripe';
import { isErrorCode } from '../platform/errors.js';
import { createTestApp, TEST_ADMIN_KEY, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';

const RUNS = Number(process.env.PAYDESK_FUZZ_RUNS ?? 10_000);
const SEED = process.env.PAYDESK_FUZZ_SEED ? Number(process.env.PAYDESK_FUZZ_SEED) : undefined;

/**
 * Registered routes that are not in the OpenAPI document, on purpose: the API docs' own UI. Every
 * other route must be documented, or listed here (then it is fuzzed from its URL pattern alone).
 */
const UNDOCUMENTED_ROUTES = [
  'GET /docs',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs/static/*',
  'HEAD /docs/static/*',
  // The billing pages (HTML, pages/): form posts and pages, no OpenAPI entry.
  'GET /assets/:file',
  // The operator console (HTML, console/): sign-in, pages and form posts, no OpenAPI entry.
  'GET /console/sign-in',
  'POST /console/sign-in',
  'POST /console/sign-out',
  'GET /console',
  'GET /console/audit',
  'GET /console/assets/:file',
  // The console's table views and their actions (console/views/).
  'GET /console/payments',
  'GET /console/payments/:id',
  'POST /console/payments/:id/refund',
  'GET /console/subscriptions',
  'GET /console/customers',
  'GET /console/customers/:id',
  'POST /console/customers/:id/credits',
  'GET /console/credits',
  'GET /console/refunds',
  'GET /console/disputes',
  'GET /console/events',
  'GET /console/events/:id',
  'POST /console/events/:id/replay',
  'GET /console/jobs',
  'POST /console/jobs/:id/retry',
  'GET /console/notifications',
  'GET /console/notifications/:id',
  'POST /console/notifications/:id/redeliver',
  'GET /console/whmcs',
  'POST /console/whmcs/:id/retry',
  'GET /console/api-keys',
  'POST /console/api-keys',
  'POST /console/api-keys/:id/revoke',
  // Any other console path: an HTML 404 page in the console's layout.
  'GET /console/*',
  'GET /',
  'GET /sign-in',
  'POST /sign-in/demo',
  'POST /sign-out',
  'GET /pricing',
  'POST /subscribe',
  'GET /subscribe/:id',
  'POST /subscribe/checkout',
  'POST /buy',
  'GET /payment/result',
  'GET /payment/cancelled',
  'GET /account',
  'GET /account/change',
  'POST /account/change',
  'POST /account/cancel',
  'POST /account/resume',
  'POST /account/portal',
  'GET /account/card',
  'GET /account/card/result',
  'GET /account/invoices',
];

let tdb: TestDatabase;
let t: TestApp;

type Json = Record<string, unknown>;

interface Param {
  name: string;
  schema: Json;
}

interface FuzzRoute {
  method: string;
  /** Fastify's pattern (`/v1/customers/:id`). */
  url: string;
  pathParams: string[];
  query: Param[];
  body: Param[];
  webhook: boolean;
}

let routes: FuzzRoute[] = [];
/** Values that pass validation (ids that exist, catalog keys), so that requests get past it. */
let good: Record<string, unknown[]> = {};
let credentials: string[] = [];

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), {
    // Limits would answer 429 long before 10,000 requests; they have their own tests.
    env: { PAYDESK_RATE_LIMIT_PUBLIC: '0', PAYDESK_RATE_LIMIT_USER: '0' },
  });
  const doc = JSON.parse((await t.app.inject({ method: 'GET', url: '/docs/json' })).body) as {
    paths: Record<string, Record<string, { parameters?: (Param & { in: string })[]; requestBody?: Json }>>;
  };
  const documented = new Map<string, FuzzRoute>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const bodySchema = (op.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)
        ?.content?.['application/json']?.schema;
      const props = (bodySchema?.properties ?? {}) as Record<string, Json>;
      documented.set(`${method.toUpperCase()} ${url}`, {
        method: method.toUpperCase(),
        url,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: Object.entries(props).map(([name, schema]) => ({ name, schema })),
        webhook: false,
      });
    }
  }
  const inventory = t.app.routeInventory.map((r) => `${r.method} ${r.url}`);
  const unknown = inventory.filter((r) => !documented.has(r) && !UNDOCUMENTED_ROUTES.includes(r));
  assert.deepEqual(
    unknown,
    [],
    'every route is in the OpenAPI document or in UNDOCUMENTED_ROUTES (reliability/fuzz.test.ts)',
  );
  const stale = UNDOCUMENTED_ROUTES.filter((r) => !inventory.includes(r));
  assert.deepEqual(stale, [], 'UNDOCUMENTED_ROUTES lists only routes that exist');
  const listed = UNDOCUMENTED_ROUTES.map((r) => {
    const [method, url] = r.split(' ') as [string, string];
    return {
      method,
      url,
      pathParams: [...url.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!),
      query: [],
      body: [],
      webhook: false,
    };
  });
  routes = [...documented.values(), ...listed];
  for (const r of routes) r.webhook = r.method === 'POST' && /webhook/.test(r.url);

  // Real things for requests to point at.
  const key = await t.apiKey(['read', 'write', 'custom_amounts', 'refunds']);
  const user = await t.userToken('fuzz-user', { email: 'fuzz@example.com' });
  const created = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: { authorization: `Bearer ${user}` },
    payload: { name: 'Fuzz' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const customer = (JSON.parse(created.body) as { id: string }).id;
  credentials = [
    `Bearer ${key}`,
    `Bearer ${user}`,
    `Bearer ${TEST_ADMIN_KEY}`,
    `Bearer ${await t.userToken('fuzz-expired', { expiresIn: '-1m' })}`,
    `Bearer ${await t.userToken('fuzz-other', { audience: 'someone-else' })}`,
    'Bearer pdk_live_0000000000000000000000000000000000',
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    'Bearer a.b.c',
  ];
  const packs = t.catalog.packs.map((p) => p.id);
  const plans = t.catalog.plans.map((p) => p.id);
  good = {
    id: [customer, 'me', 'cs_test_nope', 'pi_nope', 'sub_nope', 'evt_nope', 'key_nope'],
    customer: [customer, 'me'],
    type: ['full', 'monthly', 'yearly', 'token', ...plans],
    pack: packs,
    plan: plans,
    interval: ['month', 'year'],
    currency: ['usd', 'eur', 'jpy', 'gbp', 'xyz'],
    quantity: [1, 2, 12],
    qty: ['1', '12', '1000'],
    amount: [50, 500, 1234, 99_999_999],
    unit_amount: [50, 1234],
    success_url: ['https://app.example.com/ok?session_id={CHECKOUT_SESSION_ID}'],
    cancel_url: ['https://app.example.com/cancel'],
    return_url: ['https://app.example.com/back'],
    redirect: ['https://app.example.com/after', '/front/checkout/success'],
    email: ['fuzz@example.com'],
    name: ['Fuzz Buyer'],
    external_id: ['fuzz-ext'],
    idempotency_key: ['fuzz-key-1', 'fuzz-key-2'],
    scopes: [['read'], ['read', 'write']],
    limit: [1, 10, 100],
    session_id: ['cs_test_nope'],
    since: ['1h', '3d'],
    plan_type: ['full', 'token'],
    plan_id: [1, 2],
    priceId: ['price_nope'],
  };
});

after(async () => {
  await t?.app.close();
  await tdb?.destroy();
});

// --- arbitraries ---------------------------------------------------------------------------------

/** Any generated value as text (objects from fc.dictionary have no prototype, so no toString). */
function asText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
}

/**
 * Percent-encodes any string, unpaired surrogates included (encodeURIComponent throws on those):
 * each becomes the three bytes a careless encoder would send (WTF-8), which are not valid UTF-8.
 */
function encode(s: string): string {
  let out = '';
  for (const ch of s) {
    const u = ch.charCodeAt(0);
    if (ch.length === 1 && u >= 0xd800 && u <= 0xdfff) {
      const bytes = [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

const hostileText = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '😀',
    '\u202eevil',
    '',
    ' ',
    'null',
    'undefined',
    'NaN',
    '-1',
    '0',
    '1e400',
    '9007199254740993',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection probe, meant literally
    '${jndi:ldap://x}',
    '%00',
    'https://evil.example.com/',
    '//evil.example.com',
    'javascript:alert(1)',
    'me',
    'usd',
    'x'.repeat(5_000),
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 12 }),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    1.5,
    0.1,
    49,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    1e308,
    -1e308,
    99_999_999,
    100_000_000,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileText, tie('value'), { maxKeys: 3 }),
  ),
}));

/** A value for a named field: often one that passes validation, else anything. */
function fieldValue(name: string, schema: Json): fc.Arbitrary<unknown> {
  const known = good[name] ?? (Array.isArray(schema.enum) ? (schema.enum as unknown[]) : undefined);
  const plausible: fc.Arbitrary<unknown>[] = known && known.length > 0 ? [fc.constantFrom(...known)] : [];
  if (schema.type === 'integer' || schema.type === 'number')
    plausible.push(fc.integer({ min: 1, max: 5000 }));
  if (schema.type === 'boolean') plausible.push(fc.boolean());
  return plausible.length > 0 ? fc.oneof(...plausible, ...plausible, hostileValue) : hostileValue;
}

/** A nesting far deeper than any parser's recursion: arrays or objects, 1,000 to 100,000 levels. */
const deepJson = fc
  .tuple(fc.constantFrom(1_000, 10_000, 100_000), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

type Body = { text: string; contentType: string | undefined };

function bodyFor(route: FuzzRoute): fc.Arbitrary<Body | undefined> {
  const fields = route.body.map((p) => fc.option(fieldValue(p.name, p.schema), { nil: undefined, freq: 3 }));
  const shaped = fc
    .tuple(fc.tuple(...fields), fc.dictionary(hostileText, hostileValue, { maxKeys: 2 }), fc.boolean())
    .map(([values, extra, withExtra]) => {
      const obj: Json = {};
      route.body.forEach((p, i) => {
        if (values[i] !== undefined) obj[p.name] = values[i];
      });
      if (withExtra) Object.assign(obj, extra);
      return obj;
    });
  const json = (v: fc.Arbitrary<unknown>) =>
    v.map((x): Body => ({ text: JSON.stringify(x) ?? 'null', contentType: 'application/json' }));
  return fc.oneof(
    { weight: 6, arbitrary: json(shaped) },
    { weight: 1, arbitrary: json(hostileValue) },
    {
      weight: 1,
      arbitrary: deepJson.map((text): Body => ({ text, contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            '{',
            '{"a":',
            '[1,]',
            '\u0000',
            '{"a":"\\ud800"}',
            '{"a":"\\u0000"}',
            'null',
            '""',
            '{}',
          ),
          fc.constantFrom(
            'application/json',
            'application/json; charset=latin1',
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/octet-stream',
            undefined,
          ),
        )
        .map(([text, contentType]): Body => ({ text, contentType })),
    },
    {
      weight: 1,
      arbitrary: shaped.map(
        (obj): Body => ({
          text: Object.entries(obj)
            .map(([k, v]) => `${encode(k)}=${encode(asText(v))}`)
            .join('&'),
          contentType: 'application/x-www-form-urlencoded',
        }),
      ),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A path segment: a real id, a hostile string (encoded), or raw junk. */
function segment(name: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fieldValue(name, {}).map((v) => encode(asText(v))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%00',
        '%ED%A0%80',
        '%FF',
        '%',
        '%zz',
        '..',
        '%2e%2e',
        'a'.repeat(250),
        '%2F',
      ),
    },
  );
}

function queryFor(route: FuzzRoute): fc.Arbitrary<string> {
  const known = route.query.map((q) =>
    fc.option(
      fieldValue(q.name, q.schema).map((v) => `${q.name}=${encode(asText(v))}`),
      { nil: undefined, freq: 2 },
    ),
  );
  return fc
    .tuple(
      fc.tuple(...known),
      fc.array(
        fc.oneof(
          fc.tuple(hostileText, hostileText).map(([k, v]) => `${encode(k)}=${encode(v)}`),
          fc.constantFrom('%00=1', 'a=%ED%A0%80', '=', '&&', 'a[b]=1', 'a=1&a=2', '%=%'),
        ),
        { maxLength: 2 },
      ),
    )
    .map(([k, extra]) => {
      const parts = [...k.filter((p): p is string => p !== undefined), ...extra];
      return parts.length > 0 ? `?${parts.join('&')}` : '';
    });
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

function requestFor(route: FuzzRoute): fc.Arbitrary<FuzzRequest> {
  const path = fc.tuple(...route.pathParams.map((p) => segment(p))).map((values) => {
    let i = 0;
    return route.url.replace(/:([A-Za-z_]+)|\*/g, () => values[i++] ?? 'x');
  });
  return fc
    .record({
      path,
      query: queryFor(route),
      body: bodyFor(route),
      auth: fc.option(fc.constantFrom(...credentials), { nil: undefined, freq: 2 }),
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD') },
      ),
      idempotency: fc.option(
        fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), fc.constantFrom('k1', 'k2')),
        { nil: undefined, freq: 4 },
      ),
      signed: fc.boolean(),
      junkSignature: fc.constantFrom(
        't=1,v1=00',
        'garbage',
        't=abc',
        `t=${Math.floor(Date.now() / 1000)},v1=${'a'.repeat(64)}`,
      ),
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.auth) headers.authorization = r.auth;
      if (r.idempotency !== undefined) headers['idempotency-key'] = r.idempotency;
      const hasBody = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD';
      if (hasBody && r.body?.contentType) headers['content-type'] = r.body.contentType;
      if (route.webhook) {
        headers['stripe-signature'] =
          r.signed && hasBody
            ? Stripe.webhooks.generateTestHeaderString({ payload: r.body!.text, secret: TEST_WEBHOOK_SECRET })
            : r.junkSignature;
      }
      return {
        method: r.method,
        url: `${r.path}${r.query}`,
        headers,
        ...(hasBody ? { payload: r.body!.text } : {}),
      };
    });
}

/** Paths that match no route, or try to escape one. */
const junkPath = fc
  .tuple(
    fc.constantFrom(
      '/',
      '//',
      '/v1/../admin/api-keys',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/v1/customers/',
      '/v2',
      '/\u00e9',
    ),
    fc.string({ maxLength: 20 }),
  )
  .map(([p, s]): FuzzRequest => ({ method: 'GET', url: `${p}${encode(s)}`, headers: {} }));

describe('fuzzing every route', () => {
  test(`${RUNS} hostile requests: no 5xx, every JSON error in paydesk's shape`, async () => {
    const request = fc.oneof(
      // The docs and metrics render whole documents per request: each is in the pool once, the
      // others four times, so that the requests go where the input handling is.
      {
        weight: 30,
        arbitrary: fc
          .constantFrom(...routes.flatMap((r) => (/^\/(docs|metrics)/.test(r.url) ? [r] : [r, r, r, r])))
          .chain(requestFor),
      },
      { weight: 1, arbitrary: junkPath },
    );
    let sent = 0;
    const profile = new Map<string, { n: number; ms: number }>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        sent++;
        const started = performance.now();
        const r = await t.app.inject(req);
        if (process.env.PAYDESK_FUZZ_PROFILE) {
          const key = `${req.method} ${req.url.split('?')[0]!.slice(0, 40)} ${r.statusCode}`;
          const p = profile.get(key) ?? { n: 0, ms: 0 };
          p.n++;
          p.ms += performance.now() - started;
          profile.set(key, p);
        }
        assert.ok(r.statusCode < 500, `${req.method} ${req.url} → ${r.statusCode}: ${r.body.slice(0, 500)}`);
        const json = String(r.headers['content-type'] ?? '').startsWith('application/json');
        // HEAD answers carry the headers of the GET, without its body.
        if (r.statusCode >= 400 && json && req.method !== 'HEAD') {
          const body = JSON.parse(r.body) as { error?: { code?: unknown; request_id?: unknown } };
          assert.ok(
            isErrorCode(body.error?.code),
            `${req.method} ${req.url}: not paydesk's error shape: ${r.body}`,
          );
          assert.equal(typeof body.error?.request_id, 'string');
        }
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: false },
    );
    assert.ok(sent >= RUNS, `${sent} requests sent`);
    if (process.env.PAYDESK_FUZZ_PROFILE) {
      const top = [...profile].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
      for (const [k, v] of top) console.log(`${Math.round(v.ms)} ms  ${v.n}×  ${k}`);
    }
  });

  test('every route was in the pool, documented ones and listed ones', () => {
    const names = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const r of t.app.routeInventory)
      assert.ok(names.has(`${r.method} ${r.url}`), `${r.method} ${r.url}`);
    // The compat routes and the webhook aliases are among them (documented in /docs/json).
    for (const name of [
      'POST /create-checkout-session',
      'GET /api/checkout/session',
      'POST /webhook',
      'POST /billing/stripe/webhook/',
    ])
      assert.ok(names.has(name), name);
  });
});
