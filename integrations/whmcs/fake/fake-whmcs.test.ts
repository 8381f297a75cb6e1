// The fake WHMCS answers like WHMCS's API documents (encodings, error shapes, credential and IP
// checks) and its invoice page carries the real module's Pay button.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type PayForm, verifyPayForm } from '../src/signature.js';
import { startWhmcsDemo } from './demo.js';
import { type FakeWhmcs, startFakeWhmcs } from './server.js';

let whmcs: FakeWhmcs;

async function api(
  action: string,
  params: Record<string, string> = {},
  creds: Record<string, string> = { identifier: 'id-1', secret: 'sec-1' },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${whmcs.url}/includes/api.php`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action, responsetype: 'json', ...creds, ...params }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  whmcs = await startFakeWhmcs({
    identifier: 'id-1',
    secret: 'sec-1',
    module: { paydeskUrl: 'http://paydesk.test', moduleSecret: 'mod-secret', testMode: true },
  });
});
after(() => whmcs.close());

describe('fake WHMCS API', () => {
  test('GetInvoice: money as 2-place strings, balance, empty transactions as "", wrapped items', async () => {
    const c = whmcs.state.addClient({ email: 'a@example.com' });
    const inv = whmcs.state.addInvoice(c.id, ['10.00', '5.95'], { tax: '1.05' });
    const { status, body } = await api('GetInvoice', { invoiceid: String(inv.id) });
    assert.equal(status, 200);
    assert.equal(body.result, 'success');
    assert.equal(body.userid, c.id);
    assert.equal(body.status, 'Unpaid');
    assert.equal(body.subtotal, '15.95');
    assert.equal(body.total, '17.00');
    assert.equal(body.balance, '17.00');
    assert.equal(body.datepaid, '0000-00-00 00:00:00');
    assert.equal(body.transactions, '');
    assert.equal((body.items as { item: unknown[] }).item.length, 2);
  });

  test('AddInvoicePayment: part then rest → Paid with datepaid; overpayment goes to credit; transactions listed', async () => {
    const c = whmcs.state.addClient({ email: 'b@example.com' });
    const inv = whmcs.state.addInvoice(c.id, ['20.00']);
    const date = '2026-12-02 10:00:00';
    const pay = (transid: string, amount: string) =>
      api('AddInvoicePayment', { invoiceid: String(inv.id), transid, gateway: 'paydesk', date, amount });
    assert.deepEqual((await pay('ch_a', '5.00')).body, { result: 'success' });
    let got = (await api('GetInvoice', { invoiceid: String(inv.id) })).body;
    assert.equal(got.balance, '15.00');
    assert.equal(got.status, 'Unpaid');
    await pay('ch_b', '16.00');
    got = (await api('GetInvoice', { invoiceid: String(inv.id) })).body;
    assert.equal(got.status, 'Paid');
    assert.notEqual(got.datepaid, '0000-00-00 00:00:00');
    assert.equal(got.balance, '-1.00');
    const client = (await api('GetClientsDetails', { clientid: String(c.id) })).body;
    assert.equal((client.client as Record<string, unknown>).credit, '1.00');
    const txs = (await api('GetTransactions', { transid: 'ch_b' })).body;
    assert.equal(txs.totalresults, 1);
    const [tx] = (txs.transactions as { transaction: Record<string, unknown>[] }).transaction;
    assert.equal(tx!.amountin, '16.00');
    assert.equal(tx!.invoiceid, String(inv.id));
    assert.equal((await api('GetTransactions', { transid: 'ch_none' })).body.transactions, '');
  });

  test('AddInvoicePayment does not refuse a repeated transid (WHMCS documents no check): two payments', async () => {
    const c = whmcs.state.addClient({ email: 'dup@example.com' });
    const inv = whmcs.state.addInvoice(c.id, ['9.00']);
    for (let i = 0; i < 2; i++) {
      await api('AddInvoicePayment', {
        invoiceid: String(inv.id),
        transid: 'ch_dup',
        gateway: 'paydesk',
        amount: '9.00',
      });
    }
    assert.equal((await api('GetTransactions', { transid: 'ch_dup' })).body.totalresults, 2);
  });

  test('documented error messages, answered with HTTP 200', async () => {
    const c = whmcs.state.addClient({ email: 'c@example.com' });
    const cancelled = whmcs.state.addInvoice(c.id, ['3.00'], { status: 'Cancelled' });
    const cases: [string, Record<string, string>, string][] = [
      ['GetInvoice', { invoiceid: '999999' }, 'Invoice ID Not Found'],
      ['GetInvoice', { invoiceid: 'x' }, 'Invoice ID Not Found'],
      ['GetClientsDetails', {}, 'Either clientid Or email Is Required'],
      ['GetClientsDetails', { email: 'nobody@example.com' }, 'Client Not Found'],
      [
        'AddInvoicePayment',
        { invoiceid: String(cancelled.id), transid: 'ch_x', gateway: 'paydesk' },
        'It is not possible to add a payment to an invoice that is Cancelled',
      ],
      ['AddTransaction', { paymentmethod: 'paydesk', invoiceid: '999999' }, 'Invoice ID Not Found'],
      ['NoSuchAction', {}, 'Command Not Found'],
    ];
    for (const [action, params, message] of cases) {
      const { status, body } = await api(action, params);
      assert.equal(status, 200, action);
      assert.deepEqual(body, { result: 'error', message }, action);
    }
  });

  test('action names are case-insensitive; GetClientsDetails by email gives currency_code', async () => {
    whmcs.state.addClient({ email: 'Yen@Example.com', currency: 'JPY' });
    const { body } = await api('getclientsdetails', { email: 'yen@example.com' });
    assert.equal(body.result, 'success');
    assert.equal((body.client as Record<string, unknown>).currency_code, 'JPY');
  });

  test('credentials and IP allow-list: 403 with WHMCS’s messages; the access key skips the IP check', async () => {
    const wrong = await api('GetInvoice', { invoiceid: '1' }, { identifier: 'id-1', secret: 'nope' });
    assert.deepEqual(wrong, { status: 403, body: { result: 'error', message: 'Authentication Failed' } });
    const legacy = await api('GetInvoice', { invoiceid: '1' }, { username: 'id-1', password: 'sec-1' });
    assert.equal(legacy.body.result, 'success');
    const strict = await startFakeWhmcs({
      identifier: 'i',
      secret: 's',
      allowedIps: ['203.0.113.7'],
      accessKey: 'ak!1',
      allowedActions: ['getinvoice'],
    });
    try {
      const call = async (params: Record<string, string>) => {
        const res = await fetch(`${strict.url}/includes/api.php`, {
          method: 'POST',
          body: new URLSearchParams({ identifier: 'i', secret: 's', responsetype: 'json', ...params }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      assert.deepEqual(await call({ action: 'GetInvoice', invoiceid: '1' }), {
        status: 403,
        body: { result: 'error', message: 'Invalid IP 127.0.0.1' },
      });
      const withKey = await call({ action: 'GetInvoice', invoiceid: '1', accesskey: 'ak!1' });
      assert.deepEqual(withKey.body, { result: 'error', message: 'Invoice ID Not Found' });
      const role = await call({ action: 'GetClients', accesskey: 'ak!1' });
      assert.deepEqual(role.body, {
        result: 'error',
        message: 'Invalid Permissions: API action "getclients" is not allowed',
      });
    } finally {
      await strict.close();
    }
  });

  test('controllable failures: down drops connections until back; failNext answers errors or HTML 500', async () => {
    whmcs.down = true;
    await assert.rejects(api('GetInvoice', { invoiceid: '1' }));
    whmcs.down = false;
    assert.equal((await api('GetInvoice', { invoiceid: '1' })).body.result, 'success');
    whmcs.failNext('GetInvoice', { kind: 'error', message: 'Database error' });
    assert.deepEqual((await api('GetInvoice', { invoiceid: '1' })).body, {
      result: 'error',
      message: 'Database error',
    });
    whmcs.failNext('*', { kind: 'http', status: 500, body: '<h1>Oops</h1>' });
    const res = await fetch(`${whmcs.url}/includes/api.php`, {
      method: 'POST',
      body: new URLSearchParams({
        action: 'GetInvoice',
        identifier: 'id-1',
        secret: 'sec-1',
        invoiceid: '1',
      }),
    });
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '<h1>Oops</h1>');
    assert.equal((await api('GetInvoice', { invoiceid: '1' })).body.result, 'success', 'one failure only');
  });
});

describe('fake WHMCS client area', () => {
  test('an unpaid invoice page carries the module’s signed Pay form for the balance', async () => {
    const c = whmcs.state.addClient({ email: 'page@example.com', currency: 'EUR' });
    const inv = whmcs.state.addInvoice(c.id, ['30.00']);
    await api('AddInvoicePayment', {
      invoiceid: String(inv.id),
      transid: 'ch_part',
      gateway: 'paydesk',
      amount: '10.00',
    });
    const res = await fetch(`${whmcs.url}/viewinvoice.php?id=${inv.id}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /action="http:\/\/paydesk\.test\/whmcs\/pay"/);
    assert.match(html, /paydesk-test-mode/);
    const f: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) f[m[1]!] = m[2]!;
    assert.equal(f.amount, '20.00');
    assert.equal(f.currency, 'EUR');
    assert.equal(f.email, 'page@example.com');
    assert.equal(f.return_url, `${whmcs.url}/viewinvoice.php?id=${inv.id}`);
    assert.equal(verifyPayForm(f as PayForm, f.signature!, 'mod-secret'), true);
    assert.match(html, /class="transid">ch_part</);
  });

  test('a paid invoice has no Pay button; banners follow paymentsuccess / paymentfailed; unknown id → 404', async () => {
    const c = whmcs.state.addClient({ email: 'paid@example.com' });
    const inv = whmcs.state.addInvoice(c.id, ['1.00'], { status: 'Paid' });
    const ok = await (await fetch(`${whmcs.url}/viewinvoice.php?id=${inv.id}&paymentsuccess=true`)).text();
    assert.doesNotMatch(ok, /<form/);
    assert.match(ok, /payment was successful/);
    const failed = await (await fetch(`${whmcs.url}/viewinvoice.php?id=${inv.id}&paymentfailed=true`)).text();
    assert.match(failed, /payment was not completed/);
    assert.equal((await fetch(`${whmcs.url}/viewinvoice.php?id=424242`)).status, 404);
  });
});

