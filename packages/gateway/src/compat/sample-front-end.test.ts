// The subscription prototype's front end in Chromium against paydesk: the fixed-price sample's
// vanilla-JS pages (test-fixtures/fixed-price-sample, written for these tests from the sample's
// documented behaviour) served as the sample's server served them — from the same origin as the API —
// with only two things pointed at paydesk: Stripe.js's URL (rewritten to the emulator's stand-in) and
// the publishable key (from paydesk's GET /config). A person registers, picks a plan, pays with the
// Payment Element, sees the account, changes plan and cancels; every step is checked through
// paydesk's own API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { axeViolations, launchBrowser, screenshots } from '@paydesk/emulator/browser-testing';
import type { Browser, Page } from 'playwright-core';
import { jobKinds } from '../jobs.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { auth, type Json, json, once } from './testing.js';

const FIXTURE = fileURLToPath(new URL('../../test-fixtures/fixed-price-sample/', import.meta.url));
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

let tdb: TestDatabase;
let t: TestApp;
let paydeskUrl: string;
let site: Server;
let siteUrl: string;
let browser: Browser;

/**
 * The front end's own server: its files, with Stripe.js's URL pointed at the emulator, and every other
 * path passed to paydesk (cookies both ways), as the sample's server answered both.
 */
async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://front.test').pathname;
  const file = path === '/' ? 'index.html' : path.slice(1);
  if (request.method === 'GET' && /^[a-z-]+\.(html|js|css)$/.test(file)) {
    let body = await readFile(join(FIXTURE, file), 'utf8');
    if (file.endsWith('.html')) body = body.replaceAll('https://js.stripe.com/v3/', `${t.emulator.url}/v3/`);
    response.writeHead(200, { 'content-type': types[extname(file)]! }).end(body);
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'cookie', 'authorization']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const answer = await fetch(`${paydeskUrl}${request.url}`, {
    method: request.method,
    headers,
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
  });
  const out: Record<string, string | string[]> = {
    'content-type': answer.headers.get('content-type') ?? 'application/octet-stream',
  };
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  response.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
}

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open());
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  paydeskUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  // The prototype's webhook path, registered with Stripe as the sample registered it.
  const endpoint = await t.stripe.webhookEndpoints.create(
    { url: `${paydeskUrl}/webhook`, enabled_events: ['*'] },
    once(),
  );
  t.context.webhookSecrets.push(endpoint.secret!);
  t.context.queue.start(jobKinds(t.context));
  site = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => res.writeHead(502).end(String(err)));
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await t.app.close();
  await tdb.destroy();
});

