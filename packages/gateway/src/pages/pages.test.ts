// The billing pages without a browser: sign-in through a signed link or the demo, sessions that
// expire and can be signed out, CSRF on every form, another user's things out of reach, escaping,
// headers; and the subscription flow through the forms (the first payment confirmed as Stripe.js
// would), each result checked through paydesk's API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { idempotencyKey } from '../platform/stripe/client.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { html } from './html.js';
import { pricingView } from './views/pricing.js';

let tdb: TestDatabase;
let t: TestApp;
let clock = Date.now();

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { now: () => new Date(clock) });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

type Res = Awaited<ReturnType<TestApp['app']['inject']>>;

/** A browser's cookie jar for one user. */
class Browser {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(res: Res): Res {
    const set = res.headers['set-cookie'];
    for (const c of set === undefined ? [] : Array.isArray(set) ? set : [set]) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
  async get(url: string): Promise<Res> {
    return this.take(await t.app.inject({ method: 'GET', url, headers: { cookie: this.header() } }));
  }
  async post(url: string, form: Record<string, string>): Promise<Res> {
    return this.take(
      await t.app.inject({
        method: 'POST',
        url,
        headers: { cookie: this.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      }),
    );
  }
  /** The CSRF token of the forms on a page. */
  static csrf(res: Res): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    assert.ok(m, 'the page has a form with a CSRF token');
    return m[1]!;
  }
}

async function signedIn(sub: string, email?: string): Promise<Browser> {
  const b = new Browser();
  const token = await t.userToken(sub, { email });
  const res = await b.get(`/sign-in?token=${token}&next=/account`);
  assert.equal(res.statusCode, 303, res.body);
  assert.equal(res.headers.location, '/account');
  return b;
}

async function api<T>(sub: string, url: string): Promise<T> {
  const res = await t.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${await t.userToken(sub)}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  return JSON.parse(res.body) as T;
}

interface SubscriptionView {
  id: string;
  status: string;
  plan: string;
  interval: string;
  cancel_at_period_end: boolean;
}

describe('the escaping template', () => {
  test('every interpolation is escaped unless it is a fragment built the same way', () => {
    const name = '<script>alert("x")</script>&\'';
    const inner = html`<b>${name}</b>`;
    assert.equal(
      html`<p title="${name}">${inner}${[1, 'a<b', null, undefined, false]}</p>`.text,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">' +
        '<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b>1a&lt;b</p>',
    );
  });

  test('a plan with a trial says so; the current plan is marked and offers management, others a switch', () => {
    const plan = (id: string, name: string, trial?: number) => ({
      id,
      name,
      entitlements: ['app.basic'],
      credits: 50,
      credits_mode: 'add' as const,
      ...(trial ? { trial_days: trial } : {}),
      prices: { month: { usd: 1500 } },
    });
    const page = pricingView({
      choice: { interval: 'month', currency: 'usd' },
      currencies: ['usd'],
      plans: [plan('team', 'Team <b>', 14), plan('solo', 'Solo')],
      packs: [],
      user: { csrf: 'tok' },
      currentPlan: 'solo',
      onPage: true,
      notice: undefined,
    }).text;
    assert.match(page, /14-day free trial/);
    assert.match(page, /50 credits every month \(added to your balance\)/);
    assert.match(page, /Team &lt;b&gt;/);
    assert.match(page, /Solo <span class="badge ok">Current plan<\/span>/);
    assert.match(page, /href="\/account\/change\?plan=team&amp;interval=month">Switch to Team &lt;b&gt;/);
    assert.match(page, /Manage your plan/);
  });

  test('a pack cheaper than Stripe’s minimum charge is offered in quantities that reach it', () => {
    const pack = (id: string, credits: number, usd: number) => ({ id, name: id, credits, prices: { usd } });
    const page = pricingView({
      choice: { interval: 'month', currency: 'usd' },
      currencies: ['usd'],
      plans: [],
      packs: [pack('credit', 1, 5), pack('credits-100', 100, 500)],
      user: { csrf: 'tok' },
      currentPlan: undefined,
      onPage: true,
      notice: undefined,
    }).text;
    const options = (id: string) =>
      [...(page.split(`id="qty-${id}"`)[1] ?? '').split('</select>')[0]!.matchAll(/value="(\d+)"/g)].map(
        (m) => Number(m[1]),
      );
    // 5 cents each: 10 of them are the 50-cent minimum.
    assert.deepEqual(options('credit'), [10, 20, 30, 40, 50, 100]);
    assert.deepEqual(options('credits-100'), [1, 2, 3, 4, 5, 10]);
    assert.match(page, /1 credit each, added when paid/);
  });

  test('user data on a page is escaped: an email with markup shows as text', async () => {
    const b = await signedIn('escape-user', '"><script>alert(1)</script>@example.com');
    const res = await b.get('/account');
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(!res.body.includes('<script>alert(1)</script>'));
    assert.ok(res.body.includes('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com'));
  });
});

describe('pages and their headers', () => {
  test('/ goes to pricing; pricing lists plans and packs with prices, no external resources', async () => {
    const root = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 303);
    assert.equal(root.headers.location, '/pricing');
    const res = await t.app.inject({ method: 'GET', url: '/pricing?interval=year&currency=eur' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /Starter/);
    assert.match(res.body, /€80\.00/, 'starter per year in eur');
    assert.match(res.body, /€260\.00/);
    assert.match(res.body, /2,000 credits/);
    assert.match(res.body, /<code>app\.export<\/code>/);
    assert.match(res.body, /100 credits/);
    assert.match(res.body, /Sign in to subscribe/);
    // Every src/href points to this paydesk.
    for (const m of res.body.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.ok(m[1]!.startsWith('/') || m[1]!.startsWith('#'), `local resource: ${m[1]}`);
    }
    const csp = String(res.headers['content-security-policy']);
    const emulator = new URL(t.emulator.url).origin;
    assert.match(csp, /default-src 'none'/);
    assert.ok(csp.includes(`script-src 'self' ${emulator}`), csp);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-store');
    const css = /href="(\/assets\/pages\.[0-9a-f]+\.css)"/.exec(res.body)?.[1];
    assert.ok(css);
    const sheet = await t.app.inject({ method: 'GET', url: css });
    assert.equal(sheet.statusCode, 200);
    assert.match(String(sheet.headers['content-type']), /^text\/css/);
    assert.match(sheet.body, /--brand:#4f46e5/);
    assert.match(sheet.body, /prefers-color-scheme: ?dark/);
  });

  test('pricing is rendered once per catalog choice, yet every form carries its own session’s CSRF token', async () => {
    const tokens = async (b: Browser) => {
      const page = await b.get('/pricing?interval=month&currency=usd');
      assert.equal(page.statusCode, 200);
      assert.ok(!page.body.includes('\u0001'), 'no slot is left in the page');
      return [...page.body.matchAll(/name="_csrf" value="([^"]*)"/g)].map((m) => m[1]);
    };
    const [first, second] = [await signedIn('cache-a'), await signedIn('cache-b')];
    const a = await tokens(first);
    const bTokens = await tokens(second);
    assert.ok(a.length > 2, 'the sign-out form, the subscribe and buy forms');
    assert.equal(new Set(a).size, 1);
    assert.equal(new Set(bTokens).size, 1);
    assert.notEqual(a[0], bTokens[0]);
    assert.deepEqual(await tokens(first), a, 'the first user again, after the second was served');
    const out = await t.app.inject({ method: 'GET', url: '/pricing?interval=month&currency=usd' });
    assert.doesNotMatch(out.body, /name="_csrf"/);
    assert.match(out.body, /Sign in to subscribe/);
  });

  test('an unknown currency or interval falls back to the catalog’s first; a bad form value is a 400 page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/pricing?currency=xxx&interval=decade' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /\$9\.00/);
    const b = await signedIn('bad-form');
    const page = await b.get('/pricing');
    const bad = await b.post('/buy', {
      _csrf: Browser.csrf(page),
      pack: 'credits-100',
      quantity: '0',
      currency: 'usd',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /^text\/html/);
    assert.match(bad.body, /quantity/);
  });
});

describe('sign-in through a signed link', () => {
  test('the token becomes an HttpOnly SameSite=Lax session cookie, the redirect drops it, and it is never logged', async () => {
    const token = await t.userToken('link-user', { email: 'link@example.com' });
    const b = new Browser();
    const res = await b.get(`/sign-in?token=${token}&next=/account`);
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/account');
    const cookie = String(res.headers['set-cookie']);
    assert.match(
      cookie,
      /^paydesk_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax$/,
    );
    const account = await b.get('/account');
    assert.equal(account.statusCode, 200);
    assert.match(account.body, /link@example\.com/);
    assert.ok(!t.logs.text.includes(token), 'the token is not in the log');
    assert.ok(!t.logs.text.includes(token.split('.')[2]!), 'not even its signature');
  });

  test('an expired link, a forged one and one for another audience are refused with a page saying so', async () => {
    const expired = await t.userToken('late-user', { expiresIn: '-1m' });
    const b = new Browser();
    const late = await b.get(`/sign-in?token=${expired}`);
    assert.equal(late.statusCode, 401);
    assert.match(late.body, /This link has expired/);
    assert.equal(late.headers['set-cookie'], undefined);
    const forged = `${(await t.userToken('forger')).slice(0, -4)}AAAA`;
    assert.equal((await b.get(`/sign-in?token=${forged}`)).statusCode, 401);
    const other = await t.userToken('other-aud', { audience: 'someone-else' });
    const refused = await b.get(`/sign-in?token=${other}`);
    assert.equal(refused.statusCode, 401);
    assert.match(refused.body, /not valid/);
    assert.equal((await b.get('/account')).statusCode, 303, 'still signed out');
  });

  test('next= only ever leads to a page of this paydesk (no open redirect)', async () => {
    for (const next of ['//evil.example', 'https://evil.example/', '/\\evil.example']) {
      const token = await t.userToken('redirect-user');
      const res = await new Browser().get(`/sign-in?token=${token}&next=${encodeURIComponent(next)}`);
      assert.equal(res.headers.location, '/pricing', next);
    }
  });

  test('over https the cookie is Secure', async () => {
    const secure = await createTestApp(await tdb.open(), {
      emulator: t.emulator,
      migrateFirst: false,
      syncCatalog: false,
      env: { PAYDESK_PUBLIC_URL: 'https://billing.example.com' },
    });
    try {
      const token = await secure.userToken('secure-user');
      const res = await secure.app.inject({ method: 'GET', url: `/sign-in?token=${token}` });
      assert.match(String(res.headers['set-cookie']), /; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await secure.app.close();
    }
  });
});

describe('sessions', () => {
  test('a page that needs a session sends a signed-out visitor to sign in and back', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/account' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/sign-in?next=%2Faccount');
  });

  test('a session expires after PAYDESK_PAGES_SESSION_MINUTES', async () => {
    const b = await signedIn('expiring-user');
    assert.equal((await b.get('/account')).statusCode, 200);
    clock += 719 * 60_000;
    assert.equal((await b.get('/account')).statusCode, 200);
    clock += 2 * 60_000;
    const res = await b.get('/account');
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/sign-in/);
  });

