// The WHMCS bridge end to end against the fake WHMCS (integrations/whmcs/fake, whose invoice page is
// the real PHP module's Pay button) and the emulator: the form opens a Checkout session for the
// balance, the browser's return and the webhook record it, and the invoice is paid exactly once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callModule } from '@paydesk/whmcs/php';
import type Stripe from 'stripe';
import { decimalToMinor, minorToDecimal } from '../platform/money.js';
import { TEST_ADMIN_KEY } from '../testing/app.js';
import { eventHandlers } from '../webhooks/handlers.js';
import { SESSION_MINUTES } from './service.js';
import type { PayForm } from './signature.js';
import { whmcsPaymentBySession } from './store.js';
import { useWhmcsBridge } from './test-support.js';

const b = useWhmcsBridge();
const { t, pageForm, signed, postPay, sessionIdOf, payInEmulator, browserReturn, txsOf, open } = b;

describe('money conversion', () => {
  test('WHMCS decimal strings ↔ minor units, exactly, zero-decimal and three-decimal currencies included', () => {
    assert.equal(decimalToMinor('15.95', 'USD'), 1595n);
    assert.equal(decimalToMinor('0.10', 'EUR'), 10n);
    assert.equal(decimalToMinor('1000.00', 'JPY'), 1000n);
    assert.equal(decimalToMinor('1000.50', 'JPY'), null);
    assert.equal(decimalToMinor('1.005', 'USD'), null);
    assert.equal(decimalToMinor('-1.00', 'USD'), -100n);
    assert.equal(decimalToMinor('1.234', 'KWD'), 1234n);
    assert.equal(decimalToMinor('99999999999.99', 'USD'), 9999999999999n);
    assert.equal(minorToDecimal(1595n, 'USD'), '15.95');
    assert.equal(minorToDecimal(5n, 'USD'), '0.05');
    assert.equal(minorToDecimal(1000n, 'JPY'), '1000');
    assert.equal(minorToDecimal(1230n, 'KWD'), '1.230');
  });
});

