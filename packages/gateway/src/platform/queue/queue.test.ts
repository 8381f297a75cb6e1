import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogCapture } from '../../testing/app.js';
import { ManualClock } from '../../testing/clock.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { migrate } from '../db/migrate.js';
import { withTransaction } from '../db/tx.js';
import type { Db } from '../db/types.js';
import { createLogger } from '../logger.js';
import { retryDelayMs, shouldRetry } from './backoff.js';
import { claimJobs, jobsTable } from './db/jobs-table.js';
import { DbJobQueue } from './db/queue.js';
import type { JobTable } from './db/table.js';
import type { Job, JobSpec } from './types.js';

let tdb: TestDatabase;
let db: Db;
const logs = new LogCapture();
const logger = createLogger({ logLevel: 'warn' }, logs);
const fast = { baseMs: 5, factor: 2, maxMs: 40 };
let queues: DbJobQueue[] = [];

function queue(options: Partial<ConstructorParameters<typeof DbJobQueue>[0]> = {}, on: Db = db): DbJobQueue {
  const q = new DbJobQueue({ db: on, logger, pollMs: 20, retry: fast, ...options });
  queues.push(q);
  return q;
}

/** Enqueues in a transaction of its own, as a service does in the transaction of its change. */
function enqueue(q: DbJobQueue, spec: JobSpec, on: Db = db): Promise<number | undefined> {
  return withTransaction({ db: on }, (tx) => q.enqueue(tx, spec));
}

/** The jobs table, counting the claims made on it. */
function countingTable(): JobTable & { claims: number } {
  const table = {
    ...jobsTable,
    claims: 0,
    claim: async (...a: Parameters<JobTable['claim']>) => {
      table.claims++;
      return jobsTable.claim(...a);
    },
  };
  return table;
}

/** Waits (up to 5 s) for something that must happen. */
async function until(done: () => boolean | Promise<boolean>, what = 'the condition'): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > 5_000) assert.fail(`${what} did not happen within 5 s`);
    await sleep(5);
  }
}

before(async () => {
  tdb = await createTestDatabase();
  db = await tdb.open();
  await migrate(db);
});
beforeEach(async () => {
  await Promise.all(queues.map((q) => q.stop(1_000)));
  queues = [];
  await db.exec(
    'TRUNCATE jobs; DROP TABLE IF EXISTS effects; CREATE TABLE effects (job_id bigint PRIMARY KEY, n int NOT NULL DEFAULT 1);',
  );
});
after(async () => {
  await Promise.all(queues.map((q) => q.stop(1_000)));
  await tdb.destroy();
});

async function jobRow(id: number) {
  return (
    await db.query<{ status: string; attempts: number; last_error: string | null }>(
      'SELECT status, attempts, last_error FROM jobs WHERE id = $1',
      [id],
    )
  ).rows[0]!;
}

