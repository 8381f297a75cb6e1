// The billing pages in Chromium, with the emulator's Stripe.js stand-in and hosted pages: every page
// and flow a user takes, each outcome checked through paydesk's API (or Stripe's), axe-core on every
// page, screenshots at 1280 and 390 px into screenshots/pages/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { axeViolations, launchBrowser, screenshots } from '@paydesk/emulator/browser-testing';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { jobKinds } from '../jobs.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { freePort } from '../testing/net.js';

let tdb: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { env: { PAYDESK_PUBLIC_URL: base } });
  await t.app.listen({ port, host: '127.0.0.1' });
  const endpoint = await t.stripe.webhookEndpoints.create(
    { url: `${base}/webhooks/stripe`, enabled_events: ['*'] },
    { idempotencyKey: 'pd:test-pages-endpoint' },
  );
  t.context.webhookSecrets.push(endpoint.secret!);
  t.context.queue.start(jobKinds(t.context));
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  await t.app.close();
  await tdb.destroy();
});

async function api<T>(sub: string, path: string): Promise<T> {
  const res = await t.app.inject({
    method: 'GET',
    url: path,
    headers: { authorization: `Bearer ${await t.userToken(sub)}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  return JSON.parse(res.body) as T;
}

interface Sub {
  id: string;
  status: string;
  plan: string;
  cancel_at_period_end: boolean;
}

async function subscriptionsOf(sub: string): Promise<Sub[]> {
  return (await api<{ data: Sub[] }>(sub, '/v1/subscriptions')).data;
}

/** A fresh browser context (its own cookies) with one page; CSP is enforced. */
async function newUser(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { context, page: await context.newPage() };
}

/**
 * Screenshots at both widths and axe-core. axe is injected as an inline script, which the pages'
 * CSP refuses, so it runs on the same URL in a second context that bypasses CSP (same cookies).
 */
async function check(page: Page, name: string, options: { posted?: boolean } = {}): Promise<void> {
  await screenshots(page, 'pages', name);
  const context = await browser.newContext({ bypassCSP: true });
  try {
    await context.addCookies(await page.context().cookies());
    const copy = await context.newPage();
    if (options.posted) {
      // The answer to a form post: its markup, loaded on this paydesk's origin (its stylesheet applies).
      await copy.goto(`${base}/payment/cancelled`);
      await copy.setContent(await page.content(), { waitUntil: 'load' });
    } else {
      await copy.goto(page.url());
    }
    const violations = await axeViolations(copy);
    assert.deepEqual(violations, [], `axe on ${name}`);
  } finally {
    await context.close();
  }
}

const cardFrame = (page: Page): FrameLocator =>
  page.frameLocator('iframe[title="Secure payment input frame"]');

async function fillElement(page: Page, number: string): Promise<void> {
  const frame = cardFrame(page);
  await frame.getByLabel('Card number').fill(number);
  await frame.getByLabel('Expiration date').fill('12 / 34');
  await frame.getByLabel('Security code').fill('123');
  const zip = frame.getByLabel('ZIP code');
  if (await zip.isVisible()) await zip.fill('10001');
}

async function payOnHostedCheckout(page: Page, number = '4242 4242 4242 4242'): Promise<void> {
  await page.locator('#card_number').fill(number);
  await page.locator('#card_expiry').fill('12 / 34');
  await page.locator('#card_cvc').fill('123');
  await page.locator('#card_name').fill('Ada Lovelace');
  const email = page.locator('#email');
  if ((await email.count()) > 0 && (await email.isEditable())) await email.fill('ada@example.com');
  await page.locator('#submit').click();
}

describe('demo user: sign-in → pricing → subscribe on the page → manage → buy credits', () => {
  let page: Page;
  let context: BrowserContext;
  const user = 'demo-ada';

  before(async () => {
    ({ context, page } = await newUser());
  });
  after(() => context.close());

  test('the demo sign-in creates the user and leads to pricing', async () => {
    await page.goto(`${base}/`);
    assert.match(page.url(), /\/pricing$/);
    await check(page, 'pricing-signed-out');
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    await check(page, 'sign-in');
    await page.getByLabel('New demo user’s name').fill('Ada');
    await page.getByRole('button', { name: 'Create and sign in' }).click();
    await page.waitForURL(/\/pricing$/);
    const me = await api<{ external_id: string; email: string }>(user, '/v1/customers/me');
    assert.equal(me.email, 'ada@demo.paydesk.test');
    const cookie = (await context.cookies()).find((c) => c.name === 'paydesk_session');
    assert.ok(cookie?.httpOnly);
    assert.equal(cookie?.sameSite, 'Lax');
  });

  test('pricing switches interval and currency; a decline shows inline, then 4242 subscribes', async () => {
    await page.getByRole('link', { name: 'Yearly' }).click();
    await page.getByText('$90.00').waitFor();
    await page.getByRole('link', { name: 'EUR' }).click();
    await page.getByText('€80.00').first().waitFor();
    await page.getByRole('link', { name: 'USD' }).click();
    await page.getByRole('link', { name: 'Monthly' }).click();
    await check(page, 'pricing');
    await page.getByRole('button', { name: 'Subscribe to Starter' }).click();
    await page.waitForURL(/\/subscribe\/psub_/);
    await cardFrame(page).getByLabel('Card number').waitFor();
    await check(page, 'subscribe');

    await fillElement(page, '4000 0000 0000 9995');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    const error = page.locator('#pay-error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.innerText(), /insufficient funds/i);
    assert.equal(await cardFrame(page).getByLabel('Card number').isEditable(), true);
    assert.equal(await page.getByRole('button', { name: 'Subscribe', exact: true }).isEnabled(), true);
    await screenshots(page, 'pages', 'subscribe-declined');
    assert.deepEqual(
      (await subscriptionsOf(user)).map((s) => s.status),
      ['incomplete'],
    );

    await cardFrame(page).getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.waitForURL(/\/payment\/result\?/);
    await page.getByRole('heading', { name: 'You are subscribed to Starter' }).waitFor();
    await check(page, 'result-paid');
    const [sub] = await subscriptionsOf(user);
    assert.equal(sub?.status, 'active');
    assert.equal(sub?.plan, 'starter');
  });

  test('the account shows the active plan; the change is previewed, then confirmed', async () => {
    await page.getByRole('link', { name: 'Go to your account' }).click();
    await page.waitForURL(/\/account$/);
    const facts = page.locator('#plan-facts');
    await facts.getByText('Active').waitFor();
    assert.match(await facts.innerText(), /Starter[\s\S]*Renews on/);
    assert.match(await page.locator('#card-summary').innerText(), /ending in 4242/);
    // The payment just made is in the history at once (the result page settled it).
    assert.match(
      await page.locator('section[aria-labelledby="payments-h"]').innerText(),
      /Starter plan\s+\$9\.00/,
    );
    await check(page, 'account');

    await page.getByLabel('Change plan').selectOption('pro:month');
    await page.getByRole('button', { name: 'Preview the change' }).click();
    await page.waitForURL(/\/account\/change\?/);
    await page.locator('#amount-due').waitFor();
    assert.match(await page.locator('#amount-due').innerText(), /^\$\d+\.\d\d$/);
    assert.equal((await subscriptionsOf(user))[0]?.plan, 'starter', 'the preview changed nothing');
    await check(page, 'change-preview');
    await page.getByRole('button', { name: /^Confirm and pay/ }).click();
    await page.waitForURL(/\/account\?notice=changed$/);
    await page.getByText('Your plan was changed.').waitFor();
    assert.equal((await subscriptionsOf(user))[0]?.plan, 'pro');
  });

  test('cancel at period end, then resume', async () => {
    await page.getByRole('button', { name: 'Cancel at period end' }).click();
    await page.waitForURL(/notice=cancelled$/);
    await page.getByText('Cancels at period end').waitFor();
    assert.equal((await subscriptionsOf(user))[0]?.cancel_at_period_end, true);
    await check(page, 'account-cancelling');
    await page.getByRole('button', { name: 'Resume subscription' }).click();
    await page.waitForURL(/notice=resumed$/);
    assert.equal((await subscriptionsOf(user))[0]?.cancel_at_period_end, false);
  });

  test('update the card with a SetupIntent and the Payment Element', async () => {
    await page.getByRole('link', { name: 'Update card' }).click();
    await page.waitForURL(/\/account\/card$/);
    await cardFrame(page).getByLabel('Card number').waitFor();
    await check(page, 'card');
    await fillElement(page, '5555 5555 5555 4444');
    await page.getByRole('button', { name: 'Save card' }).click();
    await page.waitForURL(/\/account\?notice=card$/);
    assert.match(await page.locator('#card-summary').innerText(), /ending in 4444/);
    const me = await api<{ stripe_customer_id: string }>(user, '/v1/customers/me');
    const customer = await t.stripe.customers.retrieve(me.stripe_customer_id, {
      expand: ['invoice_settings.default_payment_method'],
    });
    assert.ok(!customer.deleted);
    const pm = customer.invoice_settings.default_payment_method;
    assert.equal(typeof pm === 'object' && pm ? pm.card?.last4 : undefined, '4444');
  });

  test('the invoices page, then the billing portal and back', async () => {
    await page.goto(`${base}/account`);
    await page.getByRole('link', { name: 'See your invoices' }).click();
    await page.waitForURL(/\/account\/invoices$/);
    const rows = page.locator('table tbody tr');
    assert.ok((await rows.count()) >= 2, 'the first invoice and the plan change’s');
    const first = rows.last();
    assert.match(await first.innerText(), /\$9\.00\s+Paid/);
    const view = await first.getByRole('link', { name: /^View invoice / }).getAttribute('href');
    const pdf = await first.getByRole('link', { name: /^PDF of invoice / }).getAttribute('href');
    assert.match(view ?? '', /^http/);
    assert.match(pdf ?? '', /^http/);
    await check(page, 'invoices');
    await page.getByRole('link', { name: /Your account/ }).click();
    await page.waitForURL(/\/account$/);

    await page.getByRole('button', { name: 'Open the billing portal' }).click();
    await page.locator('#card-line').waitFor();
    assert.match((await page.textContent('#card-line')) ?? '', /4444/);
    await page.click('#return');
    await page.waitForURL(/\/account\?from=portal$/);
    assert.match(await page.locator('#card-summary').innerText(), /ending in 4444/);
  });

  test('buy a credit pack through Checkout; the ledger shows it', async () => {
    await page.goto(`${base}/pricing`);
    await page.getByLabel('Quantity').first().selectOption('2');
    await page.getByRole('button', { name: 'Buy 100 credits' }).click();
    await page.waitForURL(/\/c\/pay\/cs_test_/);
    await payOnHostedCheckout(page);
    await page.waitForURL(/\/payment\/result\?session_id=/);
    await page.getByRole('heading', { name: 'Payment received' }).waitFor();
    assert.match(await page.locator('main').innerText(), /200 credits were added/);
    await page.goto(`${base}/account`);
    assert.match(await page.locator('#credit-balance').innerText(), /^2,2\d\d|^200/);
    const me = await api<{ id: string }>(user, '/v1/customers/me');
    const ledger = await api<{ data: { delta: number; reason: string }[] }>(
      user,
      `/v1/customers/${me.id}/credits/ledger`,
    );
    assert.ok(
      ledger.data.some((e) => e.reason === 'pack_purchase' && e.delta === 200),
      JSON.stringify(ledger),
    );
    assert.match(
      await page.locator('#credits-h + *, section[aria-labelledby="credits-h"]').first().innerText(),
      /Credit pack/,
    );
    await check(page, 'account-after-purchase');
  });
});

describe('a host product’s user: signed link, 3-D Secure, Checkout, and what they cannot reach', () => {
  let page: Page;
  let context: BrowserContext;
  const user = 'host-user-7';

  before(async () => {
    ({ context, page } = await newUser());
  });
  after(() => context.close());

  test('the signed link signs in and the token leaves the address bar', async () => {
    const token = await t.userToken(user, { email: 'grace@example.com' });
    await page.goto(`${base}/sign-in?token=${token}&next=/pricing`);
    await page.waitForURL(`${base}/pricing`);
    assert.ok(!page.url().includes('token'));
    await page.getByText('grace@example.com').waitFor();
    assert.ok(!t.logs.text.includes(token));
  });

  test('3-D Secure in a modal: failed, then completed', async () => {
    await page.getByRole('button', { name: 'Subscribe to Pro' }).click();
    await page.waitForURL(/\/subscribe\/psub_/);
    await fillElement(page, '4000 0025 0000 3155');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    const challenge = page.frameLocator('iframe[title="3D Secure authentication"]');
    await challenge.getByRole('button', { name: /Fail/ }).waitFor();
    await screenshots(page, 'pages', 'subscribe-3ds');
    await challenge.getByRole('button', { name: /Fail/ }).click();
    await page.locator('#pay-error').waitFor({ state: 'visible' });
    assert.equal((await subscriptionsOf(user))[0]?.status, 'incomplete');
    // The failed page tells the truth too (as after a redirect that came back failed).
    const payUrl = page.url();
    const subId = payUrl.split('/').pop()!;
    await page.goto(`${base}/payment/result?subscription=${subId}&redirect_status=failed`);
    await page.getByRole('heading', { name: 'Payment failed' }).waitFor();
    await check(page, 'result-failed');
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.waitForURL(payUrl);
    await fillElement(page, '4000 0025 0000 3155');

    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await challenge.getByRole('button', { name: /Complete/ }).click();
    await page.waitForURL(/\/payment\/result\?/);
    await page.getByRole('heading', { name: 'You are subscribed to Pro' }).waitFor();
    assert.equal((await subscriptionsOf(user))[0]?.status, 'active');
  });

  test('another user’s subscription is not found; a form without its CSRF token is refused', async () => {
    const ada = (await subscriptionsOf('demo-ada'))[0]!;
    const res = await page.goto(`${base}/subscribe/${ada.id}`);
    assert.equal(res?.status(), 404);
    await check(page, 'not-found');
    const preview = await page.goto(`${base}/account/change?subscription=${ada.id}&to=starter:month`);
    assert.equal(preview?.status(), 404);

    await page.goto(`${base}/account`);
    assert.doesNotMatch(await page.locator('main').innerText(), /demo\.paydesk\.test/);
    await page
      .locator('form[action="/account/cancel"] input[name="_csrf"]')
      .evaluate((input) => (input as unknown as { remove(): void }).remove());
    await page.getByRole('button', { name: 'Cancel at period end' }).click();
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    await check(page, 'csrf-refused', { posted: true });
    await page.goto(`${base}/account`);
    await page.locator('form[action="/account/cancel"] input[name="_csrf"]').evaluate((input) => {
      (input as unknown as { value: string }).value = 'forged-token-value';
    });
    await page.getByRole('button', { name: 'Cancel at period end' }).click();
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    assert.equal((await subscriptionsOf(user))[0]?.cancel_at_period_end, false);
    assert.equal((await subscriptionsOf('demo-ada'))[0]?.cancel_at_period_end, false);
  });

  test('leaving Checkout says nothing was charged', async () => {
    await page.goto(`${base}/pricing`);
    await page.getByRole('button', { name: 'Buy 1,000 credits' }).click();
    await page.waitForURL(/\/c\/pay\/cs_test_/);
    await page.locator('#back').first().click();
    await page.waitForURL(/\/payment\/cancelled$/);
    await page.getByRole('heading', { name: 'Payment cancelled' }).waitFor();
    await check(page, 'cancelled');
  });

  test('sign out ends the session', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await check(page, 'signed-out', { posted: true });
    await page.goto(`${base}/account`);
    assert.match(page.url(), /\/sign-in\?next=%2Faccount$/);
  });
});

describe('subscribe through Checkout, an expired link', () => {
  test('a new user subscribes to Starter yearly through the hosted Checkout page', async () => {
    const { context, page } = await newUser();
    try {
      const user = 'host-user-checkout';
      await page.goto(
        `${base}/sign-in?token=${await t.userToken(user)}&next=${encodeURIComponent('/pricing?interval=year')}`,
      );
      await page.getByRole('button', { name: 'Pay with Checkout' }).first().click();
      await page.waitForURL(/\/c\/pay\/cs_test_/);
      await payOnHostedCheckout(page);
      await page.waitForURL(/\/payment\/result\?session_id=/);
      await page.getByRole('heading', { name: 'You are subscribed to Starter' }).waitFor();
      const subs = await subscriptionsOf(user);
      assert.equal(subs[0]?.status, 'active');
      assert.equal(subs[0]?.plan, 'starter');
    } finally {
      await context.close();
    }
  });

  test('an expired link is refused with a page that says so', async () => {
    const { context, page } = await newUser();
    try {
      const res = await page.goto(`${base}/sign-in?token=${await t.userToken('late', { expiresIn: '-5m' })}`);
      assert.equal(res?.status(), 401);
      await page.getByRole('heading', { name: 'This link has expired' }).waitFor();
      assert.deepEqual(await context.cookies(), []);
      await check(page, 'link-expired');
    } finally {
      await context.close();
    }
  });
});