describe('the demo (npm start -- --whmcs-demo)', () => {
  test('demo invoices listed on the home page; the Pay form is signed with the secret given to paydesk', async () => {
    const demo = await startWhmcsDemo({ paydeskUrl: 'http://127.0.0.1:8080', port: 0 });
    try {
      assert.equal(demo.env.PAYDESK_WHMCS_URL, demo.fake.url);
      assert.ok(demo.env.PAYDESK_WHMCS_MODULE_SECRET!.length >= 32);
      const home = await (await fetch(`${demo.fake.url}/`)).text();
      assert.deepEqual(
        [...home.matchAll(/<td class="amount">([^<]*)<\/td>/g)].map((m) => m[1]),
        ['24.00 USD', '150.00 USD', '1200.00 JPY'],
      );
      const html = await (await fetch(`${demo.fake.url}/viewinvoice.php?id=1`)).text();
      assert.match(html, /action="http:\/\/127\.0\.0\.1:8080\/whmcs\/pay"/);
      const f: Record<string, string> = {};
      for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
        f[m[1]!] = m[2]!;
      assert.equal(f.email, 'demo@example.com');
      assert.equal(verifyPayForm(f as PayForm, f.signature!, demo.env.PAYDESK_WHMCS_MODULE_SECRET!), true);
      const ok = await fetch(`${demo.fake.url}/includes/api.php`, {
        method: 'POST',
        body: new URLSearchParams({
          action: 'GetInvoice',
          invoiceid: '1',
          responsetype: 'json',
          identifier: demo.env.PAYDESK_WHMCS_IDENTIFIER!,
          secret: demo.env.PAYDESK_WHMCS_SECRET!,
        }),
      });
      assert.equal(((await ok.json()) as { balance: string }).balance, '24.00');
    } finally {
      await demo.fake.close();
    }
  });
});
