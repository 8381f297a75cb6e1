// `paydesk catalog sync` over a history of catalog edits against the emulator: an item removed and
// added back, re-priced back and forth, renamed, moved between currencies. After every edit one sync
// makes Stripe match (each lookup key on one active price with the catalog's amount, nothing else of
// the item active), and a second sync finds nothing to do. Every sync runs twice within Stripe's 24-hour
// idempotency window, so a sync's requests must never replay an earlier sync's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import type Stripe from 'stripe';
import { createStripeClient, EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';
import { Catalog } from './catalog.js';
import { catalogSchema } from './schema.js';
import { applySync, planSync } from './sync.js';

let emulator: RunningEmulator;
let stripe: Stripe;

before(async () => {
  emulator = await startEmulator({ port: 0 });
  stripe = createStripeClient({
    secretKey: EMULATOR_KEY_FOR_TESTS,
    apiBase: emulator.url,
    maxNetworkRetries: 0,
  });
});
after(async () => {
  await emulator.close();
});

type Prices = Record<string, number>;
const catalogOf = (pack: { name: string; prices: Prices } | null, planMonth?: Prices) =>
  new Catalog(
    catalogSchema.parse({
      packs: pack ? [{ id: 'gems', name: pack.name, credits: 10, prices: pack.prices }] : [],
      plans: planMonth ? [{ id: 'club', name: 'Club', prices: { month: planMonth } }] : [],
    }),
    'history',
  );

/** Syncs, checks Stripe matches the catalog, and that a second sync has nothing to do. */
async function syncAndCheck(catalog: Catalog, step: string): Promise<string[]> {
  const plan = await planSync(stripe, catalog);
  await applySync(stripe, plan);
  const again = await planSync(stripe, catalog);
  assert.deepEqual(
    again.actions.map((a) => a.summary),
    [],
    `${step}: a second sync has nothing to do`,
  );
  const all = await stripe.prices.list({ limit: 100 });
  const ours = all.data.filter((p) => p.metadata.paydesk_instance === 'history');
  for (const want of catalog.prices) {
    const holders = ours.filter((p) => p.lookup_key === want.lookupKey);
    assert.equal(holders.length, 1, `${step}: one price holds ${want.lookupKey}`);
    assert.equal(holders[0]!.active, true, `${step}: ${want.lookupKey} is active`);
    assert.equal(holders[0]!.unit_amount, want.amount, `${step}: ${want.lookupKey} amount`);
    assert.equal(holders[0]!.currency, want.currency, `${step}: ${want.lookupKey} currency`);
  }
  const wanted = new Set(catalog.prices.map((p) => p.lookupKey));
  const strays = ours.filter((p) => p.active && !wanted.has(p.lookup_key ?? ''));
  assert.deepEqual(
    strays.map((p) => `${p.id} ${p.lookup_key} ${p.currency} ${p.unit_amount}`),
    [],
    `${step}: nothing else active`,
  );
  return plan.actions.map((a) => a.kind);
}

async function product(kind: 'pack' | 'plan', id: string): Promise<Stripe.Product> {
  return stripe.products.retrieve(`pd_history_${kind}_${id}`);
}

describe('catalog sync over a history of edits', () => {
  test('removed, re-added, re-priced back and forth, renamed, moved between currencies', async () => {
    const gems = (name: string, prices: Prices) => ({ name, prices });

    assert.deepEqual(await syncAndCheck(catalogOf(gems('Gems', { usd: 500 }), { usd: 900 }), 'start'), [
      'create_product',
      'create_product',
      'create_price',
      'create_price',
    ]);
    const first = (await stripe.prices.list({ lookup_keys: ['paydesk:history:pack:gems:usd'] })).data[0]!;

    // Removed: product and price archived (the archived price keeps its lookup key).
    assert.deepEqual(await syncAndCheck(catalogOf(null, { usd: 900 }), 'removed'), [
      'archive_price',
      'archive_product',
    ]);
    assert.equal((await product('pack', 'gems')).active, false);
    assert.equal((await stripe.prices.retrieve(first.id)).lookup_key, 'paydesk:history:pack:gems:usd');

    // Added back as it was: the product and its archived price come back (no 400 "already uses that
    // lookup key", no replayed create).
    assert.deepEqual(await syncAndCheck(catalogOf(gems('Gems', { usd: 500 }), { usd: 900 }), 're-added'), [
      'update_product',
      'reactivate_price',
    ]);
    assert.equal((await stripe.prices.retrieve(first.id)).active, true);

    // Removed again, then added back with another amount: a new price takes the key from the archived one.
    await syncAndCheck(catalogOf(null, { usd: 900 }), 'removed again');
    assert.deepEqual(
      await syncAndCheck(catalogOf(gems('Gems', { usd: 600 }), { usd: 900 }), 're-added at 600'),
      ['update_product', 'replace_price'],
    );

    // Re-priced back and forth within the idempotency window: 600 → 500 → 600 → 500, each a new price.
    const ids = new Set<string>();
    for (const [i, amount] of [500, 600, 500].entries()) {
      assert.deepEqual(
        await syncAndCheck(catalogOf(gems('Gems', { usd: amount }), { usd: 900 }), `re-priced ${i}`),
        ['replace_price'],
      );
      const holder = (await stripe.prices.list({ lookup_keys: ['paydesk:history:pack:gems:usd'] })).data[0]!;
      assert.ok(!ids.has(holder.id), 'a new price each time, never a replayed old one');
      ids.add(holder.id);
    }

    // Renamed: the product is updated, the prices stay.
    assert.deepEqual(
      await syncAndCheck(catalogOf(gems('Shiny gems', { usd: 500 }), { usd: 900 }), 'renamed'),
      ['update_product'],
    );
    assert.equal((await product('pack', 'gems')).name, 'Shiny gems');

    // Moved from usd to eur, then back: the usd price is archived, then reactivated.
    assert.deepEqual(
      await syncAndCheck(catalogOf(gems('Shiny gems', { eur: 450 }), { usd: 900 }), 'to eur'),
      ['create_price', 'archive_price'],
    );
    assert.deepEqual(
      await syncAndCheck(catalogOf(gems('Shiny gems', { usd: 500 }), { usd: 900 }), 'back to usd'),
      ['reactivate_price', 'archive_price'],
    );

    // The plan's price changes currency and amount at once; the old one is archived.
    assert.deepEqual(
      await syncAndCheck(catalogOf(gems('Shiny gems', { usd: 500 }), { eur: 800 }), 'plan to eur'),
      ['create_price', 'archive_price'],
    );
    // And the whole plan goes, then comes back at its first price: its archived price is reused.
    await syncAndCheck(catalogOf(gems('Shiny gems', { usd: 500 })), 'plan removed');
    assert.deepEqual(
      await syncAndCheck(catalogOf(gems('Shiny gems', { usd: 500 }), { usd: 900 }), 'plan back'),
      ['update_product', 'reactivate_price'],
    );
  });
});
