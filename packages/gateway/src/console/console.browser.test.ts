// The operator console in Chromium: sign in with the admin key, the overview's charts drawn from a
// seeded history (each chart's figures checked against SQL over the base tables, and a tooltip read
// off a chart), the audit log showing what was done, sign-out, session fixation and CSRF refused, a
// user token or API key not opening the console, the read-only key; axe-core on every page and
// screenshots at 1280 and 390 px into screenshots/console/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  axeViolations,
  launchBrowser,
  SCREENSHOTS_DIR,
  SCREENSHOTS_ON,
  WIDTHS,
} from '@paydesk/emulator/browser-testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { money } from '../pages/format.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { freePort } from '../testing/net.js';
import { seedHistory } from './seed.js';

const READONLY_KEY = 'pdr_test_readonly_key_0123456789abcdefghij';
let tdb: TestDatabase;
let t: TestApp;
let browser: Browser;
let base: string;

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), {
    env: { PAYDESK_PUBLIC_URL: base, PAYDESK_CONSOLE_READONLY_KEY: READONLY_KEY },
  });
  await seedHistory(t.context.db, {
    customers: 60,
    payments: 900,
    subscriptions: 240,
    ledger: 600,
    events: 300,
    deadJobs: 7,
    days: 30,
  });
  await t.app.listen({ port, host: '127.0.0.1' });
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  await t.app.close();
  await tdb.destroy();
});

/**
 * Screenshots at 1280 and 390 px (full page) into screenshots/console/, as the shared helper writes
 * them, but each taken once the charts have been redrawn to the new width.
 */
