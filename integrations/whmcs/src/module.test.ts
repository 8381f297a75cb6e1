// The PHP gateway module, run by php-cli: its own assertion script, its Pay button form checked by
// paydesk's verifier (the same HMAC in both languages), and _refund against a test HTTP server that
// answers like paydesk's POST /v1/refunds.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { callModule, moduleDir, runPhp } from './php.js';
import { type PayForm, verifyPayForm } from './signature.js';

type Seen = {
  method: string;
  url: string;
  auth: string | undefined;
  type: string | undefined;
  body: unknown;
};

let server: Server;
let base = '';
const seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 201, body: {} };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      data += d;
    });
    req.on('end', () => resolve(data));
  });
}

before(async () => {
  server = createServer(async (req, res) => {
    const raw = await readBody(req);
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      auth: req.headers.authorization,
      type: req.headers['content-type'],
      body: JSON.parse(raw),
    });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const linkParams = {
  invoiceid: 7,
  amount: '12.50',
  currency: 'EUR',
  clientdetails: { email: 'bob@example.com' },
  systemurl: 'https://billing.example.com',
  langpaynow: 'Pay Now',
  paydeskUrl: 'https://pay.example.com',
  moduleSecret: 'module-secret',
  testMode: '',
};

function hiddenInputs(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    out[m[1]!] = m[2]!.replaceAll('&quot;', '"').replaceAll('&#039;', "'").replaceAll('&amp;', '&');
  }
  return out;
}

describe('PHP module (php-cli)', () => {
  test('tests/module_test.php: every assertion holds', async () => {
    const run = await runPhp([`${moduleDir}tests/module_test.php`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ok \d+ assertions/);
  });

  test('the module refuses to run outside WHMCS (direct access)', async () => {
    const run = await runPhp([`${moduleDir}modules/gateways/paydesk.php`]);
    assert.equal(run.stdout.trim(), 'This file cannot be accessed directly');
  });

  test('_link: the form paydesk receives verifies with the shared secret; any tampering does not', async () => {
    const html = String(await callModule('link', linkParams));
    assert.match(html, /action="https:\/\/pay\.example\.com\/whmcs\/pay"/);
    const f = hiddenInputs(html);
    const form: PayForm = {
      invoice_id: f.invoice_id!,
      amount: f.amount!,
      currency: f.currency!,
      email: f.email!,
      return_url: f.return_url!,
      timestamp: f.timestamp!,
    };
    assert.deepEqual(
      { ...form, timestamp: undefined },
      {
        invoice_id: '7',
        amount: '12.50',
        currency: 'EUR',
        email: 'bob@example.com',
        return_url: 'https://billing.example.com/viewinvoice.php?id=7',
        timestamp: undefined,
      },
    );
    assert.ok(
      Math.abs(Number(form.timestamp) - Date.now() / 1000) < 3600,
      'timestamp is a unix time in seconds',
    );
    assert.equal(verifyPayForm(form, f.signature!, 'module-secret'), true);
    assert.equal(verifyPayForm(form, f.signature!, 'another-secret'), false);
    for (const key of Object.keys(form) as (keyof PayForm)[]) {
      assert.equal(
        verifyPayForm({ ...form, [key]: `${form[key]}1` }, f.signature!, 'module-secret'),
        false,
        key,
      );
    }
    assert.doesNotMatch(html, /paydesk-test-mode/);
  });

  test('_refund: posts the charge, exact minor units and the API key; returns the Stripe refund id', async () => {
    seen.length = 0;
    answer = {
      status: 201,
      body: { id: 'rf_1', object: 'refund', status: 'succeeded', stripe_refund: 're_9' },
    };
    const result = (await callModule('refund', {
      paydeskUrl: `${base}/`,
      apiKey: 'pdk_test_refunds',
      transid: 'ch_123',
      amount: '12.50',
      currency: 'EUR',
      invoiceid: 7,
    })) as Record<string, unknown>;
    assert.equal(result.status, 'success');
    assert.equal(result.transid, 're_9');
    assert.equal(result.fees, 0);
    assert.equal(seen.length, 1);
    const req = seen[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/refunds');
    assert.equal(req.auth, 'Bearer pdk_test_refunds');
    assert.equal(req.type, 'application/json');
    const body = req.body as Record<string, unknown>;
    assert.equal(body.charge, 'ch_123');
    assert.equal(body.amount, 1250);
    assert.equal(body.currency, 'eur');
    assert.match(String(body.request_id), /^whmcs:ch_123:[0-9a-f]{16}$/);
    assert.deepEqual(body.metadata, { whmcs_invoice: '7' });
  });

  test('_refund: zero-decimal currency amounts are whole units', async () => {
    seen.length = 0;
    answer = { status: 201, body: { id: 'rf_2', status: 'pending', stripe_refund: null } };
    const result = (await callModule('refund', {
      paydeskUrl: base,
      apiKey: 'k',
      transid: 'ch_jpy',
      amount: '1000.00',
      currency: 'JPY',
    })) as Record<string, unknown>;
    assert.equal((seen[0]!.body as Record<string, unknown>).amount, 1000);
    assert.equal(result.status, 'success', 'a pending refund is accepted (Stripe completes it)');
    assert.equal(result.transid, 'rf_2', 'paydesk refund id while Stripe has none yet');
  });

  test('_refund: paydesk answers map to declined / error, with the answer in rawdata', async () => {
    const call = () =>
      callModule('refund', {
        paydeskUrl: base,
        apiKey: 'k',
        transid: 'ch_1',
        amount: '5.00',
        currency: 'USD',
      }) as Promise<Record<string, unknown>>;
    answer = { status: 201, body: { id: 'rf_3', status: 'failed', stripe_refund: 're_f' } };
    assert.equal((await call()).status, 'declined');
    answer = { status: 409, body: { error: { code: 'conflict', message: 'more than refundable' } } };
    const conflict = await call();
    assert.equal(conflict.status, 'declined');
    assert.deepEqual((conflict.rawdata as Record<string, unknown>).response, answer.body);
    answer = { status: 401, body: { error: { code: 'unauthorized', message: 'bad key' } } };
    assert.equal((await call()).status, 'error');
    answer = { status: 502, body: { error: { code: 'stripe_unavailable', message: 'down' } } };
    assert.equal((await call()).status, 'error');
  });

  test('_refund: unreachable paydesk, unconfigured module, foreign transaction ids and bad amounts are errors without a refund', async () => {
    seen.length = 0;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = (await callModule('refund', {
      paydeskUrl: `http://127.0.0.1:${deadPort}`,
      apiKey: 'k',
      transid: 'ch_1',
      amount: '5.00',
      currency: 'USD',
    })) as Record<string, unknown>;
    assert.equal(down.status, 'error');
    const cases = [
      { paydeskUrl: '', apiKey: 'k', transid: 'ch_1', amount: '5.00', currency: 'USD' },
      { paydeskUrl: base, apiKey: '', transid: 'ch_1', amount: '5.00', currency: 'USD' },
      { paydeskUrl: base, apiKey: 'k', transid: 'PAYPAL-123', amount: '5.00', currency: 'USD' },
      { paydeskUrl: base, apiKey: 'k', transid: 'ch_1', amount: '5.001', currency: 'USD' },
      { paydeskUrl: base, apiKey: 'k', transid: 'ch_1', amount: '0.00', currency: 'USD' },
      { paydeskUrl: base, apiKey: 'k', transid: 'ch_1', amount: '5.50', currency: 'JPY' },
    ];
    for (const params of cases) {
      const r = (await callModule('refund', params)) as Record<string, unknown>;
      assert.equal(r.status, 'error', JSON.stringify(params));
      assert.equal(r.transid, '');
    }
    assert.equal(seen.length, 0, 'no request reached paydesk');
  });
});
