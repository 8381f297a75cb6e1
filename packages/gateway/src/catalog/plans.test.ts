import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import type { PlansListing } from './listing.js';

const catalog = `
packs:
  - id: credits-100
    name: 100 credits
    description: A small pack.
    credits: 100
    prices: { usd: 500, jpy: 750 }
plans:
  - id: starter
    name: Starter
    entitlements: [app.basic]
    credits: 200
    trial_days: 14
    prices:
      month: { usd: 900, eur: 800 }
      year: { usd: 9000 }
  - id: euro-only
    name: Euro only
    credits_mode: add
    credits: 5
    prices:
      month: { eur: 100 }
`;

let tdb: TestDatabase;
let t: TestApp;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-plans-'));
  await writeFile(join(dir, 'catalog.yaml'), catalog);
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { catalogPath: join(dir, 'catalog.yaml'), syncCatalog: false });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

describe('GET /v1/plans', () => {
  test('lists packs and plans with prices per currency and interval, credits, entitlements and trial days; public', async () => {
    const res = await get('/v1/plans');
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body) as PlansListing;
    assert.deepEqual(body.currencies, ['eur', 'jpy', 'usd']);
    assert.deepEqual(body.packs, [
      {
        id: 'credits-100',
        name: '100 credits',
        description: 'A small pack.',
        credits: 100,
        prices: [
          { currency: 'usd', amount: 500, lookup_key: 'paydesk:default:pack:credits-100:usd' },
          { currency: 'jpy', amount: 750, lookup_key: 'paydesk:default:pack:credits-100:jpy' },
        ],
      },
    ]);
    const starter = body.plans.find((p) => p.id === 'starter')!;
    assert.deepEqual(
      { ...starter, prices: undefined },
      {
        id: 'starter',
        name: 'Starter',
        description: null,
        credits: 200,
        credits_mode: 'reset',
        entitlements: ['app.basic'],
        trial_days: 14,
        prices: undefined,
      },
    );
    assert.deepEqual(
      starter.prices.map((p) => `${p.interval}:${p.currency}:${p.amount}`),
      ['month:usd:900', 'month:eur:800', 'year:usd:9000'],
    );
    const euro = body.plans.find((p) => p.id === 'euro-only')!;
    assert.equal(euro.credits_mode, 'add');
    assert.equal(euro.trial_days, null);
    assert.deepEqual(euro.entitlements, []);
  });

  test('is cacheable: Cache-Control public, max-age=60 and a strong ETag that does not change between calls', async () => {
    const a = await get('/v1/plans');
    const b = await get('/v1/plans');
    assert.equal(a.headers['cache-control'], 'public, max-age=60');
    assert.match(String(a.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(a.headers.etag, b.headers.etag);
    const usd = await get('/v1/plans?currency=usd');
    assert.notEqual(usd.headers.etag, a.headers.etag, 'another listing, another ETag');
  });

  test('If-None-Match with the ETag → 304 with no body and the same caching headers; another tag → 200', async () => {
    const first = await get('/v1/plans?currency=eur');
    const etag = String(first.headers.etag);
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await get('/v1/plans?currency=eur', { 'if-none-match': header });
      assert.equal(res.statusCode, 304, header);
      assert.equal(res.body, '');
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers['cache-control'], 'public, max-age=60');
    }
    const stale = await get('/v1/plans?currency=eur', { 'if-none-match': '"something-else"' });
    assert.equal(stale.statusCode, 200);
    const otherListing = await get('/v1/plans?currency=usd', { 'if-none-match': etag });
    assert.equal(otherListing.statusCode, 200, "the eur listing's tag does not match the usd listing");
  });

  test('?currency= keeps only the items sold in it, with only its prices; upper case is accepted', async () => {
    const res = await get('/v1/plans?currency=EUR');
    assert.equal(res.statusCode, 200, res.body);
    const body = JSON.parse(res.body) as PlansListing;
    assert.deepEqual(body.currencies, ['eur']);
    assert.deepEqual(body.packs, [], 'the pack has no eur price');
    assert.deepEqual(
      body.plans.map((p) => [p.id, p.prices.map((x) => `${x.interval}:${x.amount}`)]),
      [
        ['starter', ['month:800']],
        ['euro-only', ['month:100']],
      ],
    );
    const none = JSON.parse((await get('/v1/plans?currency=chf')).body) as PlansListing;
    assert.deepEqual(none, { currencies: [], packs: [], plans: [] });
  });

  test('a currency that is not a three-letter code, or an unknown parameter → 400 in the error shape', async () => {
    for (const url of [
      '/v1/plans?currency=us',
      '/v1/plans?currency=usdollar',
      '/v1/plans?currency=12a',
      '/v1/plans?page=2',
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, url);
      const body = JSON.parse(res.body) as { error: { code: string; message: string; request_id: string } };
      assert.equal(body.error.code, 'validation_failed');
      assert.match(body.error.request_id, /\S/);
    }
  });

  test('appears in the OpenAPI document under the catalog tag', async () => {
    const doc = JSON.parse((await get('/docs/json')).body) as {
      paths: Record<string, { get?: { tags?: string[] } }>;
    };
    assert.deepEqual(doc.paths['/v1/plans']?.get?.tags, ['catalog']);
  });
});
