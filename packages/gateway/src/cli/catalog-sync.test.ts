import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import type Stripe from 'stripe';
import { serverInfoFile } from '../server.js';
import { captureIo } from '../testing/cli-io.js';
import { createStripeClient, EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';
import { runCli } from './run.js';

const catalogYaml = (packUsd: number, withPlan = true) => `
packs:
  - id: credits-10
    name: 10 credits
    credits: 10
    prices: { usd: ${packUsd}, eur: 450 }
plans:
${
  withPlan
    ? `  - id: basic
    name: Basic
    credits: 100
    prices:
      month: { usd: 900 }
      year: { usd: 9000 }`
    : '  []'
}
`;

let dir: string;
let catalogPath: string;
let emulator: RunningEmulator;
let stripe: Stripe;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-catalog-sync-'));
  catalogPath = join(dir, 'catalog.yaml');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator?.close();
  emulator = await startEmulator({ port: 0 });
  stripe = createStripeClient({
    secretKey: EMULATOR_KEY_FOR_TESTS,
    apiBase: emulator.url,
    maxNetworkRetries: 0,
  });
  await writeFile(catalogPath, catalogYaml(500));
});
after(async () => {
  await emulator?.close();
});

const env = () => ({ STRIPE_API_BASE: emulator.url, PAYDESK_CATALOG: catalogPath });

async function sync(args: string[], e: Record<string, string> = env(), tty = false) {
  const io = captureIo(tty);
  const code = await runCli(['catalog', 'sync', ...args], e, io);
  return { code, ...io };
}

async function activePrices(): Promise<Stripe.Price[]> {
  return (await stripe.prices.list({ limit: 100, active: true })).data;
}

