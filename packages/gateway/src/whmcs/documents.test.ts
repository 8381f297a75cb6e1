// Refunds and chargebacks of bridged payments written on the WHMCS invoice (AddTransaction), once:
// from paydesk's API, Stripe's dashboard, WHMCS's admin area (the module's _refund, which WHMCS
// records itself), a dispute's funds withdrawn and reinstated; WHMCS down then back; and the
// operator's `paydesk whmcs pending|retry` against the running paydesk.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { callModule } from '@paydesk/whmcs/php';
import type Stripe from 'stripe';
import { runCli } from '../cli/run.js';
import { applyDispute } from '../disputes/service.js';
import { syncChargeRefunds } from '../refunds/stripe-sync.js';
import { serverInfoFile } from '../server.js';
import { TEST_ADMIN_KEY } from '../testing/app.js';
import { captureIo } from '../testing/cli-io.js';
import { WHMCS_DOCUMENT_JOB, WHMCS_OWN_REFUND_GRACE_MS } from './documents.js';
import { whmcsDocumentById, whmcsPaymentBySession } from './store.js';
import { MODULE_SECRET, useWhmcsBridge } from './test-support.js';

const b = useWhmcsBridge({ listen: true });
const { t, payInEmulator, browserReturn, txsOf, open } = b;
let refundKey: string;
let address: string;
let dataDir: string;

before(async () => {
  await t.ready;
  refundKey = await t.apiKey(['read', 'refunds']);
  address = b.address;
  dataDir = await mkdtemp(join(tmpdir(), 'paydesk-whmcs-cli-'));
  await writeFile(serverInfoFile(dataDir), JSON.stringify({ url: address, pid: process.pid }));
});
after(() => rm(dataDir, { recursive: true, force: true }));

/** An invoice paid through the bridge and recorded on it: its charge id. */
async function paidInvoice(amount: string, card = 'pm_card_visa') {
  const opened = await open([amount]);
  assert.equal(await payInEmulator(opened.sessionId, Math.round(Number(amount) * 100), card), 200);
  await browserReturn(opened.sessionId);
  await t.context.queue.idle();
  const session = await t.stripe.checkout.sessions.retrieve(opened.sessionId, { expand: ['payment_intent'] });
  const pi = session.payment_intent as Stripe.PaymentIntent;
  return { ...opened, charge: String(pi.latest_charge), paymentIntent: pi.id };
}

async function refundInPaydesk(charge: string, amount: number, requestId: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/refunds',
    headers: { authorization: `Bearer ${refundKey}` },
    payload: { charge, amount, request_id: requestId },
  });
  assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
  return JSON.parse(res.body) as { stripe_refund: string; status: string };
}

function refundsOn(invoiceId: number) {
  return txsOf(invoiceId).filter((x) => x.amountout > 0);
}

async function cli(argv: string[]) {
  const io = captureIo();
  const code = await runCli(argv, { PAYDESK_DATA_DIR: dataDir, PAYDESK_ADMIN_KEY: TEST_ADMIN_KEY }, io);
  return { code, ...io };
}

