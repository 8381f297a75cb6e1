// The operator console without a browser: sign-in with the admin key (never in a URL or a log),
// sessions (HttpOnly, SameSite=Strict, rotated at sign-in so a planted id is never adopted, expiring,
// signed out), CSRF on every form, the read-only key that can look and not act, user tokens and API
// keys refused, and the audit log written with each action.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { count, money, shortDay } from '../pages/format.js';
import { html } from '../pages/html.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { type ConsoleView, csrfBody } from './kit.js';
import { advanceRollup, revenueByDay } from './overview-store.js';
import { amount, dayLabel, whole } from './overview-view.js';
import { actionForm, csvCell, decodeCursor, encodeCursor } from './ui.js';

const READONLY_KEY = 'pdr_test_readonly_key_0123456789abcdefghij';
let tdb: TestDatabase;
let t: TestApp;
let clock = Date.parse('2026-11-20T12:00:00Z');
const consoleRoutes: { method: string; url: string }[] = [];

/** A view as console-tables writes them: a page with an action, through kit.act. */
const probeView: ConsoleView = {
  nav: { path: '/console/probe', label: 'Probe' },
  register(app, kit) {
    app.get('/console/probe', { schema: { hide: true } }, async (request, reply) => {
      const session = await kit.viewer(request, reply);
      if (!session) return reply;
      return kit.page(reply, 200, {
        title: 'Probe',
        current: '/console/probe',
        session,
        body: html`<h1>Probe</h1>${actionForm(session, { action: '/console/probe/poke', label: 'Poke', fields: { what: 'x1' } })}`,
      });
    });
    app.post(
      '/console/probe/poke',
      { schema: { hide: true, body: z.object({ _csrf: csrfBody, what: z.string().max(20) }) } },
      async (request, reply) => {
        await kit.act(request, request.body._csrf, async (tx) => {
          await tx.query('SELECT 1');
          return {
            result: undefined,
            audit: { action: 'probe.poke', target: request.body.what, details: { n: 1 } },
          };
        });
        return reply.code(303).header('location', '/console/probe').send();
      },
    );
  },
};

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), {
    now: () => new Date(clock),
    env: { PAYDESK_CONSOLE_READONLY_KEY: READONLY_KEY, PAYDESK_CONSOLE_SESSION_MINUTES: '60' },
    consoleViews: [probeView],
    onRoute: (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods)
        if (method !== 'HEAD' && route.url.startsWith('/console'))
          consoleRoutes.push({ method, url: route.url });
    },
  });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

type Res = Awaited<ReturnType<TestApp['app']['inject']>>;

/** A browser's cookie jar. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Res): Res {
    const set = res.headers['set-cookie'];
    for (const c of set === undefined ? [] : Array.isArray(set) ? set : [set]) {
      this.setCookies.push(c);
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
  async get(url: string, headers: Record<string, string> = {}): Promise<Res> {
    return this.take(
      await t.app.inject({ method: 'GET', url, headers: { cookie: this.header(), ...headers } }),
    );
  }
  async post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Res> {
    return this.take(
      await t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: this.header(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(form).toString(),
      }),
    );
  }
  static csrf(res: Res): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    assert.ok(m, 'the page has a form with a CSRF token');
    return m[1]!;
  }
  /** Opens the sign-in form and signs in with `key`. */
  async signIn(key: string, operator = ''): Promise<Res> {
    const form = await this.get('/console/sign-in');
    assert.equal(form.statusCode, 200);
    return this.post('/console/sign-in', { _csrf: Browser.csrf(form), key, operator, next: '/console' });
  }
}

async function auditRows(): Promise<{ actor: string; action: string; target: string | null }[]> {
  const { rows } = await t.context.db.query<{ actor: string; action: string; target: string | null }>(
    'SELECT actor, action, target FROM audit_log ORDER BY id',
  );
  return rows;
}

