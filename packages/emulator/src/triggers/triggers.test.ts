/**
 * Acceptance: every Stripe CLI trigger fixture replays against a fresh emulator, each call ends as the
 * fixture says, and then the event the file is named after (and its aliases) reaches a real local
 * endpoint registered with `POST /v1/webhook_endpoints`, signed so that the SDK's
 * `webhooks.constructEvent` accepts it. The fixtures are Stripe's reference data: they are read from
 * `STRIPE_FIXTURES_DIR`, else from `../shared/stripe/triggers` beside the repository.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type Stripe from 'stripe';
import { testEmulator } from '../testing.js';
import { parseTriggerFile } from './format.js';
import { runTrigger, type StepResult } from './runner.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const fromEnv = process.env.STRIPE_FIXTURES_DIR;
const candidates = fromEnv ? [resolve(fromEnv)] : [resolve(repoRoot, '../shared/stripe/triggers')];
const dir = candidates.find((d) => existsSync(d) && statSync(d).isDirectory());

interface Delivery {
  body: string;
  signature: string;
}

async function receiver() {
  const got: Delivery[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['stripe-signature']),
      });
      res.writeHead(200).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    /** Resolves when `done()` holds, or after `ms` (the caller then reports what arrived). */
    async until(done: () => boolean, ms: number): Promise<void> {
      const deadline = Date.now() + ms;
      while (!done() && Date.now() < deadline) {
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Every `…_xxx` id any response mentions: the delivered object must be one the fixture made. */
function idsIn(results: readonly StepResult[]): Set<string> {
  const ids = new Set<string>();
  // Prefixed ids anywhere, and every `id` (coupons' ids have no prefix).
  for (const r of results)
    for (const m of JSON.stringify(r.body).matchAll(/"([a-z]+_[A-Za-z0-9_]+)"|"id":"([^"]+)"/g))
      ids.add((m[1] ?? m[2])!);
  return ids;
}

if (dir === undefined) {
  test('Stripe CLI trigger fixtures', {
    skip:
      `no trigger-fixture folder found (looked in ${candidates.join(', ')}). Set STRIPE_FIXTURES_DIR to a copy ` +
      'of the Stripe CLI repository folder pkg/fixtures/triggers to run these acceptance tests.',
  }, () => {});
} else {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  test('the trigger-fixture folder holds fixtures', () => {
    assert.ok(files.length > 0, `no *.json trigger fixtures in ${dir}`);
  });
  for (const file of files) {
    const eventType = file.slice(0, -'.json'.length);
    test(`trigger ${eventType}`, async () => {
      const trigger = parseTriggerFile(readFileSync(join(dir, file), 'utf8'));
      const wanted = [eventType, ...trigger._meta.aliases];
      const t = await testEmulator({ webhookSchedule: { baseDelayMs: 50, factor: 2, maxAttempts: 3 } });
      const sink = await receiver();
      try {
        const endpoint = await t.stripe.webhookEndpoints.create({
          url: sink.url,
          enabled_events: wanted as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
        });
        const secret = endpoint.secret!;
        const results = await runTrigger(trigger, { baseUrl: t.emu.url, apiKey: 'sk_test_trigger_runner' });
        assert.equal(results.length, trigger.fixtures.length);

        const events = () =>
          sink.got.map((d) => t.stripe.webhooks.constructEvent(d.body, d.signature, secret));
        await sink.until(() => wanted.every((w) => events().some((e) => e.type === w)), 5000);
        const delivered = events();
        const emitted = (await t.stripe.events.list({ limit: 100 })).data.map((e) => e.type).reverse();
        const made = idsIn(results);
        for (const w of wanted) {
          const event = delivered.find((e) => e.type === w);
          assert.ok(
            event,
            `${w} was not delivered; the emulator emitted: ${emitted.join(', ') || 'nothing'}`,
          );
          const object = event.data.object as {
            id?: string;
            object?: string;
            charge?: unknown;
            invoice?: unknown;
          };
          // balance.available carries the account's balance (no id): the one the fixture's money made.
          if (object.object === 'balance') {
            assert.deepEqual(object, await t.stripe.balance.retrieve(), `${w} carries another balance`);
            continue;
          }
          // The object a fixture made, or one Stripe made from it (a card's dispute names its charge, an
          // invoice payment its invoice).
          const fromMade =
            (typeof object.charge === 'string' && made.has(object.charge)) ||
            (typeof object.invoice === 'string' && made.has(object.invoice));
          assert.ok(
            object.id !== undefined && (made.has(object.id) || fromMade),
            `${w} carries ${object.id ?? 'an object without id'}, which no fixture response mentions`,
          );
        }
        for (const d of delivered)
          assert.ok(wanted.includes(d.type), `unsubscribed event ${d.type} delivered`);
      } finally {
        await sink.close();
        await t.emu.close();
      }
    });
  }
}