describe(`job queue (${process.env.PAYDESK_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  test('work that arrives while the worker is claiming is taken at once, not at its next poll', async () => {
    // A clock that never moves: only the poke after the enqueue's commit can start the job.
    const clock = new ManualClock();
    let claims = 0;
    let ran = false;
    const table: JobTable = {
      ...jobsTable,
      claim: async (...a) => {
        const jobs = await jobsTable.claim(...a);
        // The first claim finds nothing; a job is enqueued (and committed) before it returns.
        if (claims++ === 0) await enqueue(q, { kind: 'late' });
        return jobs;
      },
    };
    const q = queue({ clock, tables: { late: table } });
    q.start({
      late: {
        handler: async () => {
          ran = true;
        },
      },
    });
    await until(() => ran, 'the job running without a poll');
  });

  test('hand-offs and freed slots do not make the worker ask a table it found empty again; a commit does', async () => {
    const clock = new ManualClock();
    const table = countingTable();
    const q = queue({ clock, tables: { handed: table }, handOffLimits: { handed: 10 } });
    let ran = 0;
    q.start({
      handed: {
        handler: async () => {
          ran++;
        },
        concurrency: 4,
      },
    });
    await until(() => table.claims === 1, 'the first look'); // it finds the table empty
    for (let i = 1; i <= 30; i++) {
      const hold = q.reserve('handed', 1);
      assert.equal(hold.slots, 1);
      q.adopt('handed', hold, [
        {
          id: -i,
          kind: 'handed',
          key: null,
          payload: {},
          attempts: 1,
          maxAttempts: 3,
          createdAt: new Date(),
        },
      ]);
      await until(() => ran === i, `hand-off ${i} running`);
    }
    assert.equal(table.claims, 1, '30 hand-offs run, the table asked once');
    // Work written to the table: the commit makes the worker look again, with the clock standing still.
    await enqueue(q, { kind: 'handed' });
    await until(() => ran === 31, 'the enqueued job running');
    assert.equal(table.claims, 2);
  });

  test('a kind gives way while yieldTo says so, and runs again once it does not', async () => {
    const clock = new ManualClock();
    const q = queue({ clock });
    let pressed = true;
    let looks = 0;
    let ran = 0;
    q.start({
      patient: {
        handler: async () => {
          ran++;
        },
        concurrency: 4,
        yieldTo: () => {
          looks++;
          return pressed;
        },
        yieldConcurrency: 0,
      },
    });
    for (let i = 0; i < 5; i++) await enqueue(q, { kind: 'patient' });
    // The worker looks once more after the jobs were committed, and goes back to sleep: it chose not
    // to run them.
    const before = looks;
    q.poke();
    await until(() => looks > before, 'a look after the commit');
    await clock.sleepers(1);
    assert.equal(ran, 0, 'paused while pressed');
    pressed = false;
    q.poke();
    await q.idle();
    assert.equal(ran, 5);
  });

  test('runs an enqueued job with its payload, then marks it done', async () => {
    const q = queue();
    const seen: Job[] = [];
    q.start({ greet: { handler: async (job) => void seen.push(job) } });
    const id = await enqueue(q, { kind: 'greet', payload: { name: 'Ada' } });
    await q.idle();
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.payload, { name: 'Ada' });
    assert.equal((await jobRow(id!)).status, 'done');
  });

  test('a deduplication key keeps one job per (kind, key)', async () => {
    const q = queue();
    assert.ok(await enqueue(q, { kind: 'k', key: 'evt_1' }));
    assert.equal(await enqueue(q, { kind: 'k', key: 'evt_1' }), undefined);
    assert.ok(await enqueue(q, { kind: 'other', key: 'evt_1' }));
  });

  test('a job enqueued in a transaction that rolls back never exists', async () => {
    const q = queue();
    await assert.rejects(
      withTransaction({ db }, async (tx) => {
        await q.enqueue(tx, { kind: 'outbox', payload: {} });
        throw new Error('the state change failed');
      }),
    );
    assert.equal((await db.query('SELECT 1 FROM jobs')).rowCount, 0);
  });

  test('a failing job is retried with backoff and completes; the error is recorded meanwhile', async () => {
    const q = queue();
    let calls = 0;
    const times: number[] = [];
    q.start({
      flaky: {
        handler: async () => {
          times.push(performance.now());
          calls++;
          if (calls < 3) throw new Error(`boom ${calls}`);
        },
      },
    });
    const id = await enqueue(q, { kind: 'flaky' });
    await q.idle();
    const row = await jobRow(id!);
    assert.equal(row.status, 'done');
    assert.equal(row.attempts, 3);
    assert.equal(calls, 3);
    assert.ok(times[2]! - times[1]! >= 5, 'the second retry waited at least half its backoff');
  });

  test('after its last attempt a job is dead, with its last error', async () => {
    const q = queue();
    q.start({ doomed: { handler: async () => Promise.reject(new Error('card network down')) } });
    const id = await enqueue(q, { kind: 'doomed', maxAttempts: 3 });
    await q.idle();
    const row = await jobRow(id!);
    assert.equal(row.status, 'dead');
    assert.equal(row.attempts, 3);
    assert.equal(row.last_error, 'card network down');
    assert.equal((await q.stats()).dead, 1);
  });

  test("a kind's complete hook writes the handlers' results in the jobs' completion; when it throws, the jobs retry", async () => {
    const q = queue();
    let failFirst = true;
    const batches: number[] = [];
    q.start({
      tally: {
        concurrency: 8,
        handler: async (job) => Number(job.payload.n) * 10,
        complete: async (tx, done) => {
          batches.push(done.length);
          await tx.query(
            'INSERT INTO effects (job_id, n) SELECT * FROM unnest($1::bigint[], $2::int[]) ON CONFLICT (job_id) DO UPDATE SET n = effects.n + excluded.n',
            [done.map((d) => d.job.id), done.map((d) => d.result as number)],
          );
          if (failFirst) {
            failFirst = false;
            throw new Error('disk full');
          }
        },
      },
    });
    const ids: number[] = [];
    for (let n = 1; n <= 8; n++) ids.push((await enqueue(q, { kind: 'tally', payload: { n } }))!);
    await q.idle();
    // The failed completion's writes were rolled back with it: each result is written once.
    const effects = await db.query<{ job_id: number; n: number }>(
      'SELECT job_id, n FROM effects ORDER BY job_id',
    );
    assert.deepEqual(
      effects.rows.map((r) => [Number(r.job_id), r.n]),
      ids.map((id, i) => [id, (i + 1) * 10]),
    );
    for (const id of ids) assert.equal((await jobRow(id)).status, 'done');
    const retried = await Promise.all(ids.map(async (id) => (await jobRow(id)).attempts));
    assert.ok(
      retried.some((a) => a === 2),
      'the jobs of the failed completion ran again',
    );
    assert.ok(batches.length >= 2);
  });

  test('a scheduled job waits for its time, and the poll takes it once it is due', async () => {
    const clock = new ManualClock();
    const table = countingTable();
    const q = queue({ clock, pollMs: 1_000, tables: { later: table } });
    let ran = false;
    q.start({
      later: {
        handler: async () => {
          ran = true;
        },
      },
    });
    const id = (await enqueue(q, { kind: 'later', runAt: new Date(Date.now() + 3_600_000) }))!;
    // The worker looks in the table once more after the commit, finds nothing due, and sleeps.
    const before = table.claims;
    q.poke();
    await until(() => table.claims > before, 'a look after the commit');
    await clock.sleepers(1);
    assert.equal(ran, false);
    assert.equal((await jobRow(id)).status, 'queued');
    // The hour has passed for the database; no poke: the next poll (on the worker's clock) takes it.
    await db.query(`UPDATE jobs SET run_at = now() - interval '1 second' WHERE id = $1`, [id]);
    clock.advance(1_000);
    await until(() => ran, 'the job running at the next poll');
  });

  test('per-kind concurrency is respected', async () => {
    const q = queue();
    let now = 0;
    let peak = 0;
    q.start({
      slow: {
        concurrency: 2,
        handler: async () => {
          now++;
          peak = Math.max(peak, now);
          await sleep(30);
          now--;
        },
      },
    });
    for (let i = 0; i < 8; i++) await enqueue(q, { kind: 'slow' });
    await q.idle();
    assert.equal(peak, 2);
  });

  test('two workers on one database run each job exactly once', async () => {
    const other = await tdb.open();
    const handler = async (job: Job) => {
      await db.query(
        'INSERT INTO effects (job_id) VALUES ($1) ON CONFLICT (job_id) DO UPDATE SET n = effects.n + 1',
        [job.id],
      );
    };
    const a = queue();
    const b = queue({}, other);
    a.start({ work: { handler, concurrency: 4 } });
    b.start({ work: { handler, concurrency: 4 } });
    for (let i = 0; i < 200; i++) await enqueue(a, { kind: 'work', payload: { i } });
    b.poke();
    await a.idle({ timeoutMs: 60_000 });
    const r = await db.query<{ jobs: number; twice: number }>(
      'SELECT count(*)::int AS jobs, count(*) FILTER (WHERE n > 1)::int AS twice FROM effects',
    );
    assert.deepEqual(r.rows[0], { jobs: 200, twice: 0 });
  });

  test('a job held by a worker that died is taken back when its lease expires, not before', async () => {
    // A worker claims the job and never finishes (it "crashed").
    await db.query(`INSERT INTO jobs (kind) VALUES ('orphan')`);
    const [claimed] = await claimJobs(db, 'orphan', 1, 'w_dead', 60_000);
    assert.ok(claimed);
    const clock = new ManualClock();
    const q = queue({ leaseMs: 60_000, clock });
    let ran = 0;
    q.start({ orphan: { handler: async () => void ran++ } });
    // The worker looks (reaping expired leases first) and goes to sleep: the lease still runs.
    await clock.sleepers(1);
    assert.equal(ran, 0);
    assert.equal((await jobRow(claimed.id)).status, 'running');
    // The dead worker's lease runs out; the live worker reaps every quarter of a lease.
    await db.query(`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1`, [claimed.id]);
    clock.advance(15_001);
    await q.idle();
    assert.equal(ran, 1);
    assert.equal((await jobRow(claimed.id)).status, 'done');
  });

  test('a live worker renews its leases: a job longer than the lease is not taken by another', async () => {
    const other = await tdb.open();
    let runs = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = async () => {
      runs++;
      await gate;
    };
    const clockA = new ManualClock();
    const a = queue({ leaseMs: 60_000, clock: clockA });
    a.start({ long: { handler } });
    const id = (await enqueue(a, { kind: 'long' }))!;
    await until(() => runs === 1, 'the job starting');
    const leaseEnd = async () =>
      (
        await db.query<{ t: Date }>('SELECT locked_until AS t FROM jobs WHERE id = $1', [id])
      ).rows[0]!.t.getTime();
    const first = await leaseEnd();
    // A third of the lease later (on a's clock) a renews: the lease ends later than it did.
    clockA.advance(20_001);
    await until(async () => (await leaseEnd()) > first, 'the lease renewed');
    // Another worker looks (reaping expired leases, claiming due jobs) and finds nothing to take.
    const clockB = new ManualClock();
    const b = queue({ leaseMs: 60_000, clock: clockB }, other);
    b.start({ long: { handler } });
    await clockB.sleepers(1);
    assert.equal(runs, 1);
    release();
    await a.idle();
    assert.equal(runs, 1);
    assert.equal((await jobRow(id)).status, 'done');
  });

  test('stop() lets a running job finish', async () => {
    const q = queue();
    let started = false;
    let finished = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    q.start({
      long: {
        handler: async () => {
          started = true;
          await gate;
          finished = true;
        },
      },
    });
    const id = await enqueue(q, { kind: 'long' });
    await until(() => started, 'the job starting');
    const stopping = q.stop(5_000);
    release();
    await stopping;
    assert.ok(finished);
    assert.equal((await jobRow(id!)).status, 'done');
  });

  test('stats: queued, running, retrying, dead and the age of the oldest due job', async () => {
    const q = queue();
    await db.query(
      `INSERT INTO jobs (kind, run_at) VALUES ('a', now() - interval '90 seconds'), ('a', now()), ('a', now() + interval '1 hour')`,
    );
    await db.query(`INSERT INTO jobs (kind, status, attempts) VALUES ('b', 'dead', 12), ('c', 'queued', 2)`);
    const s = await q.stats();
    assert.equal(s.queued, 4);
    assert.equal(s.retrying, 1);
    assert.equal(s.dead, 1);
    assert.equal(s.running, 0);
    assert.ok(s.oldestAgeSeconds >= 89 && s.oldestAgeSeconds < 200, String(s.oldestAgeSeconds));
  });
});

describe('retry timing', () => {
  test('exponential with equal jitter, capped', () => {
    const p = { baseMs: 1000, factor: 2, maxMs: 10_000 };
    assert.equal(
      retryDelayMs(1, p, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(1, p, () => 1),
      1000,
    );
    assert.equal(
      retryDelayMs(3, p, () => 0),
      2000,
    );
    assert.equal(
      retryDelayMs(3, p, () => 1),
      4000,
    );
    assert.equal(
      retryDelayMs(20, p, () => 1),
      10_000,
    );
    assert.equal(
      retryDelayMs(20, p, () => 0),
      5_000,
    );
  });
  test('retries until the last attempt', () => {
    assert.equal(shouldRetry(1, 3), true);
    assert.equal(shouldRetry(2, 3), true);
    assert.equal(shouldRetry(3, 3), false);
  });
});
