// Notifications in the console, with a real product at PAYDESK_NOTIFY_URL (a local HTTP receiver):
// any notification — delivered or dead — is redelivered through notifications/service.ts (as the
// admin API does): one new delivery per form, beside the earlier ones, reaching the product exactly
// once, signed; audited; refused without the CSRF token and for a read-only sign-in. Its page lists
// every delivery.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { jobKinds } from '../../jobs.js';
import { signNotification } from '../../notifications/service.js';
import { auth, newCustomer } from '../../refunds/test-support.js';
import { TEST_ADMIN_KEY } from '../../testing/app.js';
import { useTestApp } from '../../testing/setup.js';

const READONLY_KEY = 'pdr_test_readonly_key_for_console_notify_0123';
const SECRET = 'notify-secret-for-the-console-test-0123456789';

/** What the product received: each POST's notification and whether its signature verified. */
const received: { id: string; type: string; signed: boolean }[] = [];
let product: Server;
let refusing = true;

const t = useTestApp(async () => {
  product = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['paydesk-signature'] ?? '');
      const t = Number(/^t=(\d+),/.exec(header)?.[1]);
      const n = JSON.parse(body) as { id: string; type: string; data: { delta?: number } };
      // The product refuses the notifications of a 7-credit grant while `refusing` (a failing delivery).
      if (refusing && n.data.delta === 7) {
        res.writeHead(503).end('busy');
        return;
      }
      received.push({ id: n.id, type: n.type, signed: header === signNotification(SECRET, body, t) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => product.listen(0, '127.0.0.1', resolve));
  const { port } = product.address() as AddressInfo;
  return {
    syncCatalog: false,
    // A failed delivery waits 30–60 s for its next attempt, so the test sees it queued-to-retry on
    // every page it reads (the test default of 10–200 ms let it be running again in between).
    queue: { retry: { baseMs: 60_000, factor: 2, maxMs: 60_000 } },
    env: {
      PAYDESK_NOTIFY_URL: `http://127.0.0.1:${port}/paydesk`,
      PAYDESK_NOTIFY_SECRET: SECRET,
      PAYDESK_CONSOLE_READONLY_KEY: READONLY_KEY,
    },
  };
});
after(() => new Promise<void>((resolve) => product?.close(() => resolve())));

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
      operator: 'Linus',
      next: '/console',
    }).toString(),
  });
  assert.equal(res.statusCode, 303, res.body);
  cookiesOf(res, jar);
  const page = await t.app.inject({
    method: 'GET',
    url: '/console/notifications',
    headers: { cookie: header(jar) },
  });
  return { cookie: header(jar), csrf: csrfOf(page.body) };
}

const get = (url: string, who: Session) =>
  t.app.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const post = (url: string, form: Record<string, string>, who: Session) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });

type Delivery = { job: number; redelivery_of: number | null; status: string; attempts: number };
async function deliveries(id: string): Promise<Delivery[]> {
  const r = await t.app.inject({
    method: 'GET',
    url: `/admin/notifications/${id}`,
    headers: auth(TEST_ADMIN_KEY),
  });
  assert.equal(r.statusCode, 200, r.body);
  return (JSON.parse(r.body) as { deliveries: Delivery[] }).deliveries;
}
const audited = async () =>
  (
    await t.context.db.query<{ target: string; actor: string; details: Record<string, unknown> }>(
      "SELECT target, actor, details FROM audit_log WHERE action = 'notification.redeliver' ORDER BY id",
    )
  ).rows;
const timesReceived = (id: string) => received.filter((r) => r.id === id).length;

let admin: Session;
let reader: Session;
let delivered: string;

before(async () => {
  await t.ready;
  t.context.queue.start(jobKinds(t.context));
  admin = await signIn(TEST_ADMIN_KEY);
  reader = await signIn(READONLY_KEY);
  // A real notification: credits granted through the API, delivered to the product.
  const key = await t.apiKey(['read', 'write']);
  const customer = await newCustomer(t, key, 'notify-console-1');
  const r = await t.app.inject({
    method: 'POST',
    url: `/v1/customers/${customer}/credits/adjust`,
    headers: auth(key),
    payload: { amount: 40, idempotency_key: 'notify-console-grant', note: 'Welcome' },
  });
  assert.ok(r.statusCode === 200 || r.statusCode === 201, r.body);
  await t.context.queue.idle();
  const sent = received.filter((n) => n.type === 'credits.updated');
  assert.equal(sent.length, 1, JSON.stringify(received));
  delivered = sent[0]!.id;
});

