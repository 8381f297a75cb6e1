// The job queue on paydesk's own database (embedded and PostgreSQL modes). Besides the JobQueue
// interface it does what only a database backend can: kinds whose jobs live in a table of their own
// (JobTable), and jobs written already leased to this worker and handed to it (reserve/adopt), which
// the webhook ingest uses to apply the events it stored without claiming them back.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from '../../batcher.js';
import { type Clock, systemClock } from '../../clock.js';
import type { Tx } from '../../db/tx.js';
import type { Db, Queryable } from '../../db/types.js';
import type { Logger } from '../../logger.js';
import { defaultRetryPolicy, type RetryPolicy, retryDelayMs, shouldRetry } from '../backoff.js';
import type { Job, JobDone, JobQueue, JobSpec, KindOptions, QueueStats } from '../types.js';
import { insertJob, jobsTable, requeueDeadJob } from './jobs-table.js';
import type { HandOff, JobTable } from './table.js';

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
  /** The worker's time: polls, lease renewals, reaping, retry back-off, the drain on stop. */
  clock?: Clock;
  random?: () => number;
  /** Kinds whose jobs live in a table of their own (default: the jobs table). */
  tables?: Readonly<Record<string, JobTable>>;
  /** Per kind, how many handed-off jobs (see HandOff) may wait in memory for a free slot (default 0). */
  handOffLimits?: Readonly<Record<string, number>>;
}

function addTo<K, V>(groups: Map<K, V[]>, key: K, item: V): void {
  const group = groups.get(key);
  if (group) group.push(item);
  else groups.set(key, [item]);
}

/**
 * Writes finished jobs: grouped by where they live and by their kinds' completion hooks, one
 * statement per table, and with hooks (or more than one table) one transaction for all of it.
 * Shared by every backend (the database is the record of each job's state).
 */
export async function writeCompletions(
  db: Db,
  done: readonly (JobDone & { opts: KindOptions })[],
  tableOf: (kind: string) => JobTable,
  worker: string,
): Promise<void> {
  const byTable = new Map<JobTable, JobDone[]>();
  const hooks = new Map<NonNullable<KindOptions['complete']>, JobDone[]>();
  for (const d of done) {
    const item = { job: d.job, result: d.result };
    addTo(byTable, tableOf(d.job.kind), item);
    if (d.opts.complete) addTo(hooks, d.opts.complete, item);
  }
  const write = async (tx: Queryable) => {
    for (const [complete, group] of hooks) await complete(tx, group);
    for (const [table, group] of byTable) await table.complete(tx, group, worker);
  };
  if (hooks.size === 0 && byTable.size === 1) await write(db);
  else await db.transaction(write);
}

/** idle() also waits for jobs due within this long: a retry scheduled a moment ahead is still work. */
const IDLE_HORIZON_MS = 2_000;