describe('console sign-in', () => {
  test('without a session every console page sends the browser to sign in; every post is refused', async () => {
    assert.ok(consoleRoutes.length >= 6, `found the console routes (${consoleRoutes.length})`);
    for (const r of consoleRoutes) {
      if (r.url === '/console/sign-in' || r.url.startsWith('/console/assets')) continue;
      const url = r.url.replace(/:(\w+)/g, 'x1');
      const res = await t.app.inject({
        method: r.method as 'GET',
        url,
        ...(r.method === 'POST'
          ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '_csrf=x' }
          : {}),
      });
      if (r.method === 'GET') {
        assert.equal(res.statusCode, 303, `${r.method} ${url}`);
        assert.match(String(res.headers.location), /^\/console\/sign-in\?next=/);
      }
      // 400: the body is refused before anything looks at it; either way nothing happens.
      else assert.ok([400, 401, 403].includes(res.statusCode), `${r.method} ${url}: ${res.statusCode}`);
    }
  });

  test('a user token, an API key or the admin key as a bearer token does not open the console', async () => {
    const user = await t.userToken('console-user');
    const key = await t.apiKey(['read', 'write', 'refunds']);
    for (const bearer of [user, key, TEST_ADMIN_KEY]) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/console',
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(res.statusCode, 303);
      assert.match(String(res.headers.location), /^\/console\/sign-in/);
      // Nor does one typed into the sign-in form (only the admin and read-only keys do).
      if (bearer !== TEST_ADMIN_KEY) {
        const b = new Browser();
        const refused = await b.signIn(bearer);
        assert.equal(refused.statusCode, 401);
        assert.match(refused.body, /That key was not accepted/);
        assert.equal(b.cookies.get('paydesk_console'), undefined);
      }
    }
  });

  test('the admin key signs in: a new HttpOnly, SameSite=Strict session cookie; the key is in no URL and no log', async () => {
    const b = new Browser();
    const res = await b.signIn(TEST_ADMIN_KEY, 'Ada');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/console');
    const cookie = b.setCookies.find((c) => c.startsWith('paydesk_console='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, new RegExp(TEST_ADMIN_KEY));
    const overview = await b.get('/console');
    assert.equal(overview.statusCode, 200);
    assert.match(overview.body, /Overview/);
    assert.match(overview.body, /Ada/);
    assert.ok(!t.logs.lines.some((l) => l.includes(TEST_ADMIN_KEY)), 'the admin key is never logged');
    assert.ok(!overview.body.includes(TEST_ADMIN_KEY));
    const last = (await auditRows()).at(-1)!;
    assert.deepEqual(last, { actor: 'Ada (admin key)', action: 'console.sign_in', target: null });
  });

  test('the sign-in form needs its CSRF token; a wrong key gets no session', async () => {
    const b = new Browser();
    const form = await b.get('/console/sign-in');
    const missing = await b.post('/console/sign-in', { key: TEST_ADMIN_KEY });
    assert.equal(missing.statusCode, 403);
    const wrong = await b.post('/console/sign-in', { _csrf: 'x'.repeat(43), key: TEST_ADMIN_KEY });
    assert.equal(wrong.statusCode, 403);
    assert.equal(b.cookies.get('paydesk_console'), undefined);
    const badKey = await b.post('/console/sign-in', { _csrf: Browser.csrf(form), key: `${TEST_ADMIN_KEY}x` });
    assert.equal(badKey.statusCode, 401);
    assert.equal(b.cookies.get('paydesk_console'), undefined);
  });

  test('session fixation: an id planted before sign-in is replaced, never adopted, and opens nothing', async () => {
    const b = new Browser();
    const planted = 'attacker-chosen-session-id-0123456789abcdefgh';
    b.cookies.set('paydesk_console', planted);
    await b.signIn(TEST_ADMIN_KEY);
    const issued = b.cookies.get('paydesk_console')!;
    assert.notEqual(issued, planted);
    const attacker = await t.app.inject({
      method: 'GET',
      url: '/console',
      headers: { cookie: `paydesk_console=${planted}` },
    });
    assert.equal(attacker.statusCode, 303);
    // A live session (say, the attacker's own read-only one) planted in a browser ends when the
    // victim signs in there: the victim's admin session never shares an id the attacker knows.
    const mallory = new Browser();
    await mallory.signIn(READONLY_KEY);
    const malloryId = mallory.cookies.get('paydesk_console')!;
    const victim = new Browser();
    victim.cookies.set('paydesk_console', malloryId);
    await victim.signIn(TEST_ADMIN_KEY);
    assert.notEqual(victim.cookies.get('paydesk_console'), malloryId);
    assert.equal((await mallory.get('/console')).statusCode, 303, 'the planted session was ended');
    assert.equal((await victim.get('/console')).statusCode, 200);
  });

  test('a session expires after PAYDESK_CONSOLE_SESSION_MINUTES', async () => {
    const b = new Browser();
    await b.signIn(TEST_ADMIN_KEY);
    clock += 59 * 60_000;
    assert.equal((await b.get('/console')).statusCode, 200);
    clock += 2 * 60_000;
    const res = await b.get('/console');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/console/sign-in?next=%2Fconsole');
  });

  test('sign-out needs the CSRF token, ends the session at once and is audited', async () => {
    const b = new Browser();
    await b.signIn(TEST_ADMIN_KEY, 'Grace');
    const page = await b.get('/console');
    const copied = b.header();
    assert.equal((await b.post('/console/sign-out', {})).statusCode, 403);
    assert.equal((await b.post('/console/sign-out', { _csrf: 'nope' })).statusCode, 403);
    const out = await b.post('/console/sign-out', { _csrf: Browser.csrf(page) });
    assert.equal(out.statusCode, 303);
    assert.equal(b.cookies.get('paydesk_console'), undefined);
    const again = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: copied } });
    assert.equal(again.statusCode, 303, 'a copied cookie stops working at once');
    assert.deepEqual((await auditRows()).at(-1), {
      actor: 'Grace (admin key)',
      action: 'console.sign_out',
      target: null,
    });
  });

  test('next= only ever leads to a console page', async () => {
    const b = new Browser();
    const form = await b.get('/console/sign-in');
    for (const next of [
      'https://evil.example/',
      '//evil.example/console',
      '/pricing',
      '/console//evil.example',
      '/consolex',
    ]) {
      const res = await b.post('/console/sign-in', { _csrf: Browser.csrf(form), key: TEST_ADMIN_KEY, next });
      assert.equal(res.headers.location, '/console', next);
    }
    const res = await b.post('/console/sign-in', {
      _csrf: Browser.csrf(form),
      key: TEST_ADMIN_KEY,
      next: '/console/audit?action=x',
    });
    assert.equal(res.headers.location, '/console/audit?action=x');
  });
});

