import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { axeViolations, launchBrowser, screenshots } from '../browser-testing.js';
import { type TestEmulator, testEmulator } from '../testing.js';

// The hosted Checkout and 3-D Secure pages in Chromium, as a customer uses them; each test checks the
// API state and the events the emulator recorded, not only the page.
let t: TestEmulator;
let browser: Browser;
let shop: Server;
let shopUrl: string;
let oneTime: Stripe.Price;
let monthly: Stripe.Price;

before(async () => {
  [t, browser] = await Promise.all([testEmulator(), launchBrowser()]);
  // The merchant's site: success and cancel pages.
  shop = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<!doctype html><title>Shop</title><h1>Shop page ${req.url?.split('?')[0]}</h1>`);
  });
  await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  const product = await t.stripe.products.create({ name: 'Pro plan' });
  const extra = await t.stripe.products.create({ name: 'Setup fee' });
  oneTime = await t.stripe.prices.create({ product: extra.id, unit_amount: 4900, currency: 'usd' });
  monthly = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 1900,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
});
after(async () => {
  await browser.close();
  await t.emu.close();
  shop.close();
});

async function session(
  params: Partial<Stripe.Checkout.SessionCreateParams>,
): Promise<Stripe.Checkout.Session> {
  return t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id, quantity: 2 }],
    success_url: `${shopUrl}/thanks?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${shopUrl}/cart`,
    ...params,
  } as Stripe.Checkout.SessionCreateParams);
}

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

async function eventsSince(mark: string | undefined): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(mark ? { ending_before: mark } : {}) });
  return list.data.reverse().map((e) => e.type);
}

/** Pages that run axe-core, whose injected script the pages' CSP would block (the CSP itself is checked
 * by the field-errors test, whose script-driven checks run under it, and by checkout-form.test.ts). */
function newPage(): Promise<Page> {
  return browser.newPage({ bypassCSP: true });
}

async function fillCard(page: Page, number: string, email?: string): Promise<void> {
  if (email !== undefined) await page.fill('#email', email);
  await page.fill('#card_number', number);
  await page.fill('#card_expiry', '12 / 34');
  await page.fill('#card_cvc', '123');
  await page.fill('#card_name', 'Ada Lovelace');
}

async function noSeriousA11yIssues(page: Page): Promise<void> {
  assert.deepEqual(await axeViolations(page), []);
}

test('one-time Checkout with 4242 lands on success_url with the session id, session paid', async () => {
  const s = await session({ customer_email: 'ada@example.com' });
  const mark = await lastEventId();
  const page = await newPage();
  await page.goto(s.url!);
  assert.equal(await page.textContent('#amount'), '$98.00');
  await noSeriousA11yIssues(page);
  await screenshots(page, 'emulator-checkout', 'payment');
  // Live comfort: the number is grouped and the brand shown while typing.
  await page.fill('#card_number', '4242424242424242');
  assert.equal(await page.inputValue('#card_number'), '4242 4242 4242 4242');
  assert.equal(await page.textContent('[data-brand]'), 'visa');
  await fillCard(page, '4242424242424242');
  await Promise.all([page.waitForURL(`${shopUrl}/thanks?session_id=${s.id}`), page.click('#submit')]);
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(done.status, 'complete');
  assert.equal(done.payment_status, 'paid');
  assert.equal((done.payment_intent as Stripe.PaymentIntent).status, 'succeeded');
  assert.deepEqual(await eventsSince(mark), [
    'payment_intent.created',
    'payment_intent.succeeded',
    'charge.succeeded',
    'checkout.session.completed',
  ]);
  await page.goto(s.url!);
  assert.match((await page.textContent('h1')) ?? '', /This payment is complete/);
  await screenshots(page, 'emulator-checkout', 'completed');
  await page.close();
});

test('client-side checks show inline errors before anything is sent', async () => {
  const s = await session({});
  const page = await browser.newPage();
  await page.goto(s.url!);
  await page.fill('#email', 'ada@example.com');
  await page.fill('#card_number', '4242 4242 4242 4241');
  await page.fill('#card_expiry', '01 / 20');
  await page.click('#submit');
  assert.equal(await page.textContent('#card_number-error'), 'Your card number is incorrect.');
  assert.match((await page.textContent('#card_expiry-error')) ?? '', /in the past/);
  assert.equal(await page.getAttribute('#card_number', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'card_number');
  await screenshots(page, 'emulator-checkout', 'field-errors');
  assert.equal((await t.stripe.checkout.sessions.retrieve(s.id)).payment_intent, null);
  await page.close();
});

test('4000 0000 0000 9995 is declined inline; 4242 on the same page then succeeds', async () => {
  const s = await session({});
  const page = await newPage();
  await page.goto(s.url!);
  await fillCard(page, '4000 0000 0000 9995', 'grace@example.com');
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.waitForSelector('#payment-error');
  assert.match((await page.textContent('#payment-error')) ?? '', /Your card has insufficient funds\./);
  assert.equal(await page.inputValue('#card_number'), '', 'the card number is not sent back');
  await noSeriousA11yIssues(page);
  await screenshots(page, 'emulator-checkout', 'declined');
  const open = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(open.status, 'open');
  assert.equal(
    (open.payment_intent as Stripe.PaymentIntent).last_payment_error?.decline_code,
    'insufficient_funds',
  );

  const mark = await lastEventId();
  await page.fill('#card_number', '4242 4242 4242 4242');
  await page.fill('#card_cvc', '123');
  await Promise.all([page.waitForURL(/\/thanks\?session_id=/), page.click('#submit')]);
  assert.equal(new URL(page.url()).searchParams.get('session_id'), s.id);
  const paid = await t.stripe.checkout.sessions.retrieve(s.id);
  assert.equal(paid.payment_status, 'paid');
  assert.deepEqual(await eventsSince(mark), [
    'payment_intent.succeeded',
    'charge.succeeded',
    'checkout.session.completed',
  ]);
  await page.close();
});

test('subscription Checkout with the 3-D Secure card: challenge completed → subscription active', async () => {
  const s = await session({
    mode: 'subscription',
    line_items: [{ price: monthly.id, quantity: 1 }],
    customer_email: 'sub@example.com',
    allow_promotion_codes: true,
  });
  const mark = await lastEventId();
  const page = await newPage();
  await page.goto(s.url!);
  assert.equal(await page.textContent('#submit [data-label]'), 'Subscribe');
  await noSeriousA11yIssues(page);
  await screenshots(page, 'emulator-checkout', 'subscription');
  await fillCard(page, '4000 0027 6000 3184');
  await Promise.all([page.waitForURL(/\/_emulator\/3ds\/pi_/), page.click('#submit')]);
  assert.equal(await page.textContent('#amount'), '$19.00');
  await noSeriousA11yIssues(page);
  await screenshots(page, 'emulator-checkout', '3ds-challenge');
  await Promise.all([page.waitForURL(/\/thanks\?session_id=/), page.click('#complete')]);
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription'] });
  assert.equal(done.status, 'complete');
  assert.equal(done.payment_status, 'paid');
  assert.equal((done.subscription as Stripe.Subscription).status, 'active');
  const types = await eventsSince(mark);
  for (const e of ['payment_intent.requires_action', 'invoice.payment_action_required', 'invoice.paid']) {
    assert.ok(types.includes(e), `${e} in ${types.join()}`);
  }
  assert.ok(types.indexOf('customer.subscription.created') < types.indexOf('invoice.paid'));
  assert.equal(types.at(-1), 'checkout.session.completed');
  await page.close();
});

test('subscription Checkout with the 3-D Secure card: challenge failed → session open, error inline', async () => {
  const s = await session({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }] });
  const page = await newPage();
  await page.goto(s.url!);
  await fillCard(page, '4000 0027 6000 3184', 'fail@example.com');
  await Promise.all([page.waitForURL(/\/_emulator\/3ds\//), page.click('#submit')]);
  await Promise.all([page.waitForURL(/\/c\/pay\/.+\/return/), page.click('#fail')]);
  assert.match((await page.textContent('#payment-error')) ?? '', /failed authentication/);
  await screenshots(page, 'emulator-checkout', '3ds-failed');
  const open = await t.stripe.checkout.sessions.retrieve(s.id);
  assert.equal(open.status, 'open');
  assert.equal(open.subscription, null);
  const events = await t.stripe.events.list({ type: 'invoice.payment_failed', limit: 1 });
  assert.equal(events.data.length, 1);
  await page.close();
});

test('expired session: a clear page, nothing to pay', async () => {
  const s = await session({});
  await t.stripe.checkout.sessions.expire(s.id);
  const page = await newPage();
  const res = await page.goto(s.url!);
  assert.equal(res?.status(), 410);
  assert.match((await page.textContent('h1')) ?? '', /expired/);
  assert.equal(await page.getAttribute('#back', 'href'), `${shopUrl}/cart`);
  await noSeriousA11yIssues(page);
  await screenshots(page, 'emulator-checkout', 'expired');
  await page.close();
});

test('setup mode saves a card for the customer', async () => {
  const customer = await t.stripe.customers.create({ email: 'setup@example.com' });
  const s = await t.stripe.checkout.sessions.create({
    mode: 'setup',
    currency: 'usd',
    customer: customer.id,
    success_url: `${shopUrl}/saved?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${shopUrl}/cart`,
  });
  const page = await newPage();
  await page.goto(s.url!);
  assert.equal(await page.textContent('#customer-email'), 'setup@example.com');
  await noSeriousA11yIssues(page);
  await screenshots(page, 'emulator-checkout', 'setup');
  await fillCard(page, '5555 5555 5555 4444');
  await Promise.all([page.waitForURL(/\/saved\?session_id=/), page.click('#submit')]);
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['setup_intent'] });
  assert.equal(done.status, 'complete');
  const si = done.setup_intent as Stripe.SetupIntent;
  assert.equal(si.status, 'succeeded');
  const pms = await t.stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
  assert.equal(pms.data[0]?.card?.last4, '4444');
  const events = await t.stripe.events.list({ type: 'setup_intent.succeeded', limit: 1 });
  assert.equal((events.data[0]!.data.object as Stripe.SetupIntent).id, si.id);
  await page.close();
});

test('the 3-D Secure page embedded (?embedded=1) posts its outcome to the parent frame', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 1200,
    currency: 'eur',
    payment_method: 'pm_card_authenticationRequired',
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    confirm: true,
  });
  const page = await newPage();
  await page.goto(`${shopUrl}/host`);
  const src = `${t.emu.url}/_emulator/3ds/${pi.id}?embedded=1`;
  // Runs in the page: the merchant's modal opens the challenge in an iframe and waits for its message.
  const message = page.evaluate(`new Promise((resolve) => {
    window.addEventListener('message', (e) => resolve(e.data));
    const frame = document.createElement('iframe');
    frame.src = ${JSON.stringify(src)};
    frame.width = '480';
    frame.height = '600';
    document.body.append(frame);
  })`);
  const frame = page.frameLocator('iframe');
  await frame.locator('#complete').click();
  assert.deepEqual(await message, { type: 'paydesk-emulator:3ds', intent: pi.id, outcome: 'succeeded' });
  assert.equal(page.url(), `${shopUrl}/host`, 'the parent page stays');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  await page.close();
});