describe('console: notifications redelivered', () => {
  test('refused without the CSRF token and for a read-only sign-in: nothing sent, queued or audited', async () => {
    const form = { request_id: 'console-refused-1', back: 'detail' };
    const none = await post(`/console/notifications/${delivered}/redeliver`, form, admin);
    assert.equal(none.statusCode, 403);
    const ro = await post(
      `/console/notifications/${delivered}/redeliver`,
      { ...form, _csrf: reader.csrf },
      reader,
    );
    assert.equal(ro.statusCode, 403);
    assert.match(ro.body, /read-only/);
    assert.match(
      (await get(`/console/notifications/${delivered}`, reader)).body,
      /disabled title="Read-only sign-in"/,
    );
    await t.context.queue.idle();
    assert.equal(timesReceived(delivered), 1);
    assert.equal((await deliveries(delivered)).length, 1);
    assert.deepEqual(await audited(), []);
  });

  test('a delivered notification is sent again once per form: a second delivery beside the first, audited', async () => {
    const page = await get('/console/notifications', admin);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`href="/console/notifications/${delivered}"`));
    const form = new RegExp(
      `<form method="post" action="/console/notifications/${delivered}/redeliver"[^>]*>([\\s\\S]*?)</form>`,
    ).exec(page.body);
    assert.ok(form, 'a delivered notification has a Redeliver button');
    const requestId = /name="request_id" value="([^"]+)"/.exec(form[1]!)?.[1];
    assert.ok(requestId);
    const body = { _csrf: admin.csrf, request_id: requestId, back: 'list' };
    const r = await post(`/console/notifications/${delivered}/redeliver`, body, admin);
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(r.headers.location, `/console/notifications?done=redelivered&ref=${delivered}`);
    await t.context.queue.idle();
    assert.equal(timesReceived(delivered), 2, 'the product got it a second time');
    assert.ok(received.filter((n) => n.id === delivered).every((n) => n.signed));
    const [first, second] = await deliveries(delivered);
    assert.deepEqual(
      [first?.status, first?.redelivery_of, second?.status, second?.redelivery_of, second?.attempts],
      ['done', null, 'done', first?.job, 1],
    );
    // The same form again (a double click, a reload that posts): no third delivery, no second entry.
    const again = await post(`/console/notifications/${delivered}/redeliver`, body, admin);
    assert.equal(again.statusCode, 303);
    assert.match(String(again.headers.location), /done=already-redelivered/);
    await t.context.queue.idle();
    assert.equal(timesReceived(delivered), 2);
    assert.equal((await deliveries(delivered)).length, 2);
    const log = await audited();
    assert.equal(log.length, 1);
    assert.deepEqual(
      [log[0]!.target, log[0]!.details.job, log[0]!.details.redelivery_of, log[0]!.details.type],
      [delivered, second!.job, first!.job, 'credits.updated'],
    );
    assert.match(log[0]!.actor, /Linus/);

    const detail = await get(`/console/notifications/${delivered}?done=redelivered&ref=${delivered}`, admin);
    assert.equal(detail.statusCode, 200);
    assert.match(detail.body, /is being delivered again/);
    assert.match(detail.body, /<dt>Deliveries<\/dt><dd>2<\/dd>/);
    assert.match(detail.body, new RegExp(`redelivery \\(of job ${first!.job}\\)`));
  });

  test('a dead notification is redelivered too; the dead delivery stays as it was', async () => {
    const seeded = await t.context.db.query<{ id: string }>(
      `INSERT INTO jobs (kind, key, payload, status, attempts, max_attempts, last_error)
       VALUES ('notify', 'credits.updated:console-dead-1', $1, 'dead', 8, 8, 'the notification endpoint answered 503')
       RETURNING id`,
      [{ notification: { id: 'ntf_console_dead1', type: 'credits.updated', created: 1795420639, data: {} } }],
    );
    const r = await post(
      '/console/notifications/ntf_console_dead1/redeliver',
      { _csrf: admin.csrf, request_id: 'console-dead-1', back: 'detail' },
      admin,
    );
    assert.equal(r.statusCode, 303, r.body);
    assert.equal(
      r.headers.location,
      '/console/notifications/ntf_console_dead1?done=redelivered&ref=ntf_console_dead1',
    );
    await t.context.queue.idle();
    assert.equal(timesReceived('ntf_console_dead1'), 1);
    const list = await deliveries('ntf_console_dead1');
    assert.deepEqual(
      list.map((d) => [d.status, d.redelivery_of]),
      [
        ['dead', null],
        ['done', Number(seeded.rows[0]!.id)],
      ],
    );
    assert.equal((await audited()).length, 2);
  });

  test('a failing notification (the product answers 503, the queue will retry) is listed as failing and redelivered', async () => {
    const key = await t.apiKey(['read', 'write']);
    const customer = await newCustomer(t, key, 'notify-console-2');
    const r = await t.app.inject({
      method: 'POST',
      url: `/v1/customers/${customer}/credits/adjust`,
      headers: auth(key),
      payload: { amount: 7, idempotency_key: 'notify-console-seven' },
    });
    assert.ok(r.statusCode === 200 || r.statusCode === 201, r.body);
    let id: string | undefined;
    for (let i = 0; i < 1000 && !id; i++) {
      const failing = await t.context.db.query<{ id: string }>(
        `SELECT payload -> 'notification' ->> 'id' AS id FROM jobs
         WHERE kind = 'notify' AND status = 'queued' AND attempts > 0 AND payload -> 'notification' -> 'data' ->> 'delta' = '7'`,
      );
      id = failing.rows[0]?.id;
      if (!id) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(id, 'the delivery failed once and waits for its next attempt');
    const list = await get('/console/notifications?status=retrying', admin);
    assert.equal(list.statusCode, 200);
    const rows = list.body.split('<tr>').filter((row) => row.includes('/redeliver"'));
    assert.equal(rows.length, 1, 'only the failing delivery is listed');
    assert.match(rows[0]!, new RegExp(`/console/notifications/${id}/redeliver`));
    assert.match(rows[0]!, /<span class="badge warn">failing \(will retry\)<\/span>/);
    assert.match(rows[0]!, /the notification endpoint answered 503/);
    const jobs = await get('/console/jobs?status=retrying', admin);
    assert.match(jobs.body, /<span class="badge warn">retrying<\/span>/);

    refusing = false;
    const redo = await post(
      `/console/notifications/${id}/redeliver`,
      { _csrf: admin.csrf, request_id: 'console-failing-1' },
      admin,
    );
    assert.equal(redo.statusCode, 303, redo.body);
    for (let i = 0; i < 1000 && timesReceived(id) === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(timesReceived(id) >= 1, 'the product got it');
    await t.context.queue.idle();
    const [first, second] = await deliveries(id);
    assert.deepEqual([second?.redelivery_of, second?.status], [first?.job, 'done']);
    assert.ok((first?.attempts ?? 0) >= 1, 'the first delivery kept its failed attempts');
  });

  test('the admin API redelivers through the same service; unknown notifications are 404 pages', async () => {
    const made = await t.app.inject({
      method: 'POST',
      url: `/admin/notifications/${delivered}/redeliver`,
      headers: auth(TEST_ADMIN_KEY),
      payload: { request_id: 'api-1' },
    });
    assert.equal(made.statusCode, 201, made.body);
    const same = await t.app.inject({
      method: 'POST',
      url: `/admin/notifications/${delivered}/redeliver`,
      headers: auth(TEST_ADMIN_KEY),
      payload: { request_id: 'api-1' },
    });
    assert.equal(same.statusCode, 200);
    assert.equal(JSON.parse(same.body).job, JSON.parse(made.body).job);
    await t.context.queue.idle();
    assert.equal(timesReceived(delivered), 3);
    const missing = await t.app.inject({
      method: 'POST',
      url: '/admin/notifications/ntf_nobody/redeliver',
      headers: auth(TEST_ADMIN_KEY),
      payload: {},
    });
    assert.equal(missing.statusCode, 404);
    const page = await get('/console/notifications/ntf_nobody', admin);
    assert.equal(page.statusCode, 404);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    const action = await post(
      '/console/notifications/ntf_nobody/redeliver',
      { _csrf: admin.csrf, request_id: 'x-1' },
      admin,
    );
    assert.equal(action.statusCode, 404);
    const bad = await get('/console/notifications/not-a-notification', admin);
    assert.equal(bad.statusCode, 400);
    // A notify job written without `created` or `data` (by hand, or by an older version): shown, not a 500.
    await t.context.db.query(
      `INSERT INTO jobs (kind, key, payload, status, attempts, max_attempts)
       VALUES ('notify', 'hand:1', '{"notification": {"id": "ntf_by_hand1", "type": "credits.updated"}}', 'done', 1, 8)`,
    );
    const byHand = await t.app.inject({
      method: 'GET',
      url: '/admin/notifications/ntf_by_hand1',
      headers: auth(TEST_ADMIN_KEY),
    });
    assert.equal(byHand.statusCode, 200, byHand.body);
    assert.deepEqual([JSON.parse(byHand.body).created, JSON.parse(byHand.body).data], [null, {}]);
    assert.equal((await get('/console/notifications/ntf_by_hand1', admin)).statusCode, 200);
    assert.equal((await get('/console/notifications?status=done', admin)).statusCode, 200);
  });
});
