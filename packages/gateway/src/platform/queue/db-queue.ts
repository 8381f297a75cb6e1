// The job queue on paydesk's own database (embedded and PostgreSQL modes).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from '../batcher.js';
import type { Db, Queryable } from '../db/types.js';
import type { Logger } from '../logger.js';
import { defaultRetryPolicy, type RetryPolicy, retryDelayMs, shouldRetry } from './backoff.js';
import {
  claimJobs,
  completeJobs,
  failJob,
  insertJob,
  pendingCount,
  queueStats,
  releaseJobs,
  renewLeases,
} from './store.js';
import type { Job, JobDone, JobQueue, JobSpec, KindOptions, QueueStats } from './types.js';

export interface DbQueueOptions {
  db: Db;
  logger: Logger;
  /** How often an idle worker looks for due jobs, in ms (work enqueued here is picked up at once). */
  pollMs?: number;
  /**
   * How long a claimed job is ours before another worker may take it back, in ms. A live worker
   * renews the leases of its running jobs every third of this, so only a stopped worker's jobs
   * (killed, crashed, its machine gone) ever run out — and come back after about this long.
   */
  leaseMs?: number;
  retry?: RetryPolicy;
  maxAttempts?: number;
  now?: () => Date;
  random?: () => number;
}

/** idle() also waits for jobs due within this long: a retry scheduled a moment ahead is still work. */
const IDLE_HORIZON_MS = 2_000;

export class DbJobQueue implements JobQueue {
  private readonly worker = `w_${process.pid}_${randomBytes(4).toString('hex')}`;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly retry: RetryPolicy;
  private readonly maxAttempts: number;
  private kinds: Readonly<Record<string, KindOptions>> = {};
  private readonly running = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastReap = 0;
  private lastRenew = Date.now();
  /**
   * Completions are written together: one statement for many jobs, and with their kinds' `complete`
   * writes, one transaction (one commit) for all of them.
   */
  private readonly completions: Batcher<JobDone & { opts: KindOptions }, void>;

  constructor(private readonly options: DbQueueOptions) {
    this.pollMs = options.pollMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.retry = options.retry ?? defaultRetryPolicy;
    this.maxAttempts = options.maxAttempts ?? 12;
    this.completions = new Batcher<JobDone & { opts: KindOptions }, void>(
      async (done) => {
        const ids = done.map((d) => d.job.id);
        const hooks = new Map<NonNullable<KindOptions['complete']>, JobDone[]>();
        for (const d of done) {
          if (!d.opts.complete) continue;
          const group = hooks.get(d.opts.complete) ?? [];
          group.push({ job: d.job, result: d.result });
          hooks.set(d.opts.complete, group);
        }
        if (hooks.size === 0) await completeJobs(options.db, ids, this.worker);
        else
          await options.db.transaction(async (tx) => {
            for (const [complete, group] of hooks) await complete(tx, group);
            await completeJobs(tx, ids, this.worker);
          });
        return done.map(() => undefined);
      },
      { maxBatch: 500, maxInFlight: options.db.kind === 'postgres' ? 2 : 1 },
    );
  }

  enqueue(spec: JobSpec, tx?: Queryable): Promise<number | undefined> {
    return insertJob(tx ?? this.options.db, spec, this.maxAttempts);
  }

  poke(): void {
    this.wake?.();
  }

  start(kinds: Readonly<Record<string, KindOptions>>): void {
    if (!this.stopped) throw new Error('queue already started');
    this.kinds = kinds;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(drainMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.poke();
    await this.loop;
    // The drain timer is cancelled once the jobs are done: a pending timer would keep the process
    // alive for the whole bound after a clean stop.
    const timer = new AbortController();
    const drained = await Promise.race([
      Promise.all(this.inFlight).then(() => true),
      sleep(drainMs, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!drained) {
      const n = await releaseJobs(this.options.db, this.worker).catch(() => 0);
      this.options.logger.warn(
        { released: n },
        'queue stopped with jobs still running; released them for other workers',
      );
    }
  }

  stats(): Promise<QueueStats> {
    return queueStats(this.options.db);
  }

  async idle(options: { timeoutMs?: number; kinds?: readonly string[] } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (
      (await pendingCount(this.options.db, options.kinds, IDLE_HORIZON_MS)) > 0 ||
      this.inFlight.size > 0
    ) {
      if (Date.now() > deadline) throw new Error('the job queue did not become idle in time');
      this.poke();
      await sleep(20);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      try {
        if (this.inFlight.size > 0 && Date.now() - this.lastRenew > this.leaseMs / 3) {
          this.lastRenew = Date.now();
          await renewLeases(this.options.db, this.worker, this.leaseMs);
        }
        if (Date.now() - this.lastReap > this.leaseMs / 4) {
          this.lastReap = Date.now();
          const n = await releaseJobs(this.options.db);
          if (n > 0)
            this.options.logger.warn({ jobs: n }, 'took back jobs whose worker stopped (lease expired)');
        }
        for (const [kind, opts] of Object.entries(this.kinds)) {
          const concurrency = opts.concurrency ?? 1;
          const running = this.running.get(kind) ?? 0;
          const free = concurrency - running;
          // Claims go in batches: a claim is a write and a commit (a WAL flush on PostgreSQL), so while
          // more than half of the kind's slots are still busy, wait for more to free up (each job that
          // ends pokes this loop) instead of claiming one job per finished job.
          if (free <= 0 || this.stopped || (running > 0 && free < Math.ceil(concurrency / 2))) continue;
          const jobs = await claimJobs(this.options.db, kind, free, this.worker, this.leaseMs);
          claimed += jobs.length;
          for (const job of jobs) this.launch(job, opts);
        }
      } catch (err) {
        this.options.logger.error({ err }, 'job queue: claiming failed; retrying');
      }
      if (claimed === 0 && !this.stopped) await this.sleepUntilPoked(this.pollMs);
    }
  }

  private sleepUntilPoked(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private launch(job: Job, opts: KindOptions): void {
    this.running.set(job.kind, (this.running.get(job.kind) ?? 0) + 1);
    const p = this.execute(job, opts).finally(() => {
      this.running.set(job.kind, (this.running.get(job.kind) ?? 1) - 1);
      this.inFlight.delete(p);
      this.poke(); // a slot is free
    });
    this.inFlight.add(p);
  }

  private async execute(job: Job, opts: KindOptions): Promise<void> {
    const log = this.options.logger.child({ job_id: job.id, job_kind: job.kind, attempt: job.attempts });
    try {
      const result = await opts.handler(job);
      await this.completions.submit({ job, result, opts });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retry = shouldRetry(job.attempts, job.maxAttempts);
      const now = this.options.now?.() ?? new Date();
      const retryAt = retry
        ? new Date(now.getTime() + retryDelayMs(job.attempts, this.retry, this.options.random))
        : undefined;
      if (retry) log.warn({ err, retry_at: retryAt }, 'job failed; will retry');
      else log.error({ err }, 'job failed for the last time; it is dead (see the console)');
      await failJob(this.options.db, job.id, this.worker, message, retryAt).catch((e: unknown) =>
        log.error({ err: e }, 'could not record the job failure; its lease will expire'),
      );
    }
  }
}