export class DbJobQueue implements JobQueue {
  private readonly worker = `w_${process.pid}_${randomBytes(4).toString('hex')}`;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly retry: RetryPolicy;
  private readonly maxAttempts: number;
  private readonly clock: Clock;
  private readonly tableOf: Readonly<Record<string, JobTable>>;
  private kinds: Readonly<Record<string, KindOptions>> = {};
  /** The tables the kinds' jobs live in (the jobs table first). */
  private tables: readonly JobTable[] = [jobsTable];
  private readonly running = new Map<string, number>();
  /** Handed-off jobs per kind, waiting here for a free slot (see reserve/adopt). */
  private readonly backlog = new Map<string, Job[]>();
  /** Slots promised by reserve() and not yet settled by adopt(), per kind. */
  private readonly reserved = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = true;
  private wake: (() => void) | undefined;
  /** A poke that came while the loop was awake (claiming): the next sleep returns at once. */
  private poked = false;
  /** How many pokes said work was written to a table (see shouldClaim). */
  private writes = 0;
  /** Registered with a transaction that wrote jobs: the poke after its commit (the same function, so once per transaction). */
  private readonly pokeAfterCommit = () => this.poke();
  /** Per kind, its last claim: when, the pokes counted before it, and whether it came back short. */
  private readonly lastClaim = new Map<string, { at: number; written: number; short: boolean }>();
  private loop: Promise<void> | undefined;
  private lastReap = 0;
  private lastRenew: number;
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
    this.clock = options.clock ?? systemClock;
    this.tableOf = options.tables ?? {};
    this.lastRenew = this.clock.now();
    this.completions = new Batcher<JobDone & { opts: KindOptions }, void>(
      async (done) => {
        await writeCompletions(options.db, done, (kind) => this.table(kind), this.worker);
        return done.map(() => undefined);
      },
      // Nobody waits on a completion but the job's slot: on PostgreSQL a few milliseconds gather a
      // steady stream of them into one statement and one commit (a disk flush) instead of one per
      // job or two. Not on PGlite, where 4 jobs run at once: they would wait out every linger.
      options.db.kind === 'postgres'
        ? { maxBatch: 500, maxInFlight: 2, linger: { ms: 5, fill: 32 } }
        : { maxBatch: 500, maxInFlight: 1 },
    );
  }

  async enqueue(tx: Tx, spec: JobSpec): Promise<number | undefined> {
    const id = await insertJob(tx, spec, this.maxAttempts);
    if (id !== undefined) tx.afterCommit(this.pokeAfterCommit);
    return id;
  }

  enqueued(tx: Tx, _kind: string): void {
    tx.afterCommit(this.pokeAfterCommit);
  }

  async requeue(tx: Tx, id: number): Promise<boolean> {
    if ((await requeueDeadJob(tx, id)) === undefined) return false;
    tx.afterCommit(this.pokeAfterCommit);
    return true;
  }

  private table(kind: string): JobTable {
    return this.tableOf[kind] ?? jobsTable;
  }

  /** The tables the started kinds' jobs live in, the jobs table always among them. */
  private tablesOf(kinds: Readonly<Record<string, KindOptions>>): JobTable[] {
    return [...new Set([jobsTable, ...Object.keys(kinds).map((k) => this.table(k))])];
  }

  /** Tells the local worker there may be new work in a table (jobs written and committed). */
  poke(): void {
    this.writes++;
    this.recheck();
  }

  /**
   * Tells the local worker to look again at what it holds and may run (a pressure it yields to may
   * be over), without looking in the tables for new work.
   */
  recheck(): void {
    if (this.wake) this.wake();
    else this.poked = true;
  }

  /**
   * Whether to look in `kind`'s table now. A claim that came back with fewer jobs than it asked for
   * found the table empty of due work; until something is written there (poke) or the poll interval
   * has passed (retries coming due, another worker's expired lease), another claim would find the
   * same, and a wake for a freed slot or a hand-off is no reason to ask again: at a steady rate those
   * came a few times per event, each claim a statement.
   */
  private shouldClaim(kind: string): boolean {
    const last = this.lastClaim.get(kind);
    return (
      last === undefined ||
      !last.short ||
      last.written !== this.writes ||
      this.clock.now() - last.at >= this.pollMs
    );
  }

  /**
   * Room for `n` jobs of `kind` that the caller is about to write already leased to this worker (see
   * HandOff); every reservation is settled by adopt(), with the jobs that were written.
   */
  reserve(kind: string, n: number): HandOff {
    const opts = this.kinds[kind];
    const held = (this.backlog.get(kind)?.length ?? 0) + (this.reserved.get(kind) ?? 0);
    const limit = this.options.handOffLimits?.[kind] ?? 0;
    const slots = this.stopped || !opts ? 0 : Math.max(0, Math.min(n, limit - held));
    if (slots > 0) this.reserved.set(kind, (this.reserved.get(kind) ?? 0) + slots);
    return { worker: this.worker, leaseMs: this.leaseMs, slots };
  }

  /** The reserved jobs that were written (committed), to run here; frees the rest of the slots. */
  adopt(kind: string, reserved: HandOff, jobs: readonly Job[]): void {
    if (reserved.slots === 0) return;
    this.reserved.set(kind, (this.reserved.get(kind) ?? 0) - reserved.slots);
    if (jobs.length > reserved.slots) throw new Error('adopt: more jobs than were reserved');
    // Stopped meanwhile: they stay leased to this worker until the lease runs out, then any takes them.
    if (jobs.length === 0 || this.stopped) return;
    const waiting = this.backlog.get(kind) ?? [];
    waiting.push(...jobs);
    this.backlog.set(kind, waiting);
    this.recheck();
  }

  start(kinds: Readonly<Record<string, KindOptions>>): void {
    if (!this.stopped) throw new Error('queue already started');
    this.kinds = kinds;
    this.tables = this.tablesOf(kinds);
    this.stopped = false;
    this.loop = this.run();
  }

  /**
   * Takes back every job a worker holds, in every table of these kinds: for a database only this
   * process opens (PGlite), where any job still held was left by a process that died (kill -9, power
   * loss), so it need not wait for its lease. Call before start().
   */
  async takeBackOrphans(kinds: Readonly<Record<string, KindOptions>>): Promise<number> {
    let n = 0;
    for (const table of this.tablesOf(kinds)) n += await table.release(this.options.db, 'all');
    return n;
  }

  async stop(drainMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.recheck();
    await this.loop;
    // The drain timer is cancelled once the jobs are done: a pending timer would keep the process
    // alive for the whole bound after a clean stop.
    let cancel = () => {};
    const drained = await Promise.race([
      Promise.all(this.inFlight).then(() => true),
      new Promise<boolean>((resolve) => {
        cancel = this.clock.timer(drainMs, () => resolve(false));
      }),
    ]);
    cancel();
    // Handed-off jobs that never started go back to the queue at once, for any worker.
    const waiting = [...this.backlog.values()].reduce((n, jobs) => n + jobs.length, 0);
    this.backlog.clear();
    if (!drained || waiting > 0) {
      let n = 0;
      for (const table of this.tables) n += await table.release(this.options.db, this.worker).catch(() => 0);
      if (!drained)
        this.options.logger.warn(
          { released: n },
          'queue stopped with jobs still running; released them for other workers',
        );
    }
  }

  async stats(): Promise<QueueStats> {
    const all = await Promise.all(this.tables.map((t) => t.stats(this.options.db)));
    return all.reduce((a, b) => ({
      queued: a.queued + b.queued,
      running: a.running + b.running,
      retrying: a.retrying + b.retrying,
      dead: a.dead + b.dead,
      oldestAgeSeconds: Math.max(a.oldestAgeSeconds, b.oldestAgeSeconds),
    }));
  }

  async idle(options: { timeoutMs?: number; kinds?: readonly string[] } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const pending = async () => {
      let n = 0;
      for (const table of this.tables)
        n += await table.pending(this.options.db, options.kinds, IDLE_HORIZON_MS);
      return n;
    };
    while ((await pending()) > 0 || this.inFlight.size > 0 || this.backlog.size > 0) {
      if (Date.now() > deadline) throw new Error('the job queue did not become idle in time');
      this.poke();
      await sleep(20);
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed = 0;
      this.poked = false;
      try {
        const holding = this.inFlight.size > 0 || this.backlog.size > 0;
        if (holding && this.clock.now() - this.lastRenew > this.leaseMs / 3) {
          this.lastRenew = this.clock.now();
          for (const table of this.tables) await table.renew(this.options.db, this.worker, this.leaseMs);
        }
        if (this.clock.now() - this.lastReap > this.leaseMs / 4) {
          this.lastReap = this.clock.now();
          let n = 0;
          for (const table of this.tables) n += await table.release(this.options.db, 'expired');
          if (n > 0) {
            this.writes++; // due again, in the tables
            this.options.logger.warn({ jobs: n }, 'took back jobs whose worker stopped (lease expired)');
          }
        }
        for (const [kind, opts] of Object.entries(this.kinds)) {
          // Under pressure (see KindOptions.yieldTo) the kind leaves the CPU to what presses.
          const concurrency = opts.yieldTo?.()
            ? Math.min(opts.concurrency ?? 1, opts.yieldConcurrency ?? 1)
            : (opts.concurrency ?? 1);
          let running = this.running.get(kind) ?? 0;
          // Handed-off jobs first: they are ours already, with no claim to write.
          const waiting = this.backlog.get(kind);
          while (waiting && waiting.length > 0 && running < concurrency && !this.stopped) {
            this.launch(waiting.shift() as Job, opts);
            running++;
            claimed++;
          }
          if (waiting?.length === 0) this.backlog.delete(kind);
          const free = concurrency - running;
          // Claims go in batches: a claim is a write and a commit (a WAL flush on PostgreSQL), so while
          // more than half of the kind's slots are still busy, wait for more to free up (each job that
          // ends pokes this loop) instead of claiming one job per finished job.
          if (free <= 0 || this.stopped || (running > 0 && free < Math.ceil(concurrency / 2))) continue;
          if (!this.shouldClaim(kind)) continue;
          const written = this.writes;
          const jobs = await this.table(kind).claim(this.options.db, kind, free, this.worker, this.leaseMs);
          this.lastClaim.set(kind, { at: this.clock.now(), written, short: jobs.length < free });
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
    // A poke while the loop was awake (work handed off or enqueued, a slot freed, during a claim)
    // would otherwise be lost, and the loop asleep for the whole poll interval with work waiting.
    if (this.poked) {
      this.poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const cancel = this.clock.timer(ms, done);
      function done() {
        cancel();
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
      this.recheck(); // a slot is free
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
      const retryAt = retry
        ? new Date(this.clock.now() + retryDelayMs(job.attempts, this.retry, this.options.random))
        : undefined;
      if (retry) log.warn({ err, retry_at: retryAt }, 'job failed; will retry');
      else log.error({ err }, 'job failed for the last time; it is dead (see the console)');
      await this.table(job.kind)
        .fail(this.options.db, job, this.worker, message, retryAt)
        .catch((e: unknown) =>
          log.error({ err: e }, 'could not record the job failure; its lease will expire'),
        );
    }
  }
}