describe('refunds', () => {
  test('a refund in paydesk’s API → one refund transaction (amountout, re_…) on the invoice, once', async () => {
    const p = await paidInvoice('30.00');
    const refund = await refundInPaydesk(p.charge, 1250, `whmcs-doc-api-${p.invoice.id}`);
    assert.equal(refund.status, 'succeeded');
    await t.context.queue.idle();
    const out = refundsOn(p.invoice.id);
    assert.equal(out.length, 1);
    assert.deepEqual(
      [out[0]!.transid, out[0]!.amountout, out[0]!.gateway, out[0]!.userid],
      [refund.stripe_refund, 1250, 'paydesk', p.client.id],
    );
    assert.match(out[0]!.description, new RegExp(`Refund ${refund.stripe_refund} of ${p.charge}`));
    assert.equal((await whmcsDocumentById(t.context.db, refund.stripe_refund))?.status, 'recorded');
    // The same request again, and a sync of the charge from Stripe: still one.
    await refundInPaydesk(p.charge, 1250, `whmcs-doc-api-${p.invoice.id}`);
    await syncChargeRefunds(t.context, p.charge);
    await t.context.queue.idle();
    assert.equal(refundsOn(p.invoice.id).length, 1);
  });

  test('a refund that fails after it succeeded (the bank sent it back) → amountin re_…-reversed, once', async () => {
    const p = await paidInvoice('8.00');
    const refund = await refundInPaydesk(p.charge, 800, `whmcs-doc-reversed-${p.invoice.id}`);
    await t.context.queue.idle();
    const fail = await fetch(`${t.emulator.url}/_emulator/refunds/${refund.stripe_refund}/fail`, {
      method: 'POST',
    });
    assert.equal(fail.status, 200, await fail.text());
    await syncChargeRefunds(t.context, p.charge);
    await syncChargeRefunds(t.context, p.charge);
    await t.context.queue.idle();
    assert.deepEqual(
      txsOf(p.invoice.id).map((x) => [x.transid, x.amountin, x.amountout]),
      [
        [p.charge, 800, 0],
        [refund.stripe_refund, 0, 800],
        [`${refund.stripe_refund}-reversed`, 800, 0],
      ],
    );
  });

  test('a refund made in Stripe’s dashboard → written once it is synced (as its webhook does)', async () => {
    const p = await paidInvoice('9.00');
    const r = await t.stripe.refunds.create(
      { charge: p.charge, amount: 400 },
      { idempotencyKey: `pd:test.dashboard-refund:${p.charge}` },
    );
    await syncChargeRefunds(t.context, p.charge);
    await syncChargeRefunds(t.context, p.charge);
    await t.context.queue.idle();
    assert.deepEqual(
      refundsOn(p.invoice.id).map((x) => [x.transid, x.amountout]),
      [[r.id, 400]],
    );
  });

  test('a refund from WHMCS’s admin area: WHMCS records it itself; paydesk waits, finds it, writes nothing', async () => {
    const p = await paidInvoice('20.00');
    b.whmcs.setModule({ paydeskUrl: address, moduleSecret: MODULE_SECRET, apiKey: refundKey });
    const result = await b.whmcs.adminRefund(p.invoice.id, p.charge, '5.00');
    assert.equal(result.status, 'success', JSON.stringify(result.rawdata));
    const reId = String(result.transid);
    const job = await t.context.db.query<{ run_at: Date }>(
      'SELECT run_at FROM jobs WHERE kind = $1 AND key = $2',
      [WHMCS_DOCUMENT_JOB, `whmcs-doc:${reId}`],
    );
    const wait = new Date(job.rows[0]!.run_at).getTime() - Date.now();
    assert.ok(wait > WHMCS_OWN_REFUND_GRACE_MS - 60_000, `the job waits for WHMCS (${wait} ms)`);
    // The grace period passes.
    await t.context.db.query('UPDATE jobs SET run_at = now() WHERE kind = $1 AND key = $2', [
      WHMCS_DOCUMENT_JOB,
      `whmcs-doc:${reId}`,
    ]);
    await t.context.queue.idle();
    assert.deepEqual(
      refundsOn(p.invoice.id).map((x) => [x.transid, x.amountout, x.description]),
      [[reId, 500, `Refund of Transaction ID ${p.charge}`]],
      'only WHMCS’s own record',
    );
    assert.equal((await whmcsDocumentById(t.context.db, reId))?.status, 'recorded');
  });

  test('a refund from WHMCS’s admin area whose answer WHMCS never got: paydesk writes it after the wait', async () => {
    const p = await paidInvoice('20.00');
    const result = (await callModule('refund', {
      paydeskUrl: address,
      apiKey: refundKey,
      transid: p.charge,
      amount: '7.00',
      currency: 'USD',
      invoiceid: p.invoice.id,
    })) as Record<string, unknown>;
    assert.equal(result.status, 'success');
    const reId = String(result.transid);
    await t.context.queue.idle();
    assert.equal(refundsOn(p.invoice.id).length, 0, 'not before the wait');
    await t.context.db.query('UPDATE jobs SET run_at = now() WHERE kind = $1 AND key = $2', [
      WHMCS_DOCUMENT_JOB,
      `whmcs-doc:${reId}`,
    ]);
    await t.context.queue.idle();
    assert.deepEqual(
      refundsOn(p.invoice.id).map((x) => [x.transid, x.amountout]),
      [[reId, 700]],
    );
  });
});

