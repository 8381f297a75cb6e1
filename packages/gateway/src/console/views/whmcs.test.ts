// The console's WHMCS view on real data: a payment paid through the bridge while the fake WHMCS was
// down, and a refund of it, both given up (dead); a payment refused by WHMCS (mismatch). The view lists
// each with its fields as listWhmcsPending has them; Retry goes through retryWhmcsPending, writes the
// payment on its invoice once, and is in the audit log; a read-only sign-in or a post without the
// CSRF token changes nothing.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { TEST_ADMIN_KEY } from '../../testing/app.js';
import { useWhmcsBridge } from '../../whmcs/test-support.js';

const READONLY_KEY = 'pdr_test_readonly_key_for_console_whmcs_0123';
const b = useWhmcsBridge({ env: { PAYDESK_CONSOLE_READONLY_KEY: READONLY_KEY } });
const { t, payInEmulator, browserReturn, txsOf, open } = b;

type Session = { cookie: string; csrf: string };

function cookiesOf(res: { headers: Record<string, unknown> }, jar: Map<string, string>): void {
  const set = res.headers['set-cookie'];
  for (const c of set === undefined ? [] : Array.isArray(set) ? set : [String(set)]) {
    const [name, value] = String(c).split(';')[0]!.split('=') as [string, string];
    jar.set(name, value);
  }
}
const header = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

async function signIn(key: string): Promise<Session> {
  const jar = new Map<string, string>();
  const form = await t.app.inject({ method: 'GET', url: '/console/sign-in' });
  cookiesOf(form, jar);
  const res = await t.app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { cookie: header(jar), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      _csrf: csrfOf(form.body),
      key,
      operator: 'Grace',
      next: '/console',
    }).toString(),
  });
  assert.equal(res.statusCode, 303, res.body);
  cookiesOf(res, jar);
  const page = await t.app.inject({ method: 'GET', url: '/console/whmcs', headers: { cookie: header(jar) } });
  return { cookie: header(jar), csrf: csrfOf(page.body) };
}

function get(url: string, who: Session) {
  return t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
}

function post(url: string, form: Record<string, string>, who: Session) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

/** The rows of the view's table, each as its cells' text (tags stripped, spaces collapsed). */
function rowsOf(body: string): string[][] {
  const table = /<tbody>([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/&#39;|&#x27;/g, "'")
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

const columns = ['Invoice', 'What', 'Amount', 'Status', 'Last error', 'Stripe', 'Updated', 'Action'];
const cell = (row: string[], name: string) => row[columns.indexOf(name)];

/** Statuses as the tables hold them (SQL: the test reads state, it does not go through the bridge). */
async function paymentStatus(session: string): Promise<string | undefined> {
  const r = await t.context.db.query<{ status: string }>(
    'SELECT status FROM whmcs_payments WHERE stripe_session_id = $1',
    [session],
  );
  return r.rows[0]?.status;
}
async function documentStatus(id: string): Promise<string | undefined> {
  const r = await t.context.db.query<{ status: string }>('SELECT status FROM whmcs_documents WHERE id = $1', [
    id,
  ]);
  return r.rows[0]?.status;
}

let admin: Session;
let dead: { invoice: number; session: string; charge: string; refund: string };
let mismatch: { invoice: number; session: string };

async function until(what: string, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await done()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  await t.ready;
  admin = await signIn(TEST_ADMIN_KEY);
  // Dead: WHMCS down while the payment and its refund are recorded, through every attempt.
  const opened = await open(['11.00']);
  assert.equal(await payInEmulator(opened.sessionId, 1100), 200);
  b.whmcs.down = true;
  try {
    await browserReturn(opened.sessionId);
    const session = await t.stripe.checkout.sessions.retrieve(opened.sessionId, {
      expand: ['payment_intent'],
    });
    const charge = String((session.payment_intent as Stripe.PaymentIntent).latest_charge);
    const key = await t.apiKey(['read', 'refunds']);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/refunds',
      headers: { authorization: `Bearer ${key}` },
      payload: { charge, amount: 300, request_id: `console-whmcs-${opened.invoice.id}` },
    });
    assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
    const refund = (JSON.parse(res.body) as { stripe_refund: string }).stripe_refund;
    await until('the payment and its refund to be dead', async () => {
      return (await paymentStatus(opened.sessionId)) === 'dead' && (await documentStatus(refund)) === 'dead';
    });
    dead = { invoice: opened.invoice.id, session: opened.sessionId, charge, refund };
  } finally {
    b.whmcs.down = false;
  }
  // Mismatch: the invoice was half paid by bank transfer before the card payment came back.
  const other = await open(['40.00']);
  b.whmcs.state.addInvoicePayment(
    new URLSearchParams({
      invoiceid: String(other.invoice.id),
      transid: 'BANK-CONSOLE',
      gateway: 'banktransfer',
      amount: '20.00',
    }),
  );
  assert.equal(await payInEmulator(other.sessionId, 4000), 200);
  await browserReturn(other.sessionId);
  await t.context.queue.idle();
  assert.equal(await paymentStatus(other.sessionId), 'mismatch');
  mismatch = { invoice: other.invoice.id, session: other.sessionId };
});

