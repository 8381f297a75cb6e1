// A client pays a WHMCS invoice in Chromium: the fake WHMCS's invoice page (the real module's Pay
// button, rendered by php-cli) → paydesk → the emulator's hosted Checkout (4242, 3-D Secure, a
// decline) → back on the invoice, marked paid with the charge id and the amount.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, screenshots } from '@paydesk/emulator/browser-testing';
import type { Browser, Page } from 'playwright-core';
import type Stripe from 'stripe';
import { useWhmcsBridge } from './test-support.js';

const b = useWhmcsBridge({ listen: true });
const { t } = b;
let browser: Browser;

before(async () => {
  await t.ready;
  browser = await launchBrowser();
});
after(() => browser?.close());

async function fillCard(page: Page, number: string): Promise<void> {
  await page.fill('#card_number', number);
  await page.fill('#card_expiry', '12 / 34');
  await page.fill('#card_cvc', '123');
  await page.fill('#card_name', 'Ada Lovelace');
}

async function openInvoice(amount: string, email: string) {
  const client = b.whmcs.state.addClient({ email, currency: 'EUR' });
  const invoice = b.whmcs.state.addInvoice(client.id, [amount]);
  const page = await browser.newPage();
  await page.goto(`${b.whmcs.url}/viewinvoice.php?id=${invoice.id}`);
  return { invoice, page };
}

async function chargeOf(sessionId: string): Promise<string> {
  const s = await t.stripe.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent'] });
  return String((s.payment_intent as Stripe.PaymentIntent).latest_charge);
}

test('4242: from the WHMCS invoice through Checkout back to the invoice, paid with the charge id', async () => {
  const { invoice, page } = await openInvoice('49.90', 'ada@example.com');
  assert.equal(await page.locator('.status').textContent(), 'Unpaid');
  assert.equal(await page.locator('.paydesk-test-mode').textContent(), 'Test mode');
  await screenshots(page, 'whmcs', 'invoice-unpaid');
  await Promise.all([page.waitForURL(/\/c\/pay\/cs_/), page.click('button[type=submit]')]);
  const sessionId = /cs_[A-Za-z0-9_]+/.exec(page.url())![0];
  assert.match((await page.textContent('body')) ?? '', /49[.,]90/);
  await screenshots(page, 'whmcs', 'checkout');
  await fillCard(page, '4242 4242 4242 4242');
  await Promise.all([page.waitForURL(/viewinvoice\.php\?id=\d+&paymentsuccess=true/), page.click('#submit')]);
  assert.match((await page.textContent('.banner')) ?? '', /successful/);
  await t.context.queue.idle();
  await page.reload();
  assert.equal(await page.locator('.status').textContent(), 'Paid');
  assert.equal(await page.locator('.transid').textContent(), await chargeOf(sessionId));
  assert.equal(await page.locator('td.amount').textContent(), '49.90');
  assert.equal(await page.locator('form.paydesk-pay').count(), 0, 'no Pay button on a paid invoice');
  await screenshots(page, 'whmcs', 'invoice-paid');
  assert.equal(b.whmcs.state.transactions.filter((x) => x.invoiceid === invoice.id).length, 1);
  await page.close();
});

test('3-D Secure: completing the challenge pays the invoice once', async () => {
  const { invoice, page } = await openInvoice('12.00', 'grace@example.com');
  await Promise.all([page.waitForURL(/\/c\/pay\/cs_/), page.click('button[type=submit]')]);
  const sessionId = /cs_[A-Za-z0-9_]+/.exec(page.url())![0];
  await fillCard(page, '4000 0027 6000 3184');
  await Promise.all([page.waitForURL(/\/_emulator\/3ds\/pi_/), page.click('#submit')]);
  await screenshots(page, 'whmcs', '3ds-challenge');
  await Promise.all([page.waitForURL(/paymentsuccess=true/), page.click('#complete')]);
  await t.context.queue.idle();
  const txs = b.whmcs.state.transactions.filter((x) => x.invoiceid === invoice.id);
  assert.equal(txs.length, 1);
  assert.equal(txs[0]!.transid, await chargeOf(sessionId));
  assert.equal(txs[0]!.amountin, 1200);
  assert.equal(invoice.status, 'Paid');
  await page.close();
});

test('a declined card leaves the invoice unpaid; nothing is recorded', async () => {
  const { invoice, page } = await openInvoice('30.00', 'decline@example.com');
  await Promise.all([page.waitForURL(/\/c\/pay\/cs_/), page.click('button[type=submit]')]);
  await fillCard(page, '4000 0000 0000 0002');
  await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
  assert.match((await page.textContent('body')) ?? '', /declined/i);
  await screenshots(page, 'whmcs', 'declined');
  await t.context.queue.idle();
  assert.equal(invoice.status, 'Unpaid');
  assert.equal(b.whmcs.state.transactions.filter((x) => x.invoiceid === invoice.id).length, 0);
  await page.close();
});