describe('chargebacks', () => {
  test('funds withdrawn → amountout du_…; won → amountin du_…-reinstated; each once though applied again', async () => {
    const p = await paidInvoice('15.00', 'pm_card_createDispute');
    let dispute: Stripe.Dispute | undefined;
    for (let i = 0; i < 200 && !dispute; i++) {
      dispute = (await t.stripe.disputes.list({ payment_intent: p.paymentIntent })).data[0];
      if (!dispute) await sleep(10);
    }
    assert.ok(dispute, 'the emulator disputed the charge');
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await applyDispute(t.context, dispute.id, 'charge.dispute.funds_withdrawn'), {
        applied: true,
      });
    }
    await t.context.queue.idle();
    assert.deepEqual(
      refundsOn(p.invoice.id).map((x) => [x.transid, x.amountout]),
      [[dispute.id, 1500]],
    );
    const close = await fetch(`${t.emulator.url}/_emulator/disputes/${dispute.id}/close`, {
      method: 'POST',
      body: JSON.stringify({ outcome: 'won' }),
    });
    assert.equal(close.status, 200, await close.text());
    await applyDispute(t.context, dispute.id, 'charge.dispute.funds_reinstated');
    await applyDispute(t.context, dispute.id, 'charge.dispute.funds_reinstated');
    await t.context.queue.idle();
    const back = txsOf(p.invoice.id).filter((x) => x.transid.startsWith(dispute.id));
    assert.deepEqual(
      back.map((x) => [x.transid, x.amountin, x.amountout]),
      [
        [dispute.id, 0, 1500],
        [`${dispute.id}-reinstated`, 1500, 0],
      ],
    );
    assert.match(back[0]!.description, /Chargeback (du|dp)_\S+ on ch_\S+ \(fraudulent\): funds withdrawn/);
  });
});

describe('WHMCS down, and the operator’s paydesk whmcs pending|retry', () => {
  test('payment and refund dead while WHMCS is down: listed (exit 1), retried once each, then nothing pending', async () => {
    const opened = await open(['11.00']);
    await payInEmulator(opened.sessionId, 1100);
    b.whmcs.down = true;
    try {
      await browserReturn(opened.sessionId);
      const session = await t.stripe.checkout.sessions.retrieve(opened.sessionId, {
        expand: ['payment_intent'],
      });
      const charge = String((session.payment_intent as Stripe.PaymentIntent).latest_charge);
      const refund = await refundInPaydesk(charge, 300, `whmcs-doc-down-${opened.invoice.id}`);
      for (let i = 0; i < 3000; i++) {
        const doc = await whmcsDocumentById(t.context.db, refund.stripe_refund);
        const pay = await whmcsPaymentBySession(t.context.db, opened.sessionId);
        if (doc?.status === 'dead' && pay?.status === 'dead') break;
        await sleep(10);
      }
      const listed = await cli(['whmcs', 'pending']);
      assert.equal(listed.code, 1, listed.stderr);
      const lines = listed.stdout.split('\n').filter((l) => l.includes(`invoice #${opened.invoice.id} `));
      assert.equal(lines.length, 2, listed.stdout);
      assert.match(
        lines[0]!,
        new RegExp(
          `^payment  ${opened.sessionId}  invoice #${opened.invoice.id}  1100 USD \\(minor units\\)  dead  ${charge}  attempts 8  .*could not be reached`,
        ),
      );
      assert.match(
        lines[1]!,
        new RegExp(
          `^refund   ${refund.stripe_refund}  invoice #${opened.invoice.id}  300 USD \\(minor units\\)  dead  ${charge}  attempts 8  waiting for its payment ${charge} to be recorded on invoice #${opened.invoice.id} first$`,
        ),
      );
      const api = await t.app.inject({
        method: 'GET',
        url: '/admin/whmcs/pending',
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      const item = (JSON.parse(api.body) as { data: Record<string, unknown>[] }).data.find(
        (x) => x.id === refund.stripe_refund,
      );
      assert.deepEqual(
        [item?.kind, item?.status, item?.invoice, item?.amount, item?.currency],
        ['refund', 'dead', opened.invoice.id, '300', 'USD'],
      );
      assert.equal(txsOf(opened.invoice.id).length, 0);
    } finally {
      b.whmcs.down = false;
    }
    const usage = await cli(['whmcs', 'retry', 'not-an-id']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /not an id from `paydesk whmcs pending`/);
    const unknown = await cli(['whmcs', 'retry', 're_unknown123']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stdout, /nothing dead or mismatched for WHMCS has this id/);

    const listed = await cli(['whmcs', 'pending']);
    const ids = listed.stdout
      .split('\n')
      .filter((l) => l.includes(`invoice #${opened.invoice.id} `))
      .map((l) => l.split(/\s+/)[1]!);
    // The payment first (as docs/whmcs.md says), then its refund.
    for (const id of [ids[0]!, ids[1]!]) {
      const r = await cli(['whmcs', 'retry', id]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${id}: queued again.\n`);
      await t.context.queue.idle();
    }
    assert.deepEqual(
      txsOf(opened.invoice.id).map((x) => [x.amountin, x.amountout]),
      [
        [1100, 0],
        [0, 300],
      ],
    );
    const again = await cli(['whmcs', 'retry', ids[0]!]);
    assert.equal(again.code, 1, 'a recorded payment is not retried');
    const done = await cli(['whmcs', 'pending']);
    assert.deepEqual([done.code, done.stdout], [0, 'Nothing is waiting for WHMCS.\n']);
  });
});
