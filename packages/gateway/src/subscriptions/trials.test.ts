import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import type { SubscriptionView } from './view.js';

let tdb: TestDatabase;
let t: TestApp;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-trial-'));
  const catalogPath = join(dir, 'catalog.yaml');
  await writeFile(
    catalogPath,
    [
      'plans:',
      '  - id: team',
      '    name: Team',
      '    trial_days: 14',
      '    prices:',
      '      month: { usd: 4900 }',
    ].join('\n'),
  );
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { catalogPath });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
  await rm(dir, { recursive: true, force: true });
});

test('a plan that declares trial days subscribes trialing: nothing to pay now, the first charge at trial end', async () => {
  const token = await t.userToken('trial-user');
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: { authorization: `Bearer ${token}` },
    payload: { plan: 'team', interval: 'month', currency: 'usd' },
  });
  assert.equal(r.statusCode, 201, r.body);
  const sub = JSON.parse(r.body) as SubscriptionView;
  assert.equal(sub.status, 'trialing');
  assert.equal(sub.client_secret, null);
  assert.ok(sub.trial_end);
  const days = (Date.parse(sub.trial_end) - Date.now()) / 86_400_000;
  assert.ok(days > 13.9 && days <= 14, String(days));
  const stripeSub = await t.stripe.subscriptions.retrieve(sub.stripe_subscription_id);
  assert.equal(stripeSub.trial_end, Date.parse(sub.trial_end) / 1000);
  assert.equal(stripeSub.items.data[0]!.price.unit_amount, 4900);
  // Trialing counts as having a subscription.
  const again = await t.app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: { authorization: `Bearer ${token}` },
    payload: { plan: 'team', interval: 'month', currency: 'usd' },
  });
  assert.equal(again.statusCode, 409);
});