describe('POST /whmcs/pay', () => {
  test('the module’s form opens a 30-minute session for the balance, linked durably, and 303s to Checkout', async () => {
    const client = b.whmcs.state.addClient({ email: 'ann@example.com', currency: 'EUR' });
    const invoice = b.whmcs.state.addInvoice(client.id, ['30.00', '12.50']);
    // A part payment elsewhere: the balance (32.50), not the total, is what is owed.
    b.whmcs.state.transactions.push({
      id: 9000,
      userid: client.id,
      currency: 0,
      gateway: 'banktransfer',
      date: '2026-12-01 10:00:00',
      description: 'Invoice Payment',
      amountin: 1000,
      fees: 0,
      amountout: 0,
      transid: 'BANK-1',
      invoiceid: invoice.id,
    });
    const res = await postPay(await pageForm(invoice.id));
    assert.equal(res.statusCode, 303, res.body);
    const location = String(res.headers.location);
    assert.ok(location.startsWith(t.emulator.url), location);
    const session = await t.stripe.checkout.sessions.retrieve(sessionIdOf(location));
    assert.equal(session.amount_total, 3250);
    assert.equal(session.currency, 'eur');
    assert.equal(session.metadata?.paydesk_whmcs_invoice, String(invoice.id));
    assert.equal(session.metadata?.paydesk_instance, t.config.instanceId);
    const minutes = (session.expires_at - session.created) / 60;
    assert.ok(Math.abs(minutes - SESSION_MINUTES) < 1, `expires after ${minutes} minutes`);
    const row = await whmcsPaymentBySession(t.context.db, session.id);
    assert.equal(row?.invoice_id, invoice.id);
    assert.equal(row?.amount, 3250n);
    assert.equal(row?.status, 'open');
  });

  test('tampered amount or invoice id, a bad signature and a stale form → 400 invalid_signature, no session', async () => {
    const client = b.whmcs.state.addClient({ email: 'tamper@example.com' });
    const invoice = b.whmcs.state.addInvoice(client.id, ['50.00']);
    const other = b.whmcs.state.addInvoice(client.id, ['1.00']);
    const form = await pageForm(invoice.id);
    const old = String(Math.floor(Date.now() / 1000) - 2 * 3600);
    const cases = [
      { ...form, amount: '0.50' },
      { ...form, invoice_id: String(other.id) },
      { ...form, signature: 'f'.repeat(64) },
      { ...form, signature: 'not-hex' },
      signed({ ...(form as PayForm), timestamp: old }),
      signed({ ...(form as PayForm), timestamp: String(Math.floor(Date.now() / 1000) + 3600) }),
    ];
    for (const c of cases) {
      const res = await postPay(c);
      assert.equal(res.statusCode, 400, JSON.stringify(c));
      assert.equal(JSON.parse(res.body).error.code, 'invalid_signature');
    }
    const missing = await postPay({ invoice_id: String(invoice.id) });
    assert.equal(missing.statusCode, 400);
    assert.equal(JSON.parse(missing.body).error.code, 'validation_failed');
  });

  test('a signed amount that differs from the balance is not trusted: the session is for the balance', async () => {
    const client = b.whmcs.state.addClient({ email: 'stale@example.com' });
    const invoice = b.whmcs.state.addInvoice(client.id, ['80.00']);
    const form = await pageForm(invoice.id);
    const res = await postPay(signed({ ...(form as PayForm), amount: '1.00' }));
    assert.equal(res.statusCode, 303);
    const session = await t.stripe.checkout.sessions.retrieve(sessionIdOf(String(res.headers.location)));
    assert.equal(session.amount_total, 8000);
  });

  test('the same form again: the same session while it is open (double click); a new one once it expired', async () => {
    const client = b.whmcs.state.addClient({ email: 'twice@example.com' });
    const invoice = b.whmcs.state.addInvoice(client.id, ['6.00']);
    const form = await pageForm(invoice.id);
    const first = sessionIdOf(String((await postPay(form)).headers.location));
    const again = sessionIdOf(String((await postPay(form)).headers.location));
    assert.equal(again, first, 'a double click opens one session');
    const otherTab = signed({ ...(form as PayForm), timestamp: String(Number(form.timestamp) - 60) });
    assert.equal(
      sessionIdOf(String((await postPay(otherTab)).headers.location)),
      first,
      'the invoice page opened twice: still one payable session',
    );
    // The client left Checkout; the session expired; the same page (back button) posts the form again.
    await t.stripe.checkout.sessions.expire(first, {}, { idempotencyKey: `pd:test.expire:${first}` });
    const res = await postPay(form);
    assert.equal(res.statusCode, 303, res.body);
    const next = sessionIdOf(String(res.headers.location));
    assert.notEqual(next, first);
    assert.equal((await t.stripe.checkout.sessions.retrieve(next)).status, 'open');
    assert.equal((await whmcsPaymentBySession(t.context.db, next))?.invoice_id, invoice.id);
    assert.equal(sessionIdOf(String((await postPay(form)).headers.location)), next);
  });

  test('paid, cancelled, draft or unknown invoices, another client’s email, another currency → refused', async () => {
    const client = b.whmcs.state.addClient({ email: 'owner@example.com' });
    b.whmcs.state.addClient({ email: 'intruder@example.com' });
    const base = async (status: 'Unpaid' | 'Paid' | 'Cancelled' | 'Draft') => {
      const inv = b.whmcs.state.addInvoice(client.id, ['10.00']);
      const form = await pageForm(inv.id);
      inv.status = status;
      return form as PayForm;
    };
    for (const status of ['Paid', 'Cancelled', 'Draft'] as const) {
      const res = await postPay(signed(await base(status)));
      assert.equal(res.statusCode, 409, status);
      assert.match(JSON.parse(res.body).error.message, new RegExp(status));
    }
    const intruder = await postPay(signed({ ...(await base('Unpaid')), email: 'intruder@example.com' }));
    assert.equal(intruder.statusCode, 403);
    assert.equal(JSON.parse(intruder.body).error.code, 'forbidden');
    const currency = await postPay(signed({ ...(await base('Unpaid')), currency: 'EUR' }));
    assert.equal(currency.statusCode, 409);
    const unknown = await postPay(signed({ ...(await base('Unpaid')), invoice_id: '987654' }));
    assert.equal(unknown.statusCode, 404);
  });

  test('WHMCS down or answering errors → 502 whmcs_unavailable, no session; back → it works', async () => {
    const client = b.whmcs.state.addClient({ email: 'down@example.com' });
    const invoice = b.whmcs.state.addInvoice(client.id, ['5.00']);
    const form = await pageForm(invoice.id);
    b.whmcs.down = true;
    const down = await postPay(form);
    b.whmcs.down = false;
    assert.equal(down.statusCode, 502);
    assert.equal(JSON.parse(down.body).error.code, 'whmcs_unavailable');
    b.whmcs.failNext('GetClientsDetails', { kind: 'error', message: 'Database error' });
    const error = await postPay(form);
    assert.equal(error.statusCode, 502);
    assert.match(JSON.parse(error.body).error.message, /Database error/);
    b.whmcs.failNext('GetInvoice', { kind: 'http', status: 500, body: '<b>Fatal error</b>' });
    assert.equal((await postPay(form)).statusCode, 502);
    assert.equal((await postPay(form)).statusCode, 303);
  });
});