  test('signing out ends the session on the server: the old cookie no longer works', async () => {
    const b = await signedIn('leaving-user');
    const page = await b.get('/account');
    const stolen = b.header();
    const out = await b.post('/sign-out', { _csrf: Browser.csrf(page) });
    assert.equal(out.statusCode, 200);
    assert.match(String(out.headers['set-cookie']), /paydesk_session=; .*Max-Age=0/);
    const replay = await t.app.inject({ method: 'GET', url: '/account', headers: { cookie: stolen } });
    assert.equal(replay.statusCode, 303);
  });
});

describe('CSRF', () => {
  test('a form post without the token, or with another session’s, is refused and changes nothing', async () => {
    const a = await signedIn('csrf-a');
    const other = await signedIn('csrf-b');
    const otherToken = Browser.csrf(await other.get('/account'));
    for (const form of [{}, { _csrf: '' }, { _csrf: otherToken }, { _csrf: 'x'.repeat(43) }] as Record<
      string,
      string
    >[]) {
      const res = await a.post('/buy', { ...form, pack: 'credits-100', quantity: '1', currency: 'usd' });
      assert.equal(res.statusCode, 403, JSON.stringify(form));
      assert.match(res.body, /did not come from this site/);
    }
    const checkouts = await api<{ data: unknown[] }>('csrf-a', '/v1/payments');
    assert.equal(checkouts.data.length, 0);
    const ok = await a.post('/buy', {
      _csrf: Browser.csrf(await a.get('/account')),
      pack: 'credits-100',
      quantity: '2',
      currency: 'usd',
    });
    assert.equal(ok.statusCode, 303);
    assert.match(String(ok.headers.location), /^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);
  });

  test('a post with no session is refused', async () => {
    const res = await new Browser().post('/account/cancel', { _csrf: 'x', subscription: 'psub_x' });
    assert.equal(res.statusCode, 401);
  });
});

