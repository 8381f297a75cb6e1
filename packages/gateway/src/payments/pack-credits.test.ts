// Credit packs grant their credits however they are paid: Checkout (checkout tests), a payment intent
// (POST /v1/payment_intents, the payment microservice's POST /payment-intent) and an invoice line —
// once, on Stripe's webhook, however often it is delivered.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { priceIdOf } from '../compat/testing.js';
import { jobKinds } from '../jobs.js';
import { idempotencyKey } from '../platform/stripe/client.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { deliverAndApply, emulatorEvent } from '../testing/webhook-fixtures.js';
import { fulfilPackInvoice } from './fulfil.js';

let tdb: TestDatabase;
let t: TestApp;
let key: string;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open());
  t.context.queue.start(jobKinds(t.context));
  key = await t.apiKey();
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

const once = () => ({ idempotencyKey: idempotencyKey('pack-credits.test', randomUUID()) });

async function customer(externalId: string): Promise<{ id: string; stripe: string }> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: { authorization: `Bearer ${key}` },
    payload: { external_id: externalId, email: `${externalId}@example.com` },
  });
  assert.ok(r.statusCode === 200 || r.statusCode === 201, r.body);
  const c = JSON.parse(r.body) as { id: string; stripe_customer_id: string };
  return { id: c.id, stripe: c.stripe_customer_id };
}

async function ledger(customerId: string): Promise<{ balance: number; reasons: string[] }> {
  const r = await t.app.inject({
    method: 'GET',
    url: `/v1/customers/${customerId}/credits/ledger`,
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(r.statusCode, 200, r.body);
  const body = JSON.parse(r.body) as { balance: number; data: { reason: string }[] };
  return { balance: body.balance, reasons: body.data.map((e) => e.reason) };
}

describe('credit packs paid outside Checkout', () => {
  test('POST /v1/payment_intents for a pack: credits on payment_intent.succeeded, once however often it arrives', async () => {
    const c = await customer('pack-by-intent');
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: { authorization: `Bearer ${key}` },
      payload: { pack: 'credits-100', quantity: 2, customer: c.id, payment_method: 'pm_card_visa' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const pi = JSON.parse(r.body) as { id: string; status: string };
    assert.equal(pi.status, 'succeeded');

    const event = await emulatorEvent(t, 'payment_intent.succeeded', pi.id);
    await deliverAndApply(t, event);
    assert.deepEqual(await ledger(c.id), { balance: 200, reasons: ['pack_purchase'] });
    // The same event again, and a copy under another id (Stripe may send both): still once.
    await deliverAndApply(t, event);
    await deliverAndApply(t, { ...event, id: `${event.id}_copy` });
    assert.deepEqual(await ledger(c.id), { balance: 200, reasons: ['pack_purchase'] });
  });

  test('the payment microservice’s POST /payment-intent for a pack grants the same way', async () => {
    const c = await customer('pack-by-compat-intent');
    const r = await t.app.inject({
      method: 'POST',
      url: '/payment-intent',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ pack: 'credits-1000', customerId: c.id, paymentMethodId: 'pm_card_visa' }),
    });
    assert.equal(r.statusCode, 201, r.body);
    const pi = JSON.parse(r.body) as { id: string };
    await deliverAndApply(t, await emulatorEvent(t, 'payment_intent.succeeded', pi.id));
    assert.equal((await ledger(c.id)).balance, 1000);
  });

  test('a pack intent without a customer is recorded and grants nothing (there is no one to credit)', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: { authorization: `Bearer ${key}` },
      payload: { pack: 'credits-100', payment_method: 'pm_card_visa' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const pi = JSON.parse(r.body) as { id: string };
    const stored = await deliverAndApply(t, await emulatorEvent(t, 'payment_intent.succeeded', pi.id));
    assert.equal(stored.status, 'processed');
  });

  test('a paid invoice with a pack’s catalog price grants the line’s credits once, and is in the history', async () => {
    const c = await customer('pack-by-invoice');
    const price = await priceIdOf(t, 'paydesk:default:pack:credits-1000:usd');
    await t.stripe.invoiceItems.create({ customer: c.stripe, pricing: { price }, quantity: 3 }, once());
    const draft = await t.stripe.invoices.create(
      { customer: c.stripe, pending_invoice_items_behavior: 'include', auto_advance: false },
      once(),
    );
    await t.stripe.invoices.finalizeInvoice(draft.id!, {}, once());
    const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: c.stripe }, once());
    const paid = await t.stripe.invoices.pay(draft.id!, { payment_method: card.id }, once());
    assert.equal(paid.status, 'paid');
    assert.equal(paid.amount_paid, 12000);

    const event = await emulatorEvent(t, 'invoice.paid', draft.id!);
    await deliverAndApply(t, event);
    await deliverAndApply(t, { ...event, id: `${event.id}_copy` });
    assert.deepEqual(await ledger(c.id), { balance: 3000, reasons: ['pack_purchase'] });
    const history = await t.app.inject({
      method: 'GET',
      url: `/v1/payments?customer=${c.id}`,
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(history.statusCode, 200, history.body);
    const rows = (JSON.parse(history.body) as { data: Record<string, unknown>[] }).data;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.amount, 12000);
    assert.equal(rows[0]!.source, 'invoice');
  });

  test('an invoice whose embedded lines Stripe truncated (has_more) has the rest read from Stripe', async () => {
    const c = await customer('pack-by-long-invoice');
    const price = await priceIdOf(t, 'paydesk:default:pack:credits-100:usd');
    // Stripe embeds an invoice's first 10 lines; the pack line is the twelfth.
    for (let i = 0; i < 11; i++)
      await t.stripe.invoiceItems.create(
        { customer: c.stripe, amount: 100 + i, currency: 'usd', description: `service ${i}` },
        once(),
      );
    const draft = await t.stripe.invoices.create(
      { customer: c.stripe, pending_invoice_items_behavior: 'include', auto_advance: false },
      once(),
    );
    await t.stripe.invoiceItems.create(
      { customer: c.stripe, invoice: draft.id!, pricing: { price }, quantity: 2 },
      once(),
    );
    await t.stripe.invoices.finalizeInvoice(draft.id!, {}, once());
    const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: c.stripe }, once());
    await t.stripe.invoices.pay(draft.id!, { payment_method: card.id }, once());
    const invoice = await t.stripe.invoices.retrieve(draft.id!, { expand: ['payments'] });
    assert.equal(invoice.lines.data.length, 12);
    const packLine = invoice.lines.data.find((l) => l.pricing?.price_details?.price === price);
    assert.ok(packLine, 'the pack line is on the invoice');

    // As Stripe would deliver it: the first ten lines, and has_more. Without the pack line in view,
    // the credits come only from reading the rest of the lines.
    const truncated = {
      ...invoice,
      lines: {
        ...invoice.lines,
        data: invoice.lines.data.filter((l) => l !== packLine).slice(0, 10),
        has_more: true,
      },
    };
    assert.equal(await fulfilPackInvoice(t.context, truncated), true);
    assert.deepEqual(await ledger(c.id), { balance: 200, reasons: ['pack_purchase'] });
    // The same invoice with its lines complete but no pack line among them grants nothing more.
    const withoutPack = { ...truncated, lines: { ...truncated.lines, has_more: false } };
    assert.equal(await fulfilPackInvoice(t.context, withoutPack), false);
    assert.deepEqual(await ledger(c.id), { balance: 200, reasons: ['pack_purchase'] });
  });
});
