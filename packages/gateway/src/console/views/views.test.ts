// The table views without a browser: every view's page and export answer a signed-in operator; bad
// filters and forged cursors are 400s (never a 500); without a session pages go to sign-in and posts
// are refused; a post without the session's CSRF token, or from a read-only sign-in, changes nothing.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { TEST_ADMIN_KEY } from '../../testing/app.js';
import { useTestApp } from '../../testing/setup.js';

const READONLY_KEY = 'pdr_test_readonly_key_for_console_views_0123';
const routes: { method: string; url: string }[] = [];
const t = useTestApp({
  syncCatalog: false,
  env: { PAYDESK_CONSOLE_READONLY_KEY: READONLY_KEY },
  onRoute: (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      if (method !== 'HEAD' && route.url.startsWith('/console/') && !/sign-|assets|audit/.test(route.url))
        routes.push({ method, url: route.url });
  },
});

function cookiesOf(res: { headers: Record<string, unknown> }, jar: Map<string, string>): void {
  const set = res.headers['set-cookie'];
  for (const c of set === undefined ? [] : Array.isArray(set) ? set : [String(set)]) {
    const [name, value] = String(c).split(';')[0]!.split('=') as [string, string];
    jar.set(name, value);
  }
}

const header = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

/** Signs in with `key` as a browser does; returns its cookies and a page's CSRF token. */
async function signIn(key: string): Promise<{ cookie: string; csrf: string }> {
  const jar = new Map<string, string>();
  const form = await t.app.inject({ method: 'GET', url: '/console/sign-in' });
  cookiesOf(form, jar);
  const res = await t.app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfOf(form.body), key, next: '/console' }).toString(),
  });
  assert.equal(res.statusCode, 303, res.body);
  cookiesOf(res, jar);
  const page = await t.app.inject({
    method: 'GET',
    url: '/console/api-keys',
    headers: { cookie: header(jar) },
  });
  return { cookie: header(jar), csrf: csrfOf(page.body) };
}

let admin: { cookie: string; csrf: string };
let reader: { cookie: string; csrf: string };
before(async () => {
  await t.ready;
  admin = await signIn(TEST_ADMIN_KEY);
  reader = await signIn(READONLY_KEY);
});

const lists = [
  '/console/payments',
  '/console/subscriptions',
  '/console/customers',
  '/console/credits',
  '/console/refunds',
  '/console/disputes',
  '/console/events',
  '/console/jobs',
  '/console/notifications',
];

function get(url: string, cookie = admin.cookie) {
  return t.app.inject({ method: 'GET', url, headers: { cookie } });
}

function post(url: string, form: Record<string, string>, cookie = admin.cookie) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

