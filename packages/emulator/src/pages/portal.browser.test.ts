import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { axeViolations, launchBrowser, screenshots } from '../browser-testing.js';
import { type TestEmulator, testEmulator } from '../testing.js';

// The Customer Portal in Chromium: each change is checked through the API and the events recorded.
let t: TestEmulator;
let browser: Browser;
let page: Page;
let basic: Stripe.Price;
let pro: Stripe.Price;
let customer: Stripe.Customer;
let sub: Stripe.Subscription;
let portal: Stripe.BillingPortal.Session;

before(async () => {
  [t, browser] = await Promise.all([testEmulator(), launchBrowser()]);
  const basicProduct = await t.stripe.products.create({ name: 'Basic' });
  const proProduct = await t.stripe.products.create({ name: 'Pro' });
  basic = await t.stripe.prices.create({
    product: basicProduct.id,
    unit_amount: 1000,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  pro = await t.stripe.prices.create({
    product: proProduct.id,
    unit_amount: 3000,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  customer = await t.stripe.customers.create({
    email: 'portal@example.com',
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
  const config = await t.stripe.billingPortal.configurations.create({
    features: {
      invoice_history: { enabled: true },
      payment_method_update: { enabled: true },
      subscription_cancel: { enabled: true, mode: 'at_period_end' },
      subscription_update: {
        enabled: true,
        default_allowed_updates: ['price'],
        proration_behavior: 'always_invoice',
        products: [
          { product: basicProduct.id, prices: [basic.id] },
          { product: proProduct.id, prices: [pro.id] },
        ],
      },
    },
  });
  portal = await t.stripe.billingPortal.sessions.create({
    customer: customer.id,
    configuration: config.id,
    return_url: `${t.emu.url}/_emulator/clock`,
  });
  // axe-core is injected as an inline script, which the pages' CSP would block.
  page = await browser.newPage({ bypassCSP: true });
});
after(async () => {
  await browser.close();
  await t.emu.close();
});

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

async function eventsSince(mark: string | undefined): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(mark ? { ending_before: mark } : {}) });
  return list.data.reverse().map((e) => e.type);
}

test('overview: subscription with plan, price, status and renewal; card; invoice list; return link', async () => {
  await page.goto(portal.url);
  const card = page.locator(`#sub-${sub.id}`);
  assert.equal(await card.locator('h3').textContent(), 'Basic');
  assert.equal(await card.locator('.plan-price').textContent(), '$10.00 per month');
  assert.equal(await card.locator('.pill').textContent(), 'active');
  assert.match((await card.locator('.renewal').textContent()) ?? '', /^Renews /);
  assert.equal(await page.textContent('#card-line'), '•••• 4242');
  const rows = page.locator('#invoices tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match((await rows.first().textContent()) ?? '', /\$10\.00.*paid/);
  assert.equal(await page.getAttribute('#return', 'href'), portal.return_url);
  assert.deepEqual(await axeViolations(page), []);
  await screenshots(page, 'emulator-portal', 'overview');
});

test('switch plan: the proration is shown before confirming, then the subscription changes', async () => {
  await page.goto(portal.url);
  await page.click('#update-plan');
  await page.check(`input[value="${pro.id}"]`);
  assert.deepEqual(await axeViolations(page), []);
  await screenshots(page, 'emulator-portal', 'choose-plan');
  await page.click('#continue');
  // The same amounts as the preview API computes for this change.
  const preview = await t.stripe.invoices.createPreview({
    customer: customer.id,
    subscription: sub.id,
    subscription_details: {
      items: [{ id: sub.items.data[0]!.id, price: pro.id }],
      proration_behavior: 'always_invoice',
    },
  });
  assert.ok(preview.amount_due > 0);
  assert.equal(await page.textContent('#proration-total'), `$${(preview.amount_due / 100).toFixed(2)}`);
  assert.deepEqual(await axeViolations(page), []);
  await screenshots(page, 'emulator-portal', 'confirm-plan');
  const mark = await lastEventId();
  await Promise.all([page.waitForURL(/done=plan/), page.click('#confirm')]);
  assert.equal(await page.textContent('#notice'), 'Your plan was updated.');
  const updated = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(updated.items.data[0]!.price.id, pro.id);
  const types = await eventsSince(mark);
  assert.ok(types.includes('customer.subscription.updated'), types.join());
  assert.ok(types.includes('invoice.paid'), types.join());
  const invoices = await t.stripe.invoices.list({ customer: customer.id });
  assert.equal(invoices.data[0]!.billing_reason, 'subscription_update');
  assert.equal(invoices.data[0]!.amount_due, preview.amount_due);
  assert.equal(await page.locator('#invoices tbody tr').count(), 2);
});

test('cancel at period end, then undo', async () => {
  await page.goto(portal.url);
  await page.click('#cancel');
  await screenshots(page, 'emulator-portal', 'cancel');
  await Promise.all([page.waitForURL(/done=canceling/), page.click('#confirm-cancel')]);
  let s = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(s.cancel_at_period_end, true);
  assert.equal(s.status, 'active');
  assert.equal(await page.locator(`#sub-${sub.id} .pill`).textContent(), 'canceling');
  assert.match((await page.locator(`#sub-${sub.id} .renewal`).textContent()) ?? '', /^Cancels /);
  await screenshots(page, 'emulator-portal', 'canceling');
  const mark = await lastEventId();
  await Promise.all([page.waitForURL(/done=renewed/), page.click('#renew')]);
  s = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(s.cancel_at_period_end, false);
  assert.equal(s.cancel_at, null);
  assert.deepEqual(await eventsSince(mark), ['customer.subscription.updated']);
});

test('update the card with the 3-D Secure card: challenge, then the new card is the default', async () => {
  await page.goto(portal.url);
  await page.click('#update-card');
  assert.deepEqual(await axeViolations(page), []);
  await screenshots(page, 'emulator-portal', 'update-card');
  await page.fill('#card_number', '4000 0027 6000 3184');
  await page.fill('#card_expiry', '12 / 34');
  await page.fill('#card_cvc', '123');
  await page.fill('#card_name', 'Ada Lovelace');
  await Promise.all([page.waitForURL(/\/_emulator\/3ds\/seti_/), page.click('#submit')]);
  await Promise.all([page.waitForURL(/done=card/), page.click('#complete')]);
  assert.equal(await page.textContent('#card-line'), '•••• 3184');
  const c = await t.stripe.customers.retrieve(customer.id, {
    expand: ['invoice_settings.default_payment_method'],
  });
  const pm = (c as Stripe.Customer).invoice_settings.default_payment_method as Stripe.PaymentMethod;
  assert.equal(pm.card?.last4, '3184');
  const setups = await t.stripe.events.list({ type: 'setup_intent.succeeded', limit: 1 });
  assert.equal((setups.data[0]!.data.object as Stripe.SetupIntent).payment_method, pm.id);
  await screenshots(page, 'emulator-portal', 'card-updated');
});

test('a declined card is refused inline and the default stays', async () => {
  await page.goto(`${portal.url}/payment-method`);
  await page.fill('#card_number', '4000 0000 0000 9995');
  await page.fill('#card_expiry', '12 / 34');
  await page.fill('#card_cvc', '123');
  await page.fill('#card_name', 'Ada Lovelace');
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  await page.waitForSelector('#payment-error');
  assert.match((await page.textContent('#payment-error')) ?? '', /insufficient funds/);
  const c = (await t.stripe.customers.retrieve(customer.id, {
    expand: ['invoice_settings.default_payment_method'],
  })) as Stripe.Customer;
  assert.equal((c.invoice_settings.default_payment_method as Stripe.PaymentMethod).card?.last4, '3184');
});