describe('demo sign-in', () => {
  test('offered in embedded mode; needs its double-submit token; creates and then lists the demo user', async () => {
    const b = new Browser();
    const page = await b.get('/sign-in');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Demo sign-in/);
    const token = Browser.csrf(page);
    const stranger = new Browser();
    const refused = await stranger.post('/sign-in/demo', { _csrf: token, name: 'Mallory' });
    assert.equal(refused.statusCode, 403, 'the token without its cookie');
    const res = await b.post('/sign-in/demo', { _csrf: token, name: 'Grace Hopper', next: '/account' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/account');
    const account = await b.get('/account');
    assert.match(account.body, /grace-hopper@demo\.paydesk\.test/);
    const me = await api<{ external_id: string }>('demo-grace-hopper', '/v1/customers/me');
    assert.equal(me.external_id, 'demo-grace-hopper');
    const again = await new Browser().get('/sign-in');
    assert.match(again.body, /<option value="demo-grace-hopper">grace-hopper@demo\.paydesk\.test<\/option>/);
  });

  test('off when PAYDESK_PAGES_DEMO_SIGNIN=false', async () => {
    const off = await createTestApp(await tdb.open(), {
      emulator: t.emulator,
      migrateFirst: false,
      syncCatalog: false,
      env: { PAYDESK_PAGES_DEMO_SIGNIN: 'false' },
    });
    try {
      const page = await off.app.inject({ method: 'GET', url: '/sign-in' });
      assert.equal(page.statusCode, 200);
      assert.doesNotMatch(page.body, /Demo sign-in/);
      const post = await off.app.inject({
        method: 'POST',
        url: '/sign-in/demo',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'name=x',
      });
      assert.equal(post.statusCode, 404);
    } finally {
      await off.app.close();
    }
  });
});

describe('subscribing and managing the plan through the forms', () => {
  async function payFirst(b: Browser, subscribePage: Res, card = 'pm_card_visa'): Promise<string> {
    const secret = /data-secret="([^"]+)"/.exec(subscribePage.body)?.[1];
    assert.ok(secret, 'the payment form carries the client secret');
    const pi = secret.split('_secret_')[0]!;
    try {
      await t.stripe.paymentIntents.confirm(
        pi,
        { payment_method: card },
        { idempotencyKey: idempotencyKey('test', pi, card) },
      );
    } catch {
      // A decline: the result page must say so.
    }
    void b;
    return pi;
  }

  test('subscribe → decline → pay → account → change with preview → cancel → resume; another user cannot touch it', async () => {
    const b = await signedIn('flow-user', 'flow@example.com');
    const pricing = await b.get('/pricing?interval=month&currency=usd');
    const csrf = Browser.csrf(pricing);
    const start = await b.post('/subscribe', {
      _csrf: csrf,
      plan: 'starter',
      interval: 'month',
      currency: 'usd',
    });
    assert.equal(start.statusCode, 303, start.body);
    const payPath = String(start.headers.location);
    assert.match(payPath, /^\/subscribe\/psub_/);
    const subId = payPath.split('/')[2]!;
    const payPage = await b.get(payPath);
    assert.equal(payPage.statusCode, 200);
    assert.match(payPage.body, /data-pay="payment"/);
    assert.match(payPage.body, /data-key="pk_test_/);
    assert.match(payPage.body, /\$9\.00/);

    const declinedPi = await payFirst(b, payPage, 'pm_card_chargeDeclined');
    const failed = await b.get(
      `/payment/result?subscription=${subId}&payment_intent=${declinedPi}&redirect_status=failed`,
    );
    assert.match(failed.body, /data-outcome="failed"/);
    assert.match(failed.body, /Payment failed/);
    assert.equal(
      (await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).status,
      'incomplete',
    );

    const pi = await payFirst(b, await b.get(payPath));
    const paid = await b.get(
      `/payment/result?subscription=${subId}&payment_intent=${pi}&redirect_status=succeeded`,
    );
    assert.match(paid.body, /data-outcome="paid"/);
    assert.match(paid.body, /You are subscribed to Starter/);
    assert.equal((await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).status, 'active');
    // Reloading the result page is harmless: still paid, still active.
    assert.match((await b.get(`/payment/result?subscription=${subId}`)).body, /data-outcome="paid"/);
    assert.equal((await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).status, 'active');

    const account = await b.get('/account');
    assert.match(account.body, /Starter/);
    assert.match(account.body, /Active/);
    assert.match(account.body, /Renews on/);
    assert.match(
      account.body,
      /<dt>Price<\/dt><dd>\$9\.00 \/ month<\/dd>/,
      'the amount Stripe bills, recorded',
    );
    assert.match(account.body, /VISA ending in <strong>4242<\/strong>/);
    // No webhook reaches this paydesk (no endpoint is registered in the emulator): the result page
    // settled the payment itself, so the account shows the first payment and the plan's credits.
    assert.match(account.body, /<td>Starter plan<\/td><td class="num">\$9\.00<\/td>/);
    assert.match(account.body, /Plan credits/);

    // Invoices are Stripe's documents, on their own page with their links.
    const invoices = await b.get('/account/invoices');
    assert.equal(invoices.statusCode, 200);
    assert.match(invoices.body, /<span class="badge ok">Paid<\/span>/);
    assert.match(invoices.body, /\$9\.00/);
    assert.match(invoices.body, />View<span class="visually-hidden"> invoice /);
    assert.match(invoices.body, />PDF<span class="visually-hidden"> of invoice /);

    // A change made in the customer portal (here: straight in Stripe, as the portal would) shows on the
    // way back from the portal, before any webhook; the plain account view reads only paydesk's records.
    const me = await api<{ stripe_customer_id: string }>('flow-user', '/v1/customers/me');
    const mastercard = await t.stripe.paymentMethods.attach(
      'pm_card_mastercard',
      { customer: me.stripe_customer_id },
      { idempotencyKey: 'pd:test-pages-portal-card' },
    );
    await t.stripe.customers.update(
      me.stripe_customer_id,
      { invoice_settings: { default_payment_method: mastercard.id } },
      { idempotencyKey: 'pd:test-pages-portal-default' },
    );
    assert.match((await b.get('/account')).body, /VISA ending in <strong>4242<\/strong>/);
    const portalCsrf = Browser.csrf(account);
    const portal = await b.post('/account/portal', { _csrf: portalCsrf });
    assert.equal(portal.statusCode, 303);
    assert.match(String(portal.headers.location), /^http/);
    const back = await b.get('/account?from=portal');
    assert.match(back.body, /MASTERCARD ending in <strong>4444<\/strong>/);
    assert.match((await b.get('/account')).body, /MASTERCARD ending in <strong>4444<\/strong>/);

    // Another user sees none of it and can change none of it.
    const mallory = await signedIn('mallory');
    assert.equal((await mallory.get(payPath)).statusCode, 404);
    assert.equal((await mallory.get(`/payment/result?subscription=${subId}`)).statusCode, 404);
    const mCsrf = Browser.csrf(await mallory.get('/account'));
    assert.equal(
      (await mallory.post('/account/cancel', { _csrf: mCsrf, subscription: subId })).statusCode,
      404,
    );
    assert.equal((await mallory.get(`/account/change?subscription=${subId}&to=pro:month`)).statusCode, 404);
    assert.equal(
      (await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).cancel_at_period_end,
      false,
    );

    const preview = await b.get(`/account/change?subscription=${subId}&to=pro:month`);
    assert.equal(preview.statusCode, 200, preview.body);
    assert.match(preview.body, /From Starter to Pro/);
    assert.match(preview.body, /Charged today/);
    assert.equal(
      (await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).plan,
      'starter',
      'a preview changes nothing',
    );
    const prorationDate = /name="proration_date" value="(\d+)"/.exec(preview.body)?.[1];
    assert.ok(prorationDate);
    const changed = await b.post('/account/change', {
      _csrf: csrf,
      subscription: subId,
      plan: 'pro',
      interval: 'month',
      proration_date: prorationDate,
    });
    assert.equal(changed.statusCode, 303, changed.body);
    assert.equal(changed.headers.location, '/account?notice=changed');
    assert.equal((await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).plan, 'pro');

    const cancel = await b.post('/account/cancel', { _csrf: csrf, subscription: subId });
    assert.equal(cancel.headers.location, '/account?notice=cancelled');
    assert.equal(
      (await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).cancel_at_period_end,
      true,
    );
    const cancelling = await b.get('/account?notice=cancelled');
    assert.match(cancelling.body, /Access ends/);
    assert.match(cancelling.body, /Resume subscription/);

    const resumed = await b.post('/account/resume', { _csrf: csrf, subscription: subId });
    assert.equal(resumed.headers.location, '/account?notice=resumed');
    assert.equal(
      (await api<SubscriptionView>('flow-user', `/v1/subscriptions/${subId}`)).cancel_at_period_end,
      false,
    );
  });
});
