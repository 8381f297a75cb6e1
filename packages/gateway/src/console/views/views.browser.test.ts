// The console's tables in Chromium, each action checked through the API afterwards: payments filtered
// and paged (and exported), a refund from a payment's page, credits adjusted with a note, a failed
// webhook event replayed, a dead job retried, a delivered and a dead notification redelivered to the
// product (a local HTTP receiver: once per click), a dead WHMCS payment retried onto its invoice (the
// fake WHMCS), an API key made and revoked, every one of them in the audit log; a read-only sign-in
// that sees and cannot act; an unknown page. Every view passes axe-core and is photographed at 1280
// and 390 px (screenshots/console-tables/).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { axeViolations, launchBrowser, screenshots } from '@paydesk/emulator/browser-testing';
import { type FakeWhmcs, startFakeWhmcs } from '@paydesk/whmcs/fake';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { jobKinds } from '../../jobs.js';
import { auth, json, newCustomer, type Paid, payDirect } from '../../refunds/test-support.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { eventById } from '../../webhooks/service.js';

const READONLY_KEY = 'pdr_test_readonly_key_for_console_tables_0123';
let tdb: TestDatabase;
let t: TestApp;
let browser: Browser;
let admin: BrowserContext;
let axeContext: BrowserContext;
let page: Page;
let base: string;
let key: string;
let paid: Paid;
let buyer: string;
let product: Server;
let whmcs: FakeWhmcs;
/** The notification ids the product received, one per POST. */
const received: string[] = [];

async function signIn(context: BrowserContext, secret: string, operator: string): Promise<Page> {
  const p = await context.newPage();
  await p.goto(`${base}/console/sign-in`);
  await p.fill('#key', secret);
  await p.fill('#operator', operator);
  await Promise.all([p.waitForURL(`${base}/console`), p.click('button[type=submit]')]);
  return p;
}

/**
 * axe-core finds nothing serious on the page, and it is photographed at both widths. axe runs on a
 * copy of the page in a context that lets its script in (the console's CSP rightly refuses it).
 */
async function check(p: Page, name: string): Promise<void> {
  const copy = await axeContext.newPage();
  try {
    await copy.goto(`${base}/console/sign-in`);
    await copy.setContent(await p.content(), { waitUntil: 'load' });
    assert.deepEqual(await axeViolations(copy), [], `${name}: axe-core`);
  } finally {
    await copy.close();
  }
  await screenshots(p, 'console-tables', name);
}

async function apiGet(url: string, token = key): Promise<Record<string, unknown>> {
  const r = await t.app.inject({ method: 'GET', url, headers: auth(token) });
  assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
  return json(r);
}

/** The ids in the first column of the page's table. */
function firstColumn(p: Page): Promise<string[]> {
  return p.$$eval('main table tbody tr td:first-child', (cells) =>
    cells.map((c) => c.textContent?.trim() ?? ''),
  );
}

/** Seeds dead jobs, as a job that ran out of attempts leaves them (the queue's own columns). */
async function deadNotification(n: number): Promise<number> {
  const r = await t.context.db.query<{ id: string }>(
    `INSERT INTO jobs (kind, key, payload, status, attempts, max_attempts, last_error)
     VALUES ('notify', $1, $2, 'dead', 8, 8, 'the notification endpoint answered 503') RETURNING id`,
    [
      `credits.updated:console-test-${n}`,
      {
        notification: {
          id: `ntf_console_${n}`,
          type: 'credits.updated',
          data: { customer: buyer, balance: n },
        },
      },
    ],
  );
  return Number(r.rows[0]!.id);
}