describe('console: WHMCS payments pending', () => {
  test('the view lists the dead payment, its dead refund and the mismatch with their fields', async () => {
    const page = await get('/console/whmcs', admin);
    assert.equal(page.statusCode, 200, page.body);
    const head = [...page.body.matchAll(/<th scope="col"[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);
    assert.deepEqual(head, columns);
    const rows = rowsOf(page.body);
    assert.equal(rows.length, 3, JSON.stringify(rows));
    const [payment, refund, refused] = rows as [string[], string[], string[]];
    assert.deepEqual(
      ['Invoice', 'What', 'Amount', 'Status', 'Stripe'].map((c) => cell(payment, c)),
      [`#${dead.invoice}`, 'payment', '11.00 USD', 'dead 8 attempts', `${dead.session} ${dead.charge}`],
    );
    assert.match(cell(payment, 'Last error')!, /could not be reached/);
    assert.equal(cell(payment, 'Action'), 'Retry');
    assert.deepEqual(
      ['Invoice', 'What', 'Amount', 'Status', 'Stripe'].map((c) => cell(refund, c)),
      [`#${dead.invoice}`, 'refund', '3.00 USD', 'dead 8 attempts', `${dead.refund} ${dead.charge}`],
    );
    assert.match(
      cell(refund, 'Last error')!,
      new RegExp(`waiting for its payment ${dead.charge} to be recorded on invoice #${dead.invoice} first`),
    );
    assert.deepEqual(
      ['Invoice', 'What', 'Amount', 'Status'].map((c) => cell(refused, c)),
      [`#${mismatch.invoice}`, 'payment', '40.00 USD', 'mismatch 1 attempt'],
    );
    assert.match(cell(refused, 'Last error')!, /balance changed.*20\.00 left, 40\.00 paid/);
    assert.match(cell(refused, 'Stripe')!, new RegExp(`^${mismatch.session} ch_\\w+$`));
    for (const id of [dead.session, dead.refund, mismatch.session])
      assert.match(page.body, new RegExp(`action="/console/whmcs/${id}/retry"`));
    // The same list as CSV: amounts in minor units, as `paydesk whmcs pending` and the API give them.
    const csv = await get('/console/whmcs?format=csv', admin);
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    const lines = csv.body.trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'What,Id,Invoice,Amount,Currency,Status,Attempts,Last error,Charge,Created,Updated',
    );
    assert.equal(lines.length, 4);
    assert.match(
      lines[1]!,
      new RegExp(
        `^payment,${dead.session},${dead.invoice},1100,USD,dead,8,[^,]*could not be reached[^,]*,${dead.charge},`,
      ),
    );
    assert.match(lines[2]!, new RegExp(`^refund,${dead.refund},${dead.invoice},300,USD,dead,8,`));
    assert.match(
      lines[3]!,
      new RegExp(`^payment,${mismatch.session},${mismatch.invoice},4000,USD,mismatch,1,`),
    );
  });

  test('retry: refused without the CSRF token and for a read-only sign-in; done once, audited', async () => {
    const audited = async () =>
      (
        await t.context.db.query<{ target: string; actor: string }>(
          "SELECT target, actor FROM audit_log WHERE action = 'whmcs.retry' ORDER BY at, id",
        )
      ).rows;
    const noToken = await post(`/console/whmcs/${dead.session}/retry`, {}, admin);
    assert.equal(noToken.statusCode, 403);
    const reader = await signIn(READONLY_KEY);
    const ro = await post(`/console/whmcs/${dead.session}/retry`, { _csrf: reader.csrf }, reader);
    assert.equal(ro.statusCode, 403);
    assert.match(ro.body, /read-only/);
    assert.match((await get('/console/whmcs', reader)).body, /disabled title="Read-only sign-in"/);
    assert.equal(await paymentStatus(dead.session), 'dead');
    assert.deepEqual(await audited(), []);

    // The payment first, then its refund (the refund waits for its payment on the invoice).
    for (const id of [dead.session, dead.refund]) {
      const r = await post(`/console/whmcs/${id}/retry`, { _csrf: admin.csrf }, admin);
      assert.equal(r.statusCode, 303, r.body);
      assert.equal(r.headers.location, `/console/whmcs?done=retried&ref=${encodeURIComponent(id)}`);
      await t.context.queue.idle();
    }
    assert.deepEqual(
      txsOf(dead.invoice).map((x) => [x.transid, x.amountin, x.amountout]),
      [
        [dead.charge, 1100, 0],
        [dead.refund, 0, 300],
      ],
    );
    assert.equal(await paymentStatus(dead.session), 'recorded');
    assert.equal(await documentStatus(dead.refund), 'recorded');
    const log = await audited();
    assert.deepEqual(
      log.map((e) => e.target),
      [dead.session, dead.refund],
    );
    assert.match(log[0]!.actor, /Grace/);

    // Recorded now: a second retry is refused (409 page), nothing written twice, nothing audited.
    const again = await post(`/console/whmcs/${dead.session}/retry`, { _csrf: admin.csrf }, admin);
    assert.equal(again.statusCode, 409);
    assert.match(again.headers['content-type'] as string, /^text\/html/);
    assert.equal(txsOf(dead.invoice).length, 2);
    assert.equal((await audited()).length, 2);
    const bad = await post('/console/whmcs/not-an-id/retry', { _csrf: admin.csrf }, admin);
    assert.equal(bad.statusCode, 400);

    // What is left: only the mismatch.
    const page = await get(`/console/whmcs?done=retried&ref=${dead.refund}`, admin);
    assert.match(page.body, new RegExp(`${dead.refund} will be written to WHMCS again`));
    const rows = rowsOf(page.body);
    assert.deepEqual(
      rows.map((r) => cell(r, 'Stripe')!.split(' ')[0]),
      [mismatch.session],
    );
  });
});