describe('console actions', () => {
  test('an action needs the session and its CSRF token, and is audited in its transaction', async () => {
    const b = new Browser();
    await b.signIn(TEST_ADMIN_KEY, 'Linus');
    const page = await b.get('/console/probe');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /aria-current="page">Probe</);
    const before = (await auditRows()).length;
    assert.equal((await b.post('/console/probe/poke', { what: 'x1' })).statusCode, 403, 'no CSRF token');
    assert.equal((await b.post('/console/probe/poke', { _csrf: 'wrong', what: 'x1' })).statusCode, 403);
    const other = new Browser();
    await other.signIn(TEST_ADMIN_KEY);
    const otherToken = Browser.csrf(await other.get('/console/probe'));
    assert.equal(
      (await b.post('/console/probe/poke', { _csrf: otherToken, what: 'x1' })).statusCode,
      403,
      "another session's token",
    );
    assert.equal((await auditRows()).length, before + 1, 'only the other sign-in was recorded');
    const ok = await b.post('/console/probe/poke', { _csrf: Browser.csrf(page), what: 'x1' });
    assert.equal(ok.statusCode, 303);
    assert.deepEqual((await auditRows()).at(-1), {
      actor: 'Linus (admin key)',
      action: 'probe.poke',
      target: 'x1',
    });
  });

  test('the read-only key sees every page and can do nothing', async () => {
    const b = new Browser();
    assert.equal((await b.signIn(READONLY_KEY, 'Intern')).statusCode, 303);
    const page = await b.get('/console/probe');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Read-only/);
    assert.match(page.body, /<button type="submit" disabled title="Read-only sign-in">Poke<\/button>/);
    const before = (await auditRows()).length;
    const refused = await b.post('/console/probe/poke', { _csrf: Browser.csrf(page), what: 'x1' });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /read-only/);
    assert.equal((await auditRows()).length, before);
    assert.equal((await b.get('/console/audit')).statusCode, 200);
  });

  test('the audit log view lists actions, filters them, pages them and exports CSV', async () => {
    const b = new Browser();
    await b.signIn(TEST_ADMIN_KEY, 'Auditor');
    const page = await b.get('/console/audit?action=probe.poke');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Linus \(admin key\)/);
    assert.doesNotMatch(page.body, /console\.sign_out<\/code>/);
    const csv = await b.get('/console/audit?action=probe.poke&format=csv');
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0], 'id,at,actor,action,target,details');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /,Linus \(admin key\),probe\.poke,x1,"\{""n"":1\}"$/);
    assert.equal((await b.get('/console/audit?cursor=bogus')).statusCode, 400);
    assert.equal((await b.get(`/console/audit?cursor=${encodeCursor(['1 OR 1=1'])}`)).statusCode, 400);
  });
});

