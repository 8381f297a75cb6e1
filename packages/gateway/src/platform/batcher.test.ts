import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from './batcher.js';

/** A batcher whose writes wait until released, recording each batch. */
function recording(options: ConstructorParameters<typeof Batcher>[1]) {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  const batcher = new Batcher<number, string>(async (items) => {
    batches.push(items);
    await new Promise<void>((resolve) => release.push(resolve));
    if (items.includes(-1)) throw new Error('refused');
    return items.map((i) => `done ${i}`);
  }, options);
  return { batcher, batches, release };
}

test('alone at once; what arrives meanwhile goes together in the next batch, in order', async () => {
  const { batcher, batches, release } = recording({ maxBatch: 3, maxInFlight: 1 });
  const first = batcher.submit(1);
  assert.deepEqual(batches, [[1]]);
  const rest = [2, 3, 4, 5].map((i) => batcher.submit(i));
  assert.equal(batcher.pending, 5);
  release.shift()?.();
  assert.equal(await first, 'done 1');
  assert.deepEqual(batches, [[1], [2, 3, 4]], 'at most maxBatch in one');
  release.shift()?.();
  await sleep(0);
  release.shift()?.();
  assert.deepEqual(await Promise.all(rest), ['done 2', 'done 3', 'done 4', 'done 5']);
  assert.deepEqual(batches, [[1], [2, 3, 4], [5]]);
  assert.equal(batcher.pending, 0);
});

test('several batches in flight at once, and a failed write fails its own batch only', async () => {
  const { batcher, batches, release } = recording({ maxBatch: 10, maxInFlight: 2 });
  const a = batcher.submit(-1);
  const b = batcher.submit(2);
  assert.deepEqual(batches, [[-1], [2]]);
  release.forEach((r) => {
    r();
  });
  await assert.rejects(a, /refused/);
  assert.equal(await b, 'done 2');
});

test('with a linger, a few items wait for more (up to ms); enough to fill start at once', async () => {
  const { batcher, batches, release } = recording({
    maxBatch: 100,
    maxInFlight: 1,
    linger: { ms: 30, fill: 4 },
  });
  const started = performance.now();
  const few = [1, 2].map((i) => batcher.submit(i));
  assert.deepEqual(batches, [], 'waiting for more');
  await sleep(5);
  const more = batcher.submit(3);
  await sleep(50);
  assert.deepEqual(batches, [[1, 2, 3]], 'the linger ran out: one batch for the three');
  assert.ok(performance.now() - started >= 25);
  release.shift()?.();
  assert.deepEqual(await Promise.all([...few, more]), ['done 1', 'done 2', 'done 3']);
  const full = [4, 5, 6, 7].map((i) => batcher.submit(i));
  assert.deepEqual(batches.at(-1), [4, 5, 6, 7], 'fill reached: written without waiting');
  release.shift()?.();
  await Promise.all(full);
});

test('with minBatchWhileBusy, a batch started while another is written waits for that many items', async () => {
  const { batcher, batches, release } = recording({ maxBatch: 100, maxInFlight: 3, minBatchWhileBusy: 3 });
  const first = batcher.submit(1);
  assert.deepEqual(batches, [[1]], 'alone in flight: at once');
  const next = [2, 3].map((i) => batcher.submit(i));
  assert.deepEqual(batches, [[1]], 'two wait: fewer than three while a batch is written');
  const third = batcher.submit(4);
  assert.deepEqual(batches, [[1], [2, 3, 4]], 'three: a second batch in flight');
  const straggler = batcher.submit(5);
  release.shift()?.();
  await first;
  assert.deepEqual(batches.length, 2, 'one batch still written: the straggler waits');
  release.shift()?.();
  await Promise.all([...next, third]);
  assert.deepEqual(batches.at(-1), [5], 'none in flight: it goes, however few');
  release.shift()?.();
  assert.equal(await straggler, 'done 5');
});