describe('console table views', () => {
  test('every list answers a page and a CSV with its header', async () => {
    for (const url of [...lists, '/console/whmcs', '/console/api-keys']) {
      const page = await get(url);
      assert.equal(page.statusCode, 200, `${url}: ${page.body.slice(0, 200)}`);
      assert.match(page.headers['content-type'] as string, /^text\/html/);
      assert.match(page.body, /<h1>/);
    }
    for (const url of [...lists, '/console/whmcs', '/console/api-keys']) {
      const csv = await get(`${url}?format=csv`);
      assert.equal(csv.statusCode, 200, url);
      assert.match(csv.headers['content-type'] as string, /^text\/csv/);
      assert.match(
        csv.headers['content-disposition'] as string,
        /^attachment; filename="[a-z-]+-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      assert.ok(
        csv.body.endsWith('\r\n') && csv.body.split('\r\n')[0]!.includes(','),
        `${url}: a header line`,
      );
    }
  });

  test('bad filters, page sizes and cursors are 400 pages naming the problem, never 500', async () => {
    for (const url of [
      '/console/payments?status=lost',
      '/console/payments?currency=dollars',
      '/console/payments?from=yesterday',
      '/console/payments?limit=7',
      '/console/payments?cursor=%3Cscript%3E',
      '/console/events?type=DROP%20TABLE',
      '/console/jobs?status=zombie',
      '/console/credits?reason=gift',
      '/console/events/not-an-event',
    ]) {
      const r = await get(url);
      assert.equal(r.statusCode, 400, `${url}: ${r.statusCode}`);
      assert.match(r.headers['content-type'] as string, /^text\/html/, url);
    }
    for (const url of [
      '/console/payments/pay_missing',
      '/console/customers/cust_missing',
      '/console/events/evt_missing',
    ]) {
      assert.equal((await get(url)).statusCode, 404, url);
    }
  });

  test('an unknown console page is a 404 page in the console layout; signed out, the sign-in form first', async () => {
    for (const url of [
      '/console/nope',
      '/console/payments/pi_missing',
      '/console/a/b/c?x=1',
      '/console/events/evt_missing',
      '/console/notifications/ntf_missing',
    ]) {
      const r = await get(url);
      assert.equal(r.statusCode, 404, url);
      assert.match(r.headers['content-type'] as string, /^text\/html/, url);
      assert.match(r.body, /<title>Not found · [^<]+ console<\/title>/, url);
      assert.match(r.body, /<nav aria-label="Console" class="console-nav">/, `${url}: the console's nav`);
      assert.match(r.body, /<a class="button" href="\/console">Back to the overview<\/a>/, url);
    }
    assert.match((await get('/console/nope')).body, /There is no console page at \/console\/nope\./);
    const head = await t.app.inject({
      method: 'HEAD',
      url: '/console/nope',
      headers: { cookie: admin.cookie },
    });
    assert.equal(head.statusCode, 404);
    for (const url of ['/console/nope', '/console/payments/pi_missing']) {
      const out = await t.app.inject({ method: 'GET', url });
      assert.equal(out.statusCode, 303, url);
      assert.equal(out.headers.location, `/console/sign-in?next=${encodeURIComponent(url)}`);
    }
    // Outside /console/ the API's JSON 404 is unchanged.
    const api = await t.app.inject({ method: 'GET', url: '/v1/nope' });
    assert.equal(api.statusCode, 404);
    assert.match(api.headers['content-type'] as string, /^application\/json/);
  });

  test('a customer filter that names nobody shows nothing (not everyone)', async () => {
    await t.context.db.query(
      `INSERT INTO customers (id, external_id) VALUES ('cust_views_1', 'views-1');
       `.trim(),
    );
    await t.context.db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, paid_at)
       VALUES ('pay_views_1', 'pi_views_1', 'cust_views_1', 700, 'usd', 'payment_intent', now())`,
    );
    assert.match((await get('/console/payments?customer=views-1')).body, /pay_views_1/);
    const none = await get('/console/payments?customer=nobody%40example.com');
    assert.doesNotMatch(none.body, /pay_views_1/);
    assert.match(none.body, /No payment matches/);
  });

  test('a disputed payment carries its dispute badge; the disputed filter shows only it', async () => {
    await t.context.db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, paid_at, dispute_status)
       VALUES ('pay_views_2', 'pi_views_2', 'cust_views_1', 900, 'eur', 'payment_intent', now(), 'needs_response')`,
    );
    const page = (await get('/console/payments?status=disputed')).body;
    assert.match(page, /pay_views_2/);
    assert.doesNotMatch(page, /pay_views_1/);
    assert.match(page, /<span class="badge bad">dispute: needs response<\/span>/);
    assert.match(page, /9\.00 EUR/);
  });

  test('customers: access is what the entitlements API answers (none once a past-due grace period ended)', async () => {
    const key = await t.apiKey(['read', 'write']);
    const made: Record<string, string> = {};
    for (const [ext, status, since] of [
      ['views-active', 'active', null],
      ['views-grace', 'past_due', new Date(t.context.now().getTime() - 3_600_000)],
      ['views-lapsed', 'past_due', new Date(t.context.now().getTime() - 90 * 86_400_000)],
    ] as const) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/customers',
        headers: { authorization: `Bearer ${key}` },
        payload: { external_id: ext },
      });
      assert.equal(r.statusCode, 201, r.body);
      made[ext] = JSON.parse(r.body).id as string;
      await t.context.db.query(
        `INSERT INTO entitlements (customer_id, plan, status, keys, past_due_since) VALUES ($1, 'pro', $2, $3, $4)`,
        [made[ext], status, ['api', 'export'], since],
      );
    }
    for (const [ext, id] of Object.entries(made)) {
      const api = await t.app.inject({
        method: 'GET',
        url: `/v1/customers/${id}/entitlements`,
        headers: { authorization: `Bearer ${key}` },
      });
      const access = (JSON.parse(api.body) as { access: string[] }).access;
      assert.deepEqual(access, ext === 'views-lapsed' ? [] : ['api', 'export'], ext);
      const page = (await get(`/console/customers/${id}`)).body;
      const shown = /<dt>Access<\/dt><dd>([^<]*)/.exec(page)?.[1]?.trim();
      assert.equal(
        shown,
        access.length > 0 ? access.join(', ') : 'none',
        `${ext}: the console shows the API's access`,
      );
      if (ext === 'views-lapsed') assert.match(page, /past due: grace ended/);
      if (ext === 'views-grace') assert.match(page, /past due: grace until/);
      const csv = (await get(`/console/customers?customer=${ext}&format=csv`)).body.split('\r\n')[1]!;
      assert.ok(csv.startsWith(`${ext},`), csv);
      assert.ok(csv.includes(`,${access.join(' ')},`), `${ext}: ${csv}`);
    }
  });

  test('without a session: pages go to sign-in, posts are refused', async () => {
    assert.ok(routes.length >= 20, `the views' routes were found (${routes.length})`);
    for (const r of routes) {
      const url = r.url
        .replace(
          ':id',
          r.url.includes('/events/') ? 'evt_x1' : r.url.includes('/notifications/') ? 'ntf_x1' : '1',
        )
        .replace(':session', 'cs_x1');
      const res =
        r.method === 'GET' ? await t.app.inject({ method: 'GET', url }) : await post(url, { _csrf: 'x' }, '');
      if (r.method === 'GET') {
        assert.equal(res.statusCode, 303, `${r.method} ${url}`);
        assert.match(res.headers.location as string, /^\/console\/sign-in\?next=/);
      } else assert.ok([400, 401].includes(res.statusCode), `${r.method} ${url}: ${res.statusCode}`);
    }
  });

  test('a post without the CSRF token, or from a read-only sign-in, is refused and changes nothing', async () => {
    const keys = async () => (await t.context.db.query('SELECT id FROM api_keys')).rows.length;
    const before = await keys();
    const noToken = await post('/console/api-keys', { name: 'forged', scopes: 'read' });
    assert.equal(noToken.statusCode, 403);
    const wrongToken = await post('/console/api-keys', {
      _csrf: reader.csrf,
      name: 'forged',
      scopes: 'read',
    });
    assert.equal(wrongToken.statusCode, 403);
    const readOnly = await post(
      '/console/api-keys',
      { _csrf: reader.csrf, name: 'forged', scopes: 'read' },
      reader.cookie,
    );
    assert.equal(readOnly.statusCode, 403);
    assert.match(readOnly.body, /read-only/);
    assert.equal(await keys(), before, 'no key was made');
    const made = await post('/console/api-keys', { _csrf: admin.csrf, name: 'real', scopes: 'read' });
    assert.equal(made.statusCode, 201);
    assert.match(made.body, /pdk_\w+/);
    assert.equal(await keys(), before + 1);
  });

  test('credits: an adjustment below zero is refused (409) with nothing written or audited', async () => {
    const audited = async () =>
      (await t.context.db.query("SELECT id FROM audit_log WHERE action = 'credits.adjust'")).rows.length;
    const r = await post('/console/customers/cust_views_1/credits', {
      _csrf: admin.csrf,
      idempotency_key: 'console-views-1',
      amount: '-5',
      note: 'Take back',
    });
    assert.equal(r.statusCode, 409);
    assert.match(r.body, /Not enough credits/);
    assert.equal(await audited(), 0);
    const ok = await post('/console/customers/cust_views_1/credits', {
      _csrf: admin.csrf,
      idempotency_key: 'console-views-2',
      amount: '5',
      note: 'Welcome',
    });
    assert.equal(ok.statusCode, 303);
    assert.equal(await audited(), 1);
  });
});