describe('recording the payment', () => {
  test('return after paying: 303 to the invoice with paymentsuccess; the invoice is paid once with the charge id', async () => {
    const { invoice, sessionId } = await open(['19.99']);
    assert.equal(await payInEmulator(sessionId, 1999), 200);
    const location = await browserReturn(sessionId);
    assert.equal(location, `${b.whmcs.url}/viewinvoice.php?id=${invoice.id}&paymentsuccess=true`);
    await t.context.queue.idle();
    const txs = txsOf(invoice.id);
    assert.equal(txs.length, 1);
    const session = await t.stripe.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent'] });
    const charge = (session.payment_intent as Stripe.PaymentIntent).latest_charge;
    assert.equal(txs[0]!.transid, charge);
    assert.match(txs[0]!.transid, /^ch_/);
    assert.equal(txs[0]!.amountin, 1999);
    assert.equal(txs[0]!.gateway, 'paydesk');
    assert.equal(invoice.status, 'Paid');
    assert.equal((await whmcsPaymentBySession(t.context.db, sessionId))?.status, 'recorded');
    // Coming back again changes nothing.
    await browserReturn(sessionId);
    await t.context.queue.idle();
    assert.equal(txsOf(invoice.id).length, 1);
  });

  test('zero-decimal currency: ¥1000 is 1000 minor units and 1000.00 on the invoice', async () => {
    const { invoice, sessionId } = await open(['1000.00'], 'JPY');
    const session = await t.stripe.checkout.sessions.retrieve(sessionId);
    assert.equal(session.amount_total, 1000);
    assert.equal(await payInEmulator(sessionId, 1000), 200);
    await browserReturn(sessionId);
    await t.context.queue.idle();
    assert.equal(txsOf(invoice.id)[0]?.amountin, 100_000, 'the fake keeps cents: 1000.00');
    assert.equal(invoice.status, 'Paid');
  });

  test('a declined or unpaid session → paymentfailed, nothing recorded; an expired one is marked expired', async () => {
    const { invoice, sessionId } = await open(['7.00']);
    await payInEmulator(sessionId, 700, 'pm_card_chargeDeclined');
    assert.equal(
      await browserReturn(sessionId),
      `${b.whmcs.url}/viewinvoice.php?id=${invoice.id}&paymentfailed=true`,
    );
    await t.stripe.checkout.sessions.expire(sessionId, {}, { idempotencyKey: `pd:test.expire:${sessionId}` });
    assert.match(await browserReturn(sessionId), /paymentfailed=true$/);
    assert.equal((await whmcsPaymentBySession(t.context.db, sessionId))?.status, 'expired');
    await t.context.queue.idle();
    assert.equal(txsOf(invoice.id).length, 0);
    const bad = await t.app.inject({ method: 'GET', url: '/whmcs/return?session_id=nope' });
    assert.equal(bad.statusCode, 400);
    const unknown = await t.app.inject({ method: 'GET', url: '/whmcs/return?session_id=cs_test_unknown123' });
    assert.ok(unknown.statusCode === 404 || unknown.statusCode === 502, String(unknown.statusCode));
  });

  test('the balance changed since the session opened (paid elsewhere) → mismatch reported, nothing overpaid', async () => {
    const { invoice, sessionId } = await open(['40.00']);
    // Meanwhile the client paid half by bank transfer.
    b.whmcs.state.addInvoicePayment(
      new URLSearchParams({
        invoiceid: String(invoice.id),
        transid: 'BANK-2',
        gateway: 'banktransfer',
        amount: '20.00',
      }),
    );
    await payInEmulator(sessionId, 4000);
    await browserReturn(sessionId);
    await t.context.queue.idle();
    assert.deepEqual(
      txsOf(invoice.id).map((x) => x.transid),
      ['BANK-2'],
    );
    const row = await whmcsPaymentBySession(t.context.db, sessionId);
    assert.equal(row?.status, 'mismatch');
    assert.match(String(row?.last_error), /balance changed.*20\.00 left, 40\.00 paid/);
  });

  test('WHMCS down while recording: the job retries, then records once when WHMCS is back', async () => {
    const { invoice, sessionId } = await open(['12.00']);
    await payInEmulator(sessionId, 1200);
    b.whmcs.down = true;
    await browserReturn(sessionId);
    // Wait until at least two attempts failed.
    for (let i = 0; i < 500; i++) {
      const row = await whmcsPaymentBySession(t.context.db, sessionId);
      if ((row?.attempts ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const failing = await whmcsPaymentBySession(t.context.db, sessionId);
    assert.equal(failing?.status, 'paid');
    assert.match(String(failing?.last_error), /could not be reached/);
    b.whmcs.down = false;
    await t.context.queue.idle();
    assert.equal(txsOf(invoice.id).length, 1);
    assert.equal((await whmcsPaymentBySession(t.context.db, sessionId))?.status, 'recorded');
  });

  test('WHMCS answering errors while recording (an error, an HTML 500) → retried, recorded once', async () => {
    const { invoice, sessionId } = await open(['4.00']);
    await payInEmulator(sessionId, 400);
    b.whmcs.failNext('GetTransactions', { kind: 'http', status: 500, body: '<b>Fatal error</b>' });
    b.whmcs.failNext('AddInvoicePayment', { kind: 'error', message: 'Database error' }, 2);
    await browserReturn(sessionId);
    await t.context.queue.idle();
    assert.equal(txsOf(invoice.id).length, 1);
    const row = await whmcsPaymentBySession(t.context.db, sessionId);
    assert.deepEqual([row?.status, row?.attempts], ['recorded', 4]);
  });

  test('the browser never comes back: the webhook alone records the payment', async () => {
    const { invoice, sessionId } = await open(['13.00']);
    await payInEmulator(sessionId, 1300);
    const session = await t.stripe.checkout.sessions.retrieve(sessionId);
    const event = { id: `evt_${sessionId}`, type: 'checkout.session.completed', data: { object: session } };
    await eventHandlers['checkout.session.completed']!(t.context, event as unknown as Stripe.Event);
    await t.context.queue.idle();
    assert.deepEqual(
      txsOf(invoice.id).map((x) => x.amountin),
      [1300],
    );
  });

  test('AddInvoicePayment succeeded but the answer was lost: the retry finds the transid and pays nothing twice', async () => {
    const { invoice, sessionId } = await open(['3.00']);
    await payInEmulator(sessionId, 300);
    // The payment lands, but paydesk sees an HTML 500 instead of the answer.
    const real = b.whmcs.state.addInvoicePayment.bind(b.whmcs.state);
    let lost = false;
    b.whmcs.state.addInvoicePayment = (p) => {
      const r = real(p);
      if (!lost) {
        lost = true;
        throw new Error('answer lost');
      }
      return r;
    };
    try {
      await browserReturn(sessionId);
      await t.context.queue.idle();
    } finally {
      b.whmcs.state.addInvoicePayment = real;
    }
    assert.equal(lost, true);
    assert.equal(txsOf(invoice.id).length, 1);
    assert.equal((await whmcsPaymentBySession(t.context.db, sessionId))?.status, 'recorded');
  });

  test('WHMCS failing every attempt → dead, listed for the operator; retry records it once when WHMCS is back', async () => {
    const { invoice, sessionId } = await open(['8.00']);
    await payInEmulator(sessionId, 800);
    b.whmcs.down = true;
    await browserReturn(sessionId);
    for (let i = 0; i < 2000; i++) {
      if ((await whmcsPaymentBySession(t.context.db, sessionId))?.status === 'dead') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    b.whmcs.down = false;
    const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const listed = await t.app.inject({ method: 'GET', url: '/admin/whmcs/payments', headers: admin });
    assert.equal(listed.statusCode, 200, listed.body);
    const row = (JSON.parse(listed.body) as { data: Record<string, unknown>[] }).data.find(
      (r) => r.session === sessionId,
    );
    assert.equal(row?.status, 'dead');
    assert.equal(row?.attempts, 8);
    assert.match(String(row?.last_error), /could not be reached/);
    assert.equal(txsOf(invoice.id).length, 0);
    const noAuth = await t.app.inject({ method: 'GET', url: '/admin/whmcs/payments' });
    assert.equal(noAuth.statusCode, 401);
    const retry = await t.app.inject({
      method: 'POST',
      url: `/admin/whmcs/payments/${sessionId}/retry`,
      headers: admin,
    });
    assert.equal(retry.statusCode, 200, retry.body);
    await t.context.queue.idle();
    assert.equal(txsOf(invoice.id).length, 1);
    assert.equal((await whmcsPaymentBySession(t.context.db, sessionId))?.status, 'recorded');
    const again = await t.app.inject({
      method: 'POST',
      url: `/admin/whmcs/payments/${sessionId}/retry`,
      headers: admin,
    });
    assert.equal(again.statusCode, 409, 'a recorded payment is not retried');
  });

  test('the module’s _refund refunds a bridged payment through POST /v1/refunds and returns the Stripe refund id', async () => {
    const { invoice, sessionId } = await open(['25.00']);
    await payInEmulator(sessionId, 2500);
    await browserReturn(sessionId);
    await t.context.queue.idle();
    const charge = txsOf(invoice.id)[0]!.transid;
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const apiKey = await t.apiKey(['refunds']);
    const result = (await callModule('refund', {
      paydeskUrl: address,
      apiKey,
      transid: charge,
      amount: '10.00',
      currency: 'USD',
      invoiceid: invoice.id,
    })) as Record<string, unknown>;
    assert.equal(result.status, 'success', JSON.stringify(result.rawdata));
    assert.match(String(result.transid), /^re_/);
    const refund = await t.stripe.refunds.retrieve(String(result.transid));
    assert.equal(refund.amount, 1000);
    assert.equal(refund.charge, charge);
    const tooMuch = (await callModule('refund', {
      paydeskUrl: address,
      apiKey,
      transid: charge,
      amount: '20.00',
      currency: 'USD',
    })) as Record<string, unknown>;
    assert.equal(tooMuch.status, 'declined', 'more than is left to refund');
  });

  test('browser return and webhook racing, 100 times → exactly one payment each', async () => {
    const handler = eventHandlers['checkout.session.completed']!;
    const runs: { invoiceId: number; sessionId: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const client = b.whmcs.state.addClient({ email: `race${i}@example.com` });
      const invoice = b.whmcs.state.addInvoice(client.id, ['2.50']);
      const form = signed({
        invoice_id: String(invoice.id),
        amount: '2.50',
        currency: 'USD',
        email: client.email,
        return_url: `${b.whmcs.url}/viewinvoice.php?id=${invoice.id}`,
        timestamp: String(Math.floor(Date.now() / 1000)),
      });
      const res = await postPay(form);
      assert.equal(res.statusCode, 303, res.body);
      const sessionId = sessionIdOf(String(res.headers.location));
      assert.equal(await payInEmulator(sessionId, 250), 200);
      const session = await t.stripe.checkout.sessions.retrieve(sessionId);
      const event = { id: `evt_${sessionId}`, type: 'checkout.session.completed', data: { object: session } };
      await Promise.all([
        browserReturn(sessionId),
        handler(t.context, event as unknown as Stripe.Event),
        browserReturn(sessionId),
        handler(t.context, event as unknown as Stripe.Event),
      ]);
      runs.push({ invoiceId: invoice.id, sessionId });
    }
    await t.context.queue.idle();
    assert.equal(runs.length, 100);
    for (const r of runs) {
      const txs = txsOf(r.invoiceId);
      assert.equal(txs.length, 1, `invoice ${r.invoiceId}`);
      assert.equal(txs[0]!.amountin, 250);
      assert.equal(b.whmcs.state.invoices.get(r.invoiceId)?.status, 'Paid');
    }
  });
});