describe('paydesk catalog sync', () => {
  test('--dry-run prints the plan grouped by kind and changes nothing', async () => {
    const r = await sync(['--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Products to create \(2\):$/m);
    assert.match(r.stdout, /^ {2}create product pd_default_pack_credits-10 \(10 credits\)$/m);
    assert.match(r.stdout, /^Prices to create \(4\):$/m);
    assert.match(r.stdout, /^ {2}create price plan basic yearly usd 9000$/m);
    assert.match(r.stdout, /^6 changes; 0 prices already match\.$/m);
    assert.match(r.stdout, /Dry run: nothing was changed/);
    assert.equal(r.stderr, '', 'no progress bar on a dry run');
    assert.equal((await stripe.products.list({ limit: 100 })).data.length, 0);
    assert.equal((await activePrices()).length, 0);
  });

  test('applies the plan with one progress line per change off a terminal; a second run changes nothing', async () => {
    const first = await sync([]);
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.match(lines[0]!, /^\[1\/6\] create product /);
    assert.match(lines[5]!, /^\[6\/6\] create price /);
    assert.match(first.stdout, /^Applied 6 change\(s\)\.$/m);
    const prices = await activePrices();
    assert.deepEqual(prices.map((p) => `${p.lookup_key}=${p.unit_amount}`).sort(), [
      'paydesk:default:pack:credits-10:eur=450',
      'paydesk:default:pack:credits-10:usd=500',
      'paydesk:default:plan:basic:month:usd=900',
      'paydesk:default:plan:basic:year:usd=9000',
    ]);

    const second = await sync([]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Stripe already matches the catalog \(4 prices\); nothing to change\./);
    assert.equal(second.stderr, '');
    assert.equal((await activePrices()).length, 4);
  });

  test('on a terminal the bar redraws one line and ends with a newline', async () => {
    const r = await sync([], env(), true);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, 'one line, then the final newline');
    assert.equal(r.stderr.match(/\r/g)?.length, 6);
    assert.ok(r.stderr.endsWith('\u001b[K\n'), 'each redraw clears the rest of the line');
    assert.match(r.stderr, /\r\[#{24}\] 6\/6 create price [^\r]*\n$/);
  });

  test('a changed amount creates a new price, moves the lookup key and archives the old one', async () => {
    assert.equal((await sync([])).code, 0);
    const [old] = (await stripe.prices.list({ lookup_keys: ['paydesk:default:pack:credits-10:usd'] })).data;
    assert.equal(old?.unit_amount, 500);
    await writeFile(catalogPath, catalogYaml(650));

    const r = await sync([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Prices to replace \(amount, currency or interval changed; Stripe prices are immutable\) \(1\):$/m,
    );
    assert.match(r.stdout, /new price for pack credits-10 usd 650 \(was usd 500\); lookup key moves/);
    const [now] = (await stripe.prices.list({ lookup_keys: ['paydesk:default:pack:credits-10:usd'] })).data;
    assert.equal(now?.unit_amount, 650);
    assert.notEqual(now?.id, old!.id);
    const archived = await stripe.prices.retrieve(old!.id);
    assert.equal(archived.active, false);
    assert.equal(archived.lookup_key, null);
    assert.match((await sync([])).stdout, /nothing to change/);
  });

  test('an item removed from the catalog is archived, never deleted', async () => {
    assert.equal((await sync([])).code, 0);
    await writeFile(catalogPath, catalogYaml(500, false));
    const r = await sync([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Prices to archive \(2\):$/m);
    assert.match(r.stdout, /^Products to archive \(1\):$/m);
    const product = await stripe.products.retrieve('pd_default_plan_basic');
    assert.equal(product.active, false);
    const prices = (await stripe.prices.list({ product: product.id, limit: 10 })).data;
    assert.equal(prices.length, 2, 'the prices still exist');
    assert.ok(prices.every((p) => !p.active));
  });

  test('an invalid catalog fails with exit code 1 naming the file and field, before touching Stripe', async () => {
    await writeFile(
      catalogPath,
      'packs:\n  - id: Bad Id\n    name: x\n    credits: 1\n    prices: { usd: 1 }\n',
    );
    const r = await sync([]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /catalog .*catalog\.yaml: packs\.0\.id: ids are/);
    assert.equal((await stripe.products.list({ limit: 10 })).data.length, 0);
  });

  test('an unknown option is a usage error (exit 2)', async () => {
    const r = await sync(['--force']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--force[\s\S]*Usage: paydesk catalog sync/);
  });
});

describe('paydesk catalog sync in embedded mode', () => {
  test("with a live paydesk on the data directory, the changes go to that paydesk's emulator", async () => {
    const dataDir = await mkdtemp(join(dir, 'live-'));
    await writeFile(
      serverInfoFile(dataDir),
      JSON.stringify({ url: 'http://127.0.0.1:1', pid: process.pid, emulator_url: emulator.url }),
    );
    const r = await sync([], { PAYDESK_DATA_DIR: dataDir, PAYDESK_CATALOG: catalogPath });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`the emulator of the paydesk running at .*pid ${process.pid}`));
    assert.match(r.stdout, /restart it to serve this one/);
    assert.equal((await activePrices()).length, 4);
  });

  test("without a live paydesk it starts the emulator on the data directory's file, which keeps the changes", async () => {
    const dataDir = await mkdtemp(join(dir, 'offline-'));
    // A server.json left by a process that has exited does not count.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    await writeFile(
      serverInfoFile(dataDir),
      JSON.stringify({ url: 'http://127.0.0.1:1', pid: Number(gone.stdout), emulator_url: emulator.url }),
    );
    const e = { PAYDESK_DATA_DIR: dataDir, PAYDESK_CATALOG: catalogPath };
    const first = await sync([], e);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /the embedded emulator \(data in .*emulator\.json\)/);
    assert.match(first.stdout, /Applied 6 change\(s\)/);
    assert.equal((await activePrices()).length, 0, 'the dead server’s emulator was not used');
    const saved = await readFile(join(dataDir, 'emulator.json'), 'utf8');
    assert.match(saved, /paydesk:default:plan:basic:year:usd/);

    const second = await sync([], e);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /nothing to change/);
  });
});