describe('console overview', () => {
  test('closed hours are added up once; revenue adds the rolled-up and the live rows as SQL does', async () => {
    const db = t.context.db;
    // As before the first overview: nothing added up yet (the rows below are written hours ago).
    await db.exec(
      "DELETE FROM console_payment_hours; UPDATE console_rollups SET closed_through = '1970-01-01T00:00:00Z'",
    );
    await db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, amount, currency, source, paid_at, created_at)
       VALUES ('pay_roll1', 'pi_roll1', 700, 'usd', 'checkout', now() - interval '3 hours', now() - interval '3 hours'),
              ('pay_roll2', 'pi_roll2', 300, 'usd', 'checkout', now() - interval '3 hours', now()),
              ('pay_roll3', 'pi_roll3', 900, 'eur', 'checkout', now() - interval '30 hours', now() - interval '2 hours')`,
    );
    await advanceRollup(db, 'payments');
    assert.equal(await advanceRollup(db, 'payments'), 0, 'nothing is added twice');
    const { rows: rolled } = await db.query<{ n: string }>(
      "SELECT coalesce(sum(amount), 0)::text AS n FROM console_payment_hours WHERE currency IN ('usd', 'eur')",
    );
    assert.equal(
      rolled[0]!.n,
      '1600',
      'the two payments written hours ago were rolled up; the new one was not',
    );
    const { rows: days } = await db.query<{ from: string; to: string }>(
      `SELECT (now() AT TIME ZONE 'UTC')::date - 5 AS "from", (now() AT TIME ZONE 'UTC')::date AS "to"`,
    );
    const iso = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d));
    const rows = await revenueByDay(db, { from: iso(days[0]!.from), to: iso(days[0]!.to) });
    const { rows: truth } = await db.query<{ day: string; currency: string; amount: string }>(
      `SELECT (paid_at AT TIME ZONE 'UTC')::date::text AS day, currency, sum(amount)::text AS amount FROM payments
       WHERE paid_at >= ($1::date)::timestamp AT TIME ZONE 'UTC' GROUP BY 1, 2 ORDER BY 1, 2`,
      [iso(days[0]!.from)],
    );
    assert.deepEqual(
      rows.map((r) => [r.day, r.currency, r.amount]),
      truth.map((r) => [r.day, r.currency, r.amount]),
    );
  });

  test('the page computes its figures afresh on every load (no cache)', async () => {
    const b = new Browser();
    await b.signIn(TEST_ADMIN_KEY);
    const asOf = (body: string) => /Figures as of <time datetime="([^"]+)"/.exec(body)?.[1];
    const first = await b.get('/console?days=7');
    assert.equal(first.statusCode, 200);
    assert.equal(asOf(first.body), new Date(clock).toISOString());
    clock += 1_000;
    const later = asOf((await b.get('/console?days=7')).body);
    assert.equal(later, new Date(clock).toISOString());
    assert.equal((await b.get('/console?days=8')).statusCode, 400);
    assert.equal((await b.get('/console?currency=US')).statusCode, 400);
  });
});

describe('console ui helpers', () => {
  test('CSV cells are quoted and formulas defused', () => {
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('-12.5'), '-12.5');
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell(null), '');
  });
  test("the overview's own number, money and day formats give count()'s, money()'s and shortDay()'s text", () => {
    for (const n of [
      0,
      7,
      -7,
      999,
      1000,
      -1000,
      12_345,
      999_999,
      1_000_000,
      -123_456_789,
      2 ** 53 - 1,
      1.5,
      -0.25,
    ])
      assert.equal(whole(n), count(n), String(n));
    for (const currency of ['usd', 'eur', 'jpy', 'gbp', 'chf', 'kwd', 'inr', 'xyz'])
      for (const v of [0, 1, 99, 100, 2_900, -2_900, 123_456, 100_000_000, -987_654_321, 2 ** 53 - 1])
        assert.equal(amount(v, currency), money(v, currency), `${v} ${currency}`);
    for (let day = Date.UTC(2024, 0, 1); day < Date.UTC(2025, 0, 1); day += 86_400_000) {
      const iso = new Date(day).toISOString().slice(0, 10);
      assert.equal(dayLabel(iso), shortDay(`${iso}T00:00:00Z`), iso);
    }
  });
  test('cursors round-trip and a forged one is refused', () => {
    assert.deepEqual(decodeCursor(encodeCursor(['2026-01-01', 42]), 2), ['2026-01-01', '42']);
    assert.equal(decodeCursor(undefined, 1), undefined);
    assert.throws(() => decodeCursor(encodeCursor(['a']), 2), /not valid/);
    assert.throws(() => decodeCursor('!!!', 1), /not valid/);
  });
});
