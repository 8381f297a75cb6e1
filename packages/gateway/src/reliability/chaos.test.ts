// The chaos test at a small count (npm test); `npm run chaos` runs the full 1,000 lifecycles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChaos } from './chaos.js';

test('subscription lifecycles under duplicated, reordered and dropped webhooks end exactly as Stripe says', async () => {
  const report = await runChaos({
    lifecycles: 12,
    cohortSize: 12,
    seed: 11,
    concurrency: 6,
    faults: { duplicateRate: 0.3, dropRate: 0.1, reorderWindowMs: 3 },
    timeBudgetMs: 50_000,
  });
  assert.deepEqual(report.mismatches, []);
  assert.equal(report.lifecycles, 12);
  // The faults really happened: some deliveries doubled, some dropped (and all recovered), some late.
  assert.ok(report.duplicated > 0, JSON.stringify(report));
  assert.ok(report.dropped > 0, JSON.stringify(report));
  assert.equal(report.droppedRecovered, report.dropped);
  assert.ok(report.reordered > 0, JSON.stringify(report));
  console.log(JSON.stringify(report));
});