before(async () => {
  product = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => product.listen(0, '127.0.0.1', resolve));
  whmcs = await startFakeWhmcs({ identifier: 'paydesk-api', secret: 'paydesk-api-secret' });
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), {
    env: {
      PAYDESK_CONSOLE_READONLY_KEY: READONLY_KEY,
      PAYDESK_NOTIFY_URL: `http://127.0.0.1:${(product.address() as AddressInfo).port}/paydesk`,
      PAYDESK_NOTIFY_SECRET: 'notify-secret-for-the-console-tables-0123',
      PAYDESK_WHMCS_URL: whmcs.url,
      PAYDESK_WHMCS_IDENTIFIER: 'paydesk-api',
      PAYDESK_WHMCS_SECRET: 'paydesk-api-secret',
      PAYDESK_WHMCS_MODULE_SECRET: 'whmcs-module-secret-for-the-console-0123',
    },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = await t.stripe.webhookEndpoints.create(
    { url: `${base}/webhooks/stripe`, enabled_events: ['*'] },
    { idempotencyKey: 'pd:test-console-tables-endpoint' },
  );
  t.context.webhookSecrets.push(endpoint.secret!);
  t.context.queue.start(jobKinds(t.context));
  key = await t.apiKey(['read', 'write', 'refunds']);
  buyer = await newCustomer(t, key, 'console-buyer');
  paid = await payDirect(t, key, { customer: buyer, quantity: 3 });
  // Volume for the filters and pages: 40 earlier payments of another customer, half of them in eur.
  const other = await newCustomer(t, key, 'console-other');
  for (let i = 0; i < 40; i++) {
    await t.context.db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, paid_at, description)
       VALUES ($1, $2, $3, $4, $5, 'payment_intent', $6, 'Seeded payment')`,
      [
        `pay_seed${String(i).padStart(3, '0')}`,
        `pi_seed${i}`,
        other,
        1000 + i,
        i % 2 === 0 ? 'eur' : 'usd',
        new Date(Date.UTC(2026, 5, 1, 0, i)),
      ],
    );
  }
  browser = await launchBrowser();
  admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await signIn(admin, TEST_ADMIN_KEY, 'Ada');
  axeContext = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
});
after(async () => {
  await browser?.close();
  await t?.app.close();
  await tdb?.destroy();
  await whmcs?.close();
  await new Promise<void>((resolve) => (product ? product.close(() => resolve()) : resolve()));
});

describe('console tables in a browser', () => {
  test('payments: filter by currency, page through, the same rows as the API; CSV of the filter', async () => {
    await page.goto(`${base}/console/payments`);
    await check(page, 'payments');
    await page.selectOption('#f-limit', '25');
    await page.fill('#f-currency', 'eur');
    await Promise.all([page.waitForURL(/currency=eur/), page.click('form.filters button[type=submit]')]);
    const first = await firstColumn(page);
    assert.equal(first.length, 20, 'every eur payment on one page of 25');
    // The API's list, filtered the same way, newest first.
    const all: { id: string; currency: string }[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const body = await apiGet(`/v1/payments?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...(body.data as { id: string; currency: string }[]));
      if (!body.has_more) break;
      cursor = body.next_cursor as string;
    }
    assert.deepEqual(
      first,
      all.filter((p) => p.currency === 'eur').map((p) => p.id),
    );

    await page.goto(`${base}/console/payments?limit=25`);
    const page1 = await firstColumn(page);
    await Promise.all([page.waitForURL(/cursor=/), page.click('a[rel=next]')]);
    const page2 = await firstColumn(page);
    assert.equal(page1.length, 25);
    assert.deepEqual(
      [...page1, ...page2],
      all.map((p) => p.id),
      'two pages: every payment once, in order',
    );
    assert.equal(await page.locator('a[rel=next]').count(), 0, 'no third page');

    const csv = await page.request.get(`${base}/console/payments?currency=eur&format=csv`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    assert.equal(
      lines[0],
      'Payment,Amount,Currency,Status,Refunded,Customer,Description,Paid,Dispute,Stripe payment intent',
    );
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',')[0]),
      first,
    );
    assert.match(
      lines[1]!,
      /^pay_seed038,1038,eur,succeeded,0,console-other,Seeded payment,2026-06-01T00:38:00.000Z,,pi_seed38$/,
    );
  });

  test('refund from the payments view: the API shows the refund and the payment refunded in part', async () => {
    await page.goto(`${base}/console/payments?customer=console-buyer`);
    assert.deepEqual(await firstColumn(page), [paid.payment]);
    await Promise.all([
      page.waitForURL(`${base}/console/payments/${paid.payment}#refund`),
      page.click(`a[aria-label="Refund ${paid.payment}"]`),
    ]);
    await check(page, 'payment');
    await page.fill('#refund-amount', '5.00');
    await page.selectOption('#refund-reason', 'requested_by_customer');
    await Promise.all([page.waitForURL(/done=refunded/), page.click('form.refund-form button[type=submit]')]);
    assert.match(await page.locator('.notice.ok').innerText(), /Refund rf_\w+ requested/);
    const refunds = await apiGet(`/v1/refunds?payment=${paid.payment}`);
    const [refund] = refunds.data as { id: string; amount: number; status: string; reason: string }[];
    assert.equal(refund?.amount, 500);
    assert.equal(refund?.status, 'succeeded');
    assert.equal(refund?.reason, 'requested_by_customer');
    const payments = await apiGet(`/v1/payments?customer=${paid.customer}`).catch(() => undefined);
    void payments;
    assert.match(await page.locator('main').innerText(), /partially refunded/);
  });

  test('credits: adjust with a note; the ledger through the API has it', async () => {
    await page.goto(`${base}/console/customers?customer=console-buyer`);
    await check(page, 'customers');
    await Promise.all([page.waitForURL(`${base}/console/customers/${buyer}`), page.click('main table a')]);
    await page.fill('#adjust-amount', '50');
    await page.fill('#adjust-note', 'Goodwill for the outage');
    await Promise.all([page.waitForURL(/done=adjusted/), page.click('form[action$="/credits"] button')]);
    await check(page, 'customer');
    const ledger = await apiGet(`/v1/customers/${buyer}/credits/ledger`);
    const [entry] = ledger.data as { delta: number; note: string; reason: string; balance: number }[];
    assert.deepEqual(
      { delta: entry?.delta, note: entry?.note, reason: entry?.reason },
      { delta: 50, note: 'Goodwill for the outage', reason: 'adjustment' },
    );
    await page.goto(`${base}/console/credits?reason=adjustment`);
    await check(page, 'credits');
    assert.match(await page.locator('main table').innerText(), /Goodwill for the outage/);
  });

  test('webhook events: a failed event is replayed and applied', async () => {
    // The payment's events arrived through the endpoint; one is marked as its handler's failure leaves it.
    const events = await t.context.db.query<{ id: string }>(
      "SELECT id FROM stripe_events WHERE type = 'payment_intent.succeeded' ORDER BY seq DESC LIMIT 1",
    );
    const id = events.rows[0]?.id;
    assert.ok(id, 'the payment intent’s event was delivered');
    await t.context.db.query(
      `UPDATE stripe_events SET status = 'failed', status_reason = 'Stripe was unreachable', last_error = 'Stripe was unreachable', attempts = 12 WHERE id = $1`,
      [id],
    );
    await page.goto(`${base}/console/events?status=failed`);
    await check(page, 'events');
    assert.deepEqual(await firstColumn(page), [id]);
    await Promise.all([
      page.waitForURL(`${base}/console/events/${id}`),
      page.click(`a[href="/console/events/${id}"]`),
    ]);
    await check(page, 'event');
    await Promise.all([
      page.waitForURL(/done=replayed/),
      page.click(`button[aria-label="Replay event ${id}"]`),
    ]);
    const after = await eventById(t.context.db, id);
    assert.ok(
      after?.status === 'processed' || after?.status === 'ignored',
      `applied again: ${after?.status}`,
    );
    assert.doesNotMatch(await page.locator('main dl').innerText(), /failed/);
  });

  test('jobs: a dead job is retried; notifications: a delivered one and a dead one are redelivered, once per click', async () => {
    const job = await deadNotification(1);
    const dead = await deadNotification(2);
    await page.goto(`${base}/console/jobs?status=dead`);
    await check(page, 'jobs');
    await Promise.all([page.waitForURL(/done=retried/), page.click(`button[aria-label="Retry job ${job}"]`)]);
    await t.context.queue.idle();
    const jobs = (await apiGet('/admin/jobs?kind=notify', TEST_ADMIN_KEY)).data as {
      id: number;
      status: string;
    }[];
    assert.equal(jobs.find((j) => j.id === job)?.status, 'done', `job ${job} ran again`);
    assert.equal(received.filter((id) => id === 'ntf_console_1').length, 1);

    // A notification the product already got: the credits adjusted above.
    const adjusted = await t.context.db.query<{ id: string }>(
      `SELECT payload -> 'notification' ->> 'id' AS id FROM jobs
       WHERE kind = 'notify' AND status = 'done' AND payload -> 'notification' ->> 'type' = 'credits.updated'
         AND payload -> 'notification' -> 'data' ->> 'delta' = '50'`,
    );
    const id = adjusted.rows[0]?.id;
    assert.ok(id, 'the adjustment’s notification was delivered');
    const times = () => received.filter((r) => r === id).length;
    assert.equal(times(), 1);
    await page.goto(`${base}/console/notifications?status=done`);
    await check(page, 'notifications');
    await Promise.all([
      page.waitForURL(/notifications\?done=redelivered/),
      page.click(`button[aria-label="Redeliver ${id}"]`),
    ]);
    await t.context.queue.idle();
    assert.equal(times(), 2, 'one click, one more delivery to the product');
    await Promise.all([
      page.waitForURL(`${base}/console/notifications/${id}`),
      page.click(`a[href="/console/notifications/${id}"]`),
    ]);
    await Promise.all([
      page.waitForURL(/done=redelivered/),
      page.click(`button[aria-label="Redeliver ${id}"]`),
    ]);
    await t.context.queue.idle();
    assert.equal(times(), 3);
    await page.reload();
    await check(page, 'notification');
    const detail = (await apiGet(`/admin/notifications/${id}`, TEST_ADMIN_KEY)).deliveries as {
      job: number;
      status: string;
      redelivery_of: number | null;
    }[];
    assert.deepEqual(
      detail.map((d) => [d.status, d.redelivery_of]),
      [
        ['done', null],
        ['done', detail[0]!.job],
        ['done', detail[0]!.job],
      ],
    );
    assert.equal(await page.locator('main table tbody tr').count(), 3, 'the page lists the three deliveries');
    assert.equal(times(), 3, 'a reload posts nothing');

    await page.goto(`${base}/console/notifications?status=dead`);
    await Promise.all([
      page.waitForURL(/notifications\?done=redelivered/),
      page.click('button[aria-label="Redeliver ntf_console_2"]'),
    ]);
    await t.context.queue.idle();
    assert.equal(received.filter((r) => r === 'ntf_console_2').length, 1);
    const deliveries = (await apiGet('/admin/notifications/ntf_console_2', TEST_ADMIN_KEY)).deliveries as {
      job: number;
      status: string;
    }[];
    assert.deepEqual(
      deliveries.map((d) => [d.job === dead, d.status]),
      [
        [true, 'dead'],
        [false, 'done'],
      ],
    );
  });

  test('WHMCS: a payment that never reached its invoice is listed and retried onto it', async () => {
    const client = whmcs.state.addClient({ email: 'console-whmcs@example.com', currency: 'USD' });
    const invoice = whmcs.state.addInvoice(client.id, ['12.00']);
    await t.context.db.query(
      `INSERT INTO whmcs_payments (stripe_session_id, invoice_id, client_id, email, currency, amount, status,
                                   stripe_charge_id, amount_paid, attempts, last_error, expires_at)
       VALUES ('cs_console_whmcs', $1, $2, 'console-whmcs@example.com', 'USD', 1200, 'dead', 'ch_console_whmcs', 1200, 8,
               'WHMCS could not be reached: connect ECONNREFUSED', now() + interval '1 hour')`,
      [invoice.id, client.id],
    );
    await page.goto(`${base}/console/whmcs`);
    await check(page, 'whmcs');
    const row = await page.locator('main table tbody tr').first().innerText();
    for (const part of [
      `#${invoice.id}`,
      'payment',
      '12.00 USD',
      'dead',
      '8 attempts',
      'cs_console_whmcs',
      'ch_console_whmcs',
    ])
      assert.ok(row.includes(part), `${part} in ${row}`);
    await Promise.all([
      page.waitForURL(/whmcs\?done=retried/),
      page.click(`button[aria-label="Retry payment cs_console_whmcs of invoice ${invoice.id}"]`),
    ]);
    await t.context.queue.idle();
    assert.deepEqual(
      whmcs.state.transactions.filter((x) => x.invoiceid === invoice.id).map((x) => [x.transid, x.amountin]),
      [['ch_console_whmcs', 1200]],
    );
    const pending = (await apiGet('/admin/whmcs/pending', TEST_ADMIN_KEY)).data as { id: string }[];
    assert.equal(pending.filter((p) => p.id === 'cs_console_whmcs').length, 0);
    await page.reload();
    assert.match(await page.locator('main').innerText(), /Every paid invoice is recorded/);
  });

  test('API keys: a key made in the console is shown once and works; revoked, it is refused', async () => {
    await page.goto(`${base}/console/api-keys`);
    await page.fill('#key-name', 'reporting');
    await page.uncheck('input[name=scopes][value=write]');
    await page.click('form[action="/console/api-keys"] button[type=submit]');
    const made = await page.inputValue('#new-key');
    assert.match(made, /^pdk_/);
    await check(page, 'api-keys');
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/v1/payments', headers: auth(made) })).statusCode,
      200,
    );
    await page.goto(`${base}/console/api-keys`);
    assert.equal(await page.locator('#new-key').count(), 0, 'the key is not shown again');
    await Promise.all([page.waitForURL(/done=revoked/), page.click('button[aria-label="Revoke reporting"]')]);
    const r = await t.app.inject({ method: 'GET', url: '/v1/payments', headers: auth(made) });
    assert.equal(r.statusCode, 401);
  });

  test('the other lists render, and the audit log shows every action with who did it', async () => {
    for (const view of ['subscriptions', 'refunds', 'disputes']) {
      await page.goto(`${base}/console/${view}`);
      await check(page, view);
    }
    assert.match(
      await page.goto(`${base}/console/refunds`).then(() => page.locator('main table').innerText()),
      /requested by customer/,
    );
    await page.goto(`${base}/console/audit`);
    const log = await page.locator('main').innerText();
    for (const action of [
      'payment.refund',
      'credits.adjust',
      'webhook.replay',
      'job.retry',
      'notification.redeliver',
      'whmcs.retry',
      'api_key.create',
      'api_key.revoke',
    ])
      assert.match(log, new RegExp(action.replace('.', '\\.')), `${action} in the audit log`);
    assert.match(log, /Ada/);
    await check(page, 'audit');

    const missing = await page.goto(`${base}/console/nope`);
    assert.equal(missing?.status(), 404);
    assert.match(await page.locator('main h1').innerText(), /Not found/);
    await check(page, 'not-found');
    await Promise.all([page.waitForURL(`${base}/console`), page.click('main a[href="/console"]')]);
  });

  test('a read-only sign-in sees the tables, has no action buttons, and its posts are refused', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const ro = await signIn(context, READONLY_KEY, 'Reader');
      await ro.goto(`${base}/console/payments/${paid.payment}`);
      assert.equal(await ro.locator('form.refund-form').count(), 0);
      await ro.goto(`${base}/console/api-keys`);
      assert.equal(await ro.locator('form[action="/console/api-keys"]').count(), 0, 'no form to make a key');
      const revoke = ro.locator('main table button');
      assert.ok((await revoke.count()) > 0);
      for (const b of await revoke.all())
        assert.equal(await b.isDisabled(), true, 'revoke buttons are disabled');
      const csrf = await ro.locator('input[name=_csrf]').first().inputValue();
      const before = (await apiGet(`/v1/refunds?payment=${paid.payment}`)).data as unknown[];
      const r = await ro.request.post(`${base}/console/payments/${paid.payment}/refund`, {
        form: { _csrf: csrf, request_id: 'console-readonly-try', amount: '100' },
        maxRedirects: 0,
      });
      assert.equal(r.status(), 403);
      assert.equal(
        ((await apiGet(`/v1/refunds?payment=${paid.payment}`)).data as unknown[]).length,
        before.length,
      );
    } finally {
      await context.close();
    }
  });
});