/** Waits until the emulator has delivered every webhook and paydesk's jobs have applied them. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    await t.emulator.delivery.idle();
    await t.context.queue.idle({ timeoutMs: 30_000 });
    await sleep(20);
  }
}

async function noSeriousViolations(page: Page, name: string) {
  assert.deepEqual(await axeViolations(page), [], `${name}: axe-core serious or critical violations`);
}

describe('the fixed-price sample’s front end against paydesk (Chromium)', () => {
  test('register → prices → subscribe with the Payment Element → account → change plan → cancel', async () => {
    const key = await t.apiKey();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const subscriptions = async (customer: string) =>
      (
        json(
          await t.app.inject({
            method: 'GET',
            url: `/v1/subscriptions?customer=${customer}`,
            headers: auth(key),
          }),
        ) as { data: Json[] }
      ).data;

    // Register.
    await page.goto(`${siteUrl}/`);
    await noSeriousViolations(page, 'register');
    await screenshots(page, 'compat', 'sample-register');
    await page.getByLabel('Email').fill('jenny.rosen@example.com');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL('**/prices.html');
    const cookies = await page.context().cookies(siteUrl);
    const cookie = cookies.find((c) => c.name === 'customer');
    assert.ok(cookie?.httpOnly, 'the customer cookie is HttpOnly');
    // The cookie holds a paydesk user token: paydesk's own API knows whose it is.
    const me = json(
      await t.app.inject({ method: 'GET', url: '/v1/customers/me', headers: auth(cookie.value) }),
    );
    const customerId = String(me.id);
    assert.equal(me.email, 'jenny.rosen@example.com');

    // Prices: the catalog's monthly usd plans, with their products' names.
    await page.getByRole('button', { name: 'Select Starter' }).waitFor();
    assert.deepEqual(await page.locator('.price h2').allTextContents(), ['Starter', 'Pro']);
    assert.match(await page.locator('.price').first().innerText(), /\$9\.00\s*\/ month/);
    await noSeriousViolations(page, 'prices');
    await screenshots(page, 'compat', 'sample-prices');
    await page.getByRole('button', { name: 'Select Starter' }).click();
    await page.waitForURL('**/subscribe.html');
    const [pending] = await subscriptions(customerId);
    assert.equal(
      pending?.status,
      'incomplete',
      'subscribed default_incomplete, waiting for the first payment',
    );

    // Subscribe: the Payment Element (the emulator's Stripe.js stand-in) confirms the first payment.
    const frame = page.frameLocator('iframe[title="Secure payment input frame"]');
    await frame.getByLabel('Card number').fill('4242424242424242');
    await frame.getByLabel('Expiration date').fill('12 / 34');
    await frame.getByLabel('Security code').fill('123');
    const zip = frame.getByLabel('ZIP code');
    if (await zip.count()) await zip.fill('10001');
    await screenshots(page, 'compat', 'sample-subscribe');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL('**/account.html');

    // Account: active, the card that paid, and paydesk agrees (its webhooks applied the first invoice).
    const subscription = page.locator('.subscription').first();
    await subscription.waitFor();
    assert.equal(await subscription.locator('h2').innerText(), 'Starter');
    assert.equal(await subscription.locator('.status').innerText(), 'active');
    assert.equal(await subscription.locator('.last4').innerText(), '•••• 4242');
    await noSeriousViolations(page, 'account');
    await screenshots(page, 'compat', 'sample-account');
    await settle();
    const [active] = await subscriptions(customerId);
    assert.equal(active?.status, 'active');
    assert.equal(active?.plan, 'starter');
    const credits = json(
      await t.app.inject({
        method: 'GET',
        url: `/v1/customers/${customerId}/credits/ledger`,
        headers: auth(key),
      }),
    );
    assert.equal(credits.balance, 200, 'the Starter plan’s credits for the period, from invoice.paid');

    // Change plan: preview the next invoice, then move to Pro.
    await page.getByRole('link', { name: 'Change plan' }).click();
    await page.waitForURL('**/change-plan.html?subscription=*');
    await page.getByRole('button', { name: 'Preview Pro' }).click();
    await page.locator('#preview').waitFor({ state: 'visible' });
    assert.match(
      await page.locator('#preview-text').innerText(),
      /^Pro: \$[\d,.]+ due on the next invoice\.$/,
    );
    await noSeriousViolations(page, 'change plan');
    await screenshots(page, 'compat', 'sample-change-plan');
    await page.getByRole('button', { name: 'Confirm change' }).click();
    await page.waitForURL('**/account.html');
    await page.locator('.subscription h2', { hasText: 'Pro' }).waitFor();
    const [changed] = await subscriptions(customerId);
    assert.equal(changed?.plan, 'pro');
    assert.equal(changed?.status, 'active');

    // Cancel.
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL('**/cancel.html?subscription=*');
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await page.locator('#messages', { hasText: 'Subscription status: canceled' }).waitFor();
    await noSeriousViolations(page, 'cancel');
    await screenshots(page, 'compat', 'sample-cancelled');
    const [ended] = await subscriptions(customerId);
    assert.equal(ended?.status, 'canceled');
    await page.goto(`${siteUrl}/account.html`);
    await page.locator('.subscription .status', { hasText: 'canceled' }).waitFor();

    assert.deepEqual(errors, [], 'no script errors on any page');
    await page.close();
  });
});