async function screenshots(page: Page, name: string): Promise<void> {
  const dir = join(SCREENSHOTS_DIR, 'console');
  mkdirSync(dir, { recursive: true });
  for (const [label, size] of [
    ['1280', WIDTHS.desktop],
    ['390', WIDTHS.phone],
  ] as const) {
    await page.setViewportSize(size);
    await page.waitForFunction((width) => {
      const doc = (
        globalThis as unknown as {
          document: {
            querySelectorAll(
              s: string,
            ): ArrayLike<{ clientWidth: number; querySelector(s: string): { clientWidth: number } | null }>;
          };
        }
      ).document;
      return Array.from(doc.querySelectorAll('.chart')).every(
        (c) => (c.querySelector('canvas')?.clientWidth ?? 0) <= Math.min(width, c.clientWidth),
      );
    }, size.width);
    if (SCREENSHOTS_ON) await page.screenshot({ path: join(dir, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS.desktop);
}

/** Screenshots at both widths, and axe-core on the same URL in a context that lets its script in (same cookies). */
async function check(page: Page, name: string): Promise<void> {
  await screenshots(page, name);
  const context = await browser.newContext({ bypassCSP: true });
  try {
    await context.addCookies(await page.context().cookies());
    const copy = await context.newPage();
    await copy.goto(page.url());
    assert.deepEqual(await axeViolations(copy), [], `axe on ${name}`);
  } finally {
    await context.close();
  }
}

async function signIn(page: Page, key: string, operator = ''): Promise<void> {
  await page.goto(`${base}/console`);
  assert.match(page.url(), /\/console\/sign-in\?next=%2Fconsole$/);
  await page.getByLabel('Key').fill(key);
  if (operator) await page.getByLabel(/Your name/).fill(operator);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/console`);
}

/** The figures table under a chart: its header and its rows (first cell = the row's label). */
async function figures(page: Page, chart: string): Promise<{ head: string[]; rows: string[][] }> {
  const card = page.locator('section.chart-card', { has: page.locator(`#${chart}`) });
  await card.locator('summary').click();
  const table = card.locator('.chart-table table');
  const head = await table.locator('thead th').allTextContents();
  const rows: string[][] = [];
  for (const tr of await table.locator('tbody tr').all())
    rows.push(await tr.locator('th, td').allInnerTexts());
  await card.locator('summary').click();
  return { head: head.map((h) => h.trim()), rows: rows.map((r) => r.map((c) => c.trim())) };
}

/** Waits until uPlot has drawn all six charts. */
async function chartsDrawn(page: Page): Promise<void> {
  await page.locator('.chart canvas').nth(5).waitFor();
  assert.equal(await page.locator('.chart canvas').count(), 6);
}

const shortDay = new Intl.DateTimeFormat('en', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const label = (day: string) => shortDay.format(new Date(`${day}T00:00:00Z`));
const n = (v: number) => new Intl.NumberFormat('en').format(v);

describe('operator console', () => {
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  after(() => context.close());

  test('the sign-in form; a wrong key is refused and the key never reaches a URL', async () => {
    await page.goto(`${base}/console`);
    assert.match(page.url(), /\/console\/sign-in/);
    await check(page, 'sign-in');
    await page.getByLabel('Key').fill('pda_not_the_key_0123456789abcdefghijkl');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key was not accepted.').waitFor();
    assert.doesNotMatch(page.url(), /pda_/);
  });

  test('session fixation: a session id planted before sign-in is replaced', async () => {
    await context.addCookies([
      { name: 'paydesk_console', value: 'planted-by-someone-else-0123456789abcdef', url: base },
    ]);
    await signIn(page, TEST_ADMIN_KEY, 'Ada');
    const cookie = (await context.cookies()).find((c) => c.name === 'paydesk_console')!;
    assert.notEqual(cookie.value, 'planted-by-someone-else-0123456789abcdef');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(!page.url().includes(TEST_ADMIN_KEY));
    assert.ok(!t.logs.lines.some((l) => l.includes(TEST_ADMIN_KEY)), 'the key is in no log line');
  });

  test('the overview draws every chart, and each shows the figures SQL gives', async () => {
    await page.goto(`${base}/console`);
    await chartsDrawn(page);
    const db = t.context.db;
    const { rows: today } = await db.query<{ today: string }>(
      `SELECT (now() AT TIME ZONE 'UTC')::date::text AS today`,
    );
    const days = Array.from({ length: 30 }, (_, i) =>
      new Date(Date.parse(`${today[0]!.today}T00:00:00Z`) - (29 - i) * 86_400_000).toISOString().slice(0, 10),
    );
    const inRange = `>= ($1::date)::timestamp AT TIME ZONE 'UTC'`;

    // Revenue: per paid day and currency, straight from payments (part of it was added up by the hour).
    const { rows: rolled } = await db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM console_payment_hours',
    );
    assert.ok(Number(rolled[0]!.n) > 0, 'older hours were added up in the roll-up table');
    const { rows: revenue } = await db.query<{ day: string; currency: string; amount: string; n: string }>(
      `SELECT (paid_at AT TIME ZONE 'UTC')::date::text AS day, currency, sum(amount)::text AS amount, count(*)::text AS n
       FROM payments WHERE paid_at ${inRange} GROUP BY 1, 2`,
      [days[0]],
    );
    const rev = await figures(page, 'chart-revenue');
    assert.deepEqual(rev.head, [
      'Day',
      'Revenue USD',
      'Revenue EUR',
      'Revenue JPY',
      'Payments USD',
      'Payments EUR',
      'Payments JPY',
    ]);
    const expectedRevenue = [...days].reverse().map((d) => {
      const cell = (c: string) => revenue.find((r) => r.day === d && r.currency === c);
      return [
        label(d),
        ...['usd', 'eur', 'jpy'].map((c) => money(Number(cell(c)?.amount ?? 0), c)),
        ...['usd', 'eur', 'jpy'].map((c) => n(Number(cell(c)?.n ?? 0))),
      ];
    });
    assert.deepEqual(rev.rows, expectedRevenue);
    // The headline figure: 30 days of usd.
    const usdTotal = revenue.filter((r) => r.currency === 'usd').reduce((a, r) => a + Number(r.amount), 0);
    await page.locator('.tile', { hasText: 'Revenue, 30 days' }).getByText(money(usdTotal, 'usd')).waitFor();

    // MRR and active subscriptions (usd) at the end of today, from subscriptions and the catalog's prices.
    const { rows: live } = await db.query<{ plan: string; interval: string; n: string }>(
      `SELECT plan, interval, count(*)::text AS n FROM subscriptions WHERE currency = 'usd' AND status = 'active' GROUP BY 1, 2`,
    );
    const price = (plan: string, interval: string) =>
      t.catalog.prices.find(
        (p) => p.kind === 'plan' && p.itemId === plan && p.interval === interval && p.currency === 'usd',
      )!.amount;
    const mrr = Math.round(
      live.reduce(
        (a, r) => a + (price(r.plan, r.interval) * Number(r.n)) / (r.interval === 'year' ? 12 : 1),
        0,
      ),
    );
    const active = live.reduce((a, r) => a + Number(r.n), 0);
    const mrrRows = (await figures(page, 'chart-mrr')).rows;
    assert.deepEqual(mrrRows[0], [label(days[29]!), money(mrr, 'usd'), n(active)]);

    // New and churned per day, all currencies.
    const { rows: subs } = await db.query<{ day: string; started: string; churned: string }>(
      `SELECT d::text AS day,
         (SELECT count(*) FROM subscriptions WHERE (created_at AT TIME ZONE 'UTC')::date = d)::text AS started,
         (SELECT count(*) FROM subscriptions WHERE status = 'canceled' AND (state_at AT TIME ZONE 'UTC')::date = d)::text AS churned
       FROM generate_series($1::date, $2::date, interval '1 day') d`,
      [days[0], days[29]],
    );
    const subRows = (await figures(page, 'chart-subscriptions')).rows;
    assert.deepEqual(
      subRows.map((r) => r.slice(0, 3)),
      [...subs].reverse().map((r) => [label(r.day.slice(0, 10)), n(Number(r.started)), n(Number(r.churned))]),
    );

    // Credits granted and consumed per day.
    const { rows: credits } = await db.query<{ day: string; granted: string; consumed: string }>(
      `SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day,
         sum(greatest(delta, 0))::text AS granted, sum(greatest(-delta, 0))::text AS consumed
       FROM credit_ledger WHERE created_at ${inRange} GROUP BY 1`,
      [days[0]],
    );
    const creditRows = (await figures(page, 'chart-credits')).rows;
    assert.deepEqual(
      creditRows,
      [...days].reverse().map((d) => {
        const r = credits.find((c) => c.day === d);
        return [label(d), n(Number(r?.granted ?? 0)), n(Number(r?.consumed ?? 0))];
      }),
    );

    // Webhook events per minute over the last hour, with their apply latency.
    // The page's hour is the one its clock saw; a minute may have turned since, so count the events of
    // the minutes the page labels rather than the database's last hour now.
    const eventRows = (await figures(page, 'chart-events')).rows;
    assert.equal(eventRows.length, 60);
    const { rows: ev } = await db.query<{ total: string; failed: string }>(
      `SELECT count(*)::text AS total, (count(*) FILTER (WHERE status = 'failed'))::text AS failed FROM stripe_events
       WHERE received_at >= now() - interval '2 hours'
         AND to_char(received_at AT TIME ZONE 'UTC', 'HH24:MI') || ' UTC' = ANY($1::text[])`,
      [eventRows.map((r) => r[0]!)],
    );
    const sum = (rows: string[][], col: number) =>
      rows.reduce((a, r) => a + Number(r[col]!.replace(/,/g, '')), 0);
    assert.equal(sum(eventRows, 1), Number(ev[0]!.total));
    assert.equal(sum(eventRows, 2), Number(ev[0]!.failed));
    const busy = eventRows.find((r) => r[1] !== '0')!;
    assert.match(busy[3]!, /^\d+(\.\d)? ms$/, 'a p50 latency in ms');
    const { rows: p } = await db.query<{ p50: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000) AS p50,
         percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000) AS p99
       FROM stripe_events WHERE status = 'processed' AND to_char(received_at AT TIME ZONE 'UTC', 'HH24:MI') || ' UTC' = $1`,
      [busy[0]],
    );
    const fmt = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
    assert.deepEqual(busy.slice(3), [fmt(Number(p[0]!.p50)), fmt(Number(p[0]!.p99))]);

    // Dead jobs and failed events per day.
    const failRows = (await figures(page, 'chart-failures')).rows;
    assert.equal(sum(failRows, 1), 7);
    const { rows: failedEvents } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM stripe_events WHERE status = 'failed'`,
    );
    assert.equal(sum(failRows, 2), Number(failedEvents[0]!.n));
    await page
      .locator('.tile', { hasText: 'Needs attention' })
      .getByText(n(7 + Number(failedEvents[0]!.n)))
      .waitFor();

    // The tooltip: hovering today's bar of the revenue chart shows today's usd revenue.
    const todayUsd = Number(revenue.find((r) => r.day === days[29] && r.currency === 'usd')?.amount ?? 0);
    const over = page.locator('#chart-revenue .u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2, { steps: 4 });
    const tip = page.locator('#chart-revenue .chart-tip');
    await tip.waitFor();
    const text = await tip.innerText();
    assert.match(text, new RegExp(`${label(days[29]!)}`));
    const shown = new Intl.NumberFormat('en', { style: 'currency', currency: 'usd' }).format(todayUsd / 100);
    assert.ok(text.includes(`Revenue: ${shown}`), `${text} shows ${shown}`);
    await page.mouse.move(0, 0);
    await check(page, 'overview');
  });

  test('the overview in 90 days and in euros', async () => {
    await page.getByRole('link', { name: '90 days' }).click();
    await page.getByRole('link', { name: 'EUR' }).click();
    await chartsDrawn(page);
    assert.match(page.url(), /days=90&currency=eur/);
    await page.locator('.tile', { hasText: 'Revenue, 90 days' }).waitFor();
    assert.match(await page.locator('#chart-revenue-title + p').innerText(), /^EUR/);
  });

  test('the audit log shows the sign-in; sign-out ends the session and is recorded too', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page
      .locator('tbody tr', { hasText: 'console.sign_in' })
      .filter({ hasText: 'Ada (admin key)' })
      .first()
      .waitFor();
    await check(page, 'audit-log');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out of the console.').waitFor();
    await page.goto(`${base}/console/audit`);
    assert.match(page.url(), /\/console\/sign-in/);
    const { rows } = await t.context.db.query<{ actor: string; action: string }>(
      'SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1',
    );
    assert.deepEqual(rows[0], { actor: 'Ada (admin key)', action: 'console.sign_out' });
  });

  test('a form with a missing or wrong CSRF token is refused', async () => {
    await signIn(page, TEST_ADMIN_KEY, 'Ada');
    for (const value of ['', 'forged-token']) {
      await page.goto(`${base}/console`);
      await page
        .locator('form[action="/console/sign-out"] input[name="_csrf"]')
        .evaluate((el: { value: string }, v) => {
          el.value = v;
        }, value);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
      await page.goto(`${base}/console`);
      assert.equal(page.url(), `${base}/console`, 'still signed in: nothing happened');
    }
  });
});

describe('who cannot open the console, and the read-only key', () => {
  test('a user token or an API key (sent as a bearer token) does not open the console', async () => {
    for (const token of [await t.userToken('console-visitor'), await t.apiKey(['read', 'write'])]) {
      const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${token}` } });
      const page = await context.newPage();
      const res = await page.goto(`${base}/console`);
      assert.match(page.url(), /\/console\/sign-in/);
      assert.equal(res!.status(), 200);
      await page.getByLabel('Key').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('That key was not accepted.').waitFor();
      await context.close();
    }
  });

  test('the read-only key sees the console, marked read-only', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await signIn(page, READONLY_KEY);
    await page.locator('.console-account .badge', { hasText: 'Read-only' }).waitFor();
    await chartsDrawn(page);
    // At phone width the charts fit the screen.
    const widest = await page
      .locator('.chart canvas')
      .evaluateAll((els: { getBoundingClientRect(): { right: number } }[]) =>
        Math.max(...els.map((e) => e.getBoundingClientRect().right)),
      );
    assert.ok(widest <= 390, `charts fit a phone (${widest} px)`);
    const { rows } = await t.context.db.query<{ actor: string }>(
      `SELECT actor FROM audit_log WHERE action = 'console.sign_in' ORDER BY id DESC LIMIT 1`,
    );
    assert.equal(rows[0]!.actor, 'read-only key');
    await context.close();
  });
});
