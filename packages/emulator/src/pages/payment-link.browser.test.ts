import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { axeViolations, launchBrowser, screenshots } from '../browser-testing.js';
import { type TestEmulator, testEmulator } from '../testing.js';

// A payment link as a customer opens it in Chromium: the link, the Checkout page it leads to, the
// hosted confirmation; the API state and the events are checked, not only the pages.
let t: TestEmulator;
let browser: Browser;
let poster: Stripe.Price;

before(async () => {
  [t, browser] = await Promise.all([testEmulator(), launchBrowser()]);
  const product = await t.stripe.products.create({ name: 'Concert poster' });
  poster = await t.stripe.prices.create({ product: product.id, unit_amount: 1800, currency: 'usd' });
});
after(async () => {
  await browser.close();
  await t.emu.close();
});

/** axe-core is injected, which the pages' CSP would block (checkout-form.test.ts checks the CSP). */
function newPage(): Promise<Page> {
  return browser.newPage({ bypassCSP: true });
}

async function eventsSince(mark: string | undefined): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(mark ? { ending_before: mark } : {}) });
  return list.data.reverse().map((e) => e.type);
}

test('opening a payment link, paying on Checkout, then the hosted confirmation', async () => {
  const link = await t.stripe.paymentLinks.create({
    line_items: [{ price: poster.id, quantity: 2 }],
    after_completion: {
      type: 'hosted_confirmation',
      hosted_confirmation: { custom_message: 'Your posters ship tomorrow.' },
    },
  });
  const mark = (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
  const page = await newPage();
  await page.goto(link.url);
  assert.match(page.url(), /\/c\/pay\/cs_test_/);
  assert.equal(await page.textContent('#amount'), '$36.00');
  await page.fill('#email', 'ada@example.com');
  await page.fill('#card_number', '4242 4242 4242 4242');
  await page.fill('#card_expiry', '12 / 34');
  await page.fill('#card_cvc', '123');
  await page.fill('#card_name', 'Ada Lovelace');
  await Promise.all([
    page.waitForURL(/\/b\/plink_[A-Za-z0-9]+\/complete\?session_id=cs_test_/),
    page.click('#submit'),
  ]);
  assert.match((await page.textContent('h1')) ?? '', /Thanks for your payment/);
  assert.match((await page.textContent('main')) ?? '', /Your posters ship tomorrow\./);
  assert.deepEqual(await axeViolations(page), []);
  await screenshots(page, 'emulator-payment-link', 'confirmation');

  const sessionId = new URL(page.url()).searchParams.get('session_id')!;
  const session = await t.stripe.checkout.sessions.retrieve(sessionId);
  assert.equal(session.payment_link, link.id);
  assert.equal(session.status, 'complete');
  assert.equal(session.payment_status, 'paid');
  assert.equal(session.amount_total, 3600);
  assert.deepEqual(await eventsSince(mark), [
    'payment_intent.created',
    'payment_intent.succeeded',
    'charge.succeeded',
    'checkout.session.completed',
  ]);
  await page.close();
});

test('a deactivated link shows its inactive message', async () => {
  const link = await t.stripe.paymentLinks.create({ line_items: [{ price: poster.id, quantity: 1 }] });
  await t.stripe.paymentLinks.update(link.id, { active: false, inactive_message: 'The tour is over.' });
  const page = await newPage();
  const res = await page.goto(link.url);
  assert.equal(res?.status(), 410);
  assert.match((await page.textContent('h1')) ?? '', /no longer available/);
  assert.match((await page.textContent('main')) ?? '', /The tour is over\./);
  assert.deepEqual(await axeViolations(page), []);
  await screenshots(page, 'emulator-payment-link', 'inactive');
  await page.close();
});
