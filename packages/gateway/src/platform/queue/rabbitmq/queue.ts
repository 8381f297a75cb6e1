// The job queue over RabbitMQ (RABBITMQ_URL). The database stays the record of every job's state
// (the jobs table, as in the database backend); the broker carries the news that a job is due:
//
//   enqueue   the job's row and an outbox row in the caller's transaction; after the commit the
//             message is published (confirmed) and the outbox row deleted (outbox.ts). A job with a
//             deduplication key is written at once; the others of a transaction get their ids from
//             the sequence ahead of time and are written together, in one statement, just before
//             the commit (Tx.beforeCommit)
//   consume   one quorum queue per kind, manual acks, a prefetch of 8 × the kind's concurrency (the
//             next messages are here when a job ends). A delivery claims its job in the database
//             (queued and due → running, leased to this worker, many per statement), then waits for
//             one of the kind's `concurrency` slots to run it (slots.ts); a job that is done, dead or
//             gone is acknowledged and nothing runs (a redelivered or duplicated message is a
//             no-op); one not yet due, or running under another worker's live lease, waits in a
//             delay queue and is looked at again
//   finish    done: written (many per statement), then acked (acks of a moment go as one `multiple`
//             ack where they can, acks.ts). A failed attempt: queued again in
//             the database with its backoff, a copy published to the delay queue that fits, then
//             acked; the last attempt: dead in the database, and the message rejected to the
//             dead-letter queue
//   sweep     messages can be lost where the database cannot (a delay queue dropped one, a job
//             taken back after its worker died): a job queued and due for a while, untouched
//             meanwhile, is published again by any instance
//
// Kinds whose jobs are rows of their own table (stored webhook events) stay on the database
// backend, which this queue runs beside and hands them to.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from '../../batcher.js';
import type { Clock } from '../../clock.js';
import { binaryArray } from '../../db/binary-array.js';
import type { Tx } from '../../db/tx.js';
import type { Db } from '../../db/types.js';
import type { Logger } from '../../logger.js';
import { defaultRetryPolicy, type RetryPolicy, retryDelayMs, shouldRetry } from '../backoff.js';
import { failJob, type JobRow, jobsTable, releaseJobs, renewLeases, toJob } from '../db/jobs-table.js';
import { type DbJobQueue, writeCompletions } from '../db/queue.js';
import type { Job, JobDone, JobQueue, JobSpec, KindOptions, QueueStats } from '../types.js';
import type { Broker, Delivery, Subscription } from './broker.js';
import type { Outbox } from './outbox.js';
import { Slots } from './slots.js';
import { declareKindQueue, type Topology } from './topology.js';

export interface RabbitQueueOptions {
  db: Db;
  logger: Logger;
  clock: Clock;
  broker: Broker;
  outbox: Outbox;
  topology: Topology;
  /** The database backend, for the kinds whose jobs live in tables of their own. */
  local: DbJobQueue;
  /** Those kinds. */
  tableKinds: ReadonlySet<string>;
  retry?: RetryPolicy;
  maxAttempts?: number;
  leaseMs?: number;
  /** How long a due job may wait untouched before the sweep publishes it again (ms). */
  staleMs?: number;
  sweepEveryMs?: number;
  random?: () => number;
}

/** Job ids taken from the sequence at a time, ahead of use (see enqueue). */
const ID_BLOCK = 256;

/** A job given its id, to be written just before its transaction commits. */
interface PendingJob {
  id: number;
  spec: JobSpec;
}

/**
 * Messages the broker hands a consumer ahead of its running slots: while a job runs and its
 * completion is written, the next ones wait here instead of a broker round trip away.
 */
export function prefetchOf(concurrency: number): number {
  return Math.min(1_000, concurrency * 8);
}

/** What a delivery found in the database. */
type Claim = { job: Job } | { gone: true } | { waitMs: number };

/** A job's message: its id (the database has the rest) and kind. */
export function jobMessage(
  t: Topology,
  id: number,
  kind: string,
): {
  exchange: string;
  routingKey: string;
  body: string;
  properties: { headers: { kind: string }; messageId: string };
} {
  return {
    exchange: t.exchange,
    routingKey: '',
    body: JSON.stringify({ job: id, kind }),
    properties: { headers: { kind }, messageId: `job:${id}` },
  };
}

export class RabbitJobQueue implements JobQueue {
  private readonly worker = `r_${process.pid}_${randomBytes(4).toString('hex')}`;
  private readonly retry: RetryPolicy;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private readonly claims: Batcher<number, Claim>;
  private readonly completions: Batcher<JobDone & { opts: KindOptions }, void>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly subscriptions: Subscription[] = [];
  private stopped = true;
  private timers: (() => void)[] = [];
  private sweeping: Promise<unknown> | undefined;
  /** Jobs claimed while stopping that never ran (stop() hands them back). */
  private unstarted = 0;
  /** Per kind, its running slots (see slots.ts). */
  private readonly slots = new Map<string, Slots>();
  /** Job ids taken from the sequence and not yet used (see enqueue). */
  private readonly ids: number[] = [];
  /** Per open transaction, its un-keyed jobs, written just before it commits. */
  private readonly unwritten = new WeakMap<Tx, PendingJob[]>();
  /** Deliveries that found nothing to run (a duplicate or redelivered message), for tests. */
  noOps = 0;

  constructor(private readonly options: RabbitQueueOptions) {
    this.retry = options.retry ?? defaultRetryPolicy;
    this.maxAttempts = options.maxAttempts ?? 12;
    this.leaseMs = options.leaseMs ?? 30_000;
    const pg = options.db.kind === 'postgres';
    this.claims = new Batcher<number, Claim>((ids) => this.claim(ids), {
      maxBatch: 500,
      maxInFlight: pg ? 6 : 1,
      ...(pg ? { linger: { ms: 2, fill: 16 } } : {}),
    });
    this.completions = new Batcher<JobDone & { opts: KindOptions }, void>(
      async (done) => {
        await writeCompletions(options.db, done, () => jobsTable, this.worker);
        return done.map(() => undefined);
      },
      pg ? { maxBatch: 500, maxInFlight: 2, linger: { ms: 5, fill: 32 } } : { maxBatch: 500, maxInFlight: 1 },
    );
  }

  private broker(kind: string): boolean {
    return !this.options.tableKinds.has(kind);
  }

  async enqueue(tx: Tx, spec: JobSpec): Promise<number | undefined> {
    // A job with a deduplication key is written at once: whether it was a duplicate is the answer.
    if (spec.key !== undefined) return this.insertKeyed(tx, spec);
    // Any other is given its id now and written with the transaction's others, in one statement
    // just before the commit (one round trip for a transaction's jobs, not one each).
    const id = this.ids.pop() ?? (await this.allocateIds(tx));
    let pending = this.unwritten.get(tx);
    if (!pending) {
      const list: PendingJob[] = [];
      pending = list;
      this.unwritten.set(tx, list);
      tx.beforeCommit(() => this.writeJobs(tx, list));
    }
    pending.push({ id, spec });
    return id;
  }

  /**
   * Takes job ids from the sequence ahead of use, a block at a time (in the caller's transaction: a
   * sequence is not transactional, so they stay taken; a rolled-back one leaves a gap, as any would).
   * Returns one for the caller and keeps the rest.
   */
  private async allocateIds(tx: Tx): Promise<number> {
    const r = await tx.query<{ id: string }>(
      `SELECT nextval('jobs_id_seq')::text AS id FROM generate_series(1, $1::int)`,
      [ID_BLOCK],
    );
    // Handed out lowest first (pop takes from the end).
    for (let i = r.rows.length - 1; i > 0; i--) this.ids.push(Number(r.rows[i]!.id));
    return Number(r.rows[0]!.id);
  }

  /** A transaction's un-keyed jobs and their outbox rows, in one statement. */
  private async writeJobs(tx: Tx, jobs: readonly PendingJob[]): Promise<void> {
    this.unwritten.delete(tx);
    const t = this.options.topology;
    const r = await tx.query<{ id: string; job: string; run_at: Date | null }>(
      `WITH j AS (
         INSERT INTO jobs (id, kind, payload, run_at, max_attempts)
         SELECT u.id, u.kind, u.payload::jsonb, COALESCE(u.run_at::timestamptz, now()), u.max_attempts::int
         FROM unnest($1::int8[], $2::text[], $3::json[], $4::text[], $5::int8[])
           AS u(id, kind, payload, run_at, max_attempts)
         RETURNING id, kind, run_at)
       INSERT INTO outbox (exchange, routing_key, body, properties, not_before)
       SELECT $6, '', json_build_object('job', j.id, 'kind', j.kind)::text,
              jsonb_build_object('headers', jsonb_build_object('kind', j.kind), 'messageId', 'job:' || j.id),
              CASE WHEN j.run_at > now() THEN j.run_at END
       FROM j
       RETURNING id, (body::json ->> 'job')::bigint AS job, not_before AS run_at`,
      [
        binaryArray(
          'int8',
          jobs.map((j) => j.id),
        ),
        binaryArray(
          'text',
          jobs.map((j) => j.spec.kind),
        ),
        binaryArray(
          'json',
          jobs.map((j) => JSON.stringify(j.spec.payload ?? {})),
        ),
        binaryArray(
          'text',
          jobs.map((j) => j.spec.runAt?.toISOString() ?? null),
        ),
        binaryArray(
          'int8',
          jobs.map((j) => j.spec.maxAttempts ?? this.maxAttempts),
        ),
        t.exchange,
      ],
    );
    const kinds = new Map(jobs.map((j) => [j.id, j.spec.kind]));
    for (const row of r.rows) {
      const id = Number(row.job);
      const m = jobMessage(t, id, kinds.get(id)!);
      this.options.outbox.track(tx, { ...m, id: Number(row.id), notBefore: row.run_at });
    }
  }

  private async insertKeyed(tx: Tx, spec: JobSpec): Promise<number | undefined> {
    const t = this.options.topology;
    // The job and its message in one statement: the outbox row exists exactly when the job does.
    const r = await tx.query<{ id: number; job: number; run_at: Date }>(
      `WITH j AS (
         INSERT INTO jobs (kind, key, payload, run_at, max_attempts)
         VALUES ($1, $2, $3, COALESCE($4, now()), $5)
         ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
         RETURNING id, run_at)
       INSERT INTO outbox (exchange, routing_key, body, properties, not_before)
       SELECT $6, '', json_build_object('job', j.id, 'kind', $1::text)::text,
              jsonb_build_object('headers', jsonb_build_object('kind', $1::text), 'messageId', 'job:' || j.id),
              CASE WHEN j.run_at > now() THEN j.run_at END
       FROM j
       RETURNING id, (body::json ->> 'job')::bigint AS job, not_before AS run_at`,
      [
        spec.kind,
        spec.key ?? null,
        JSON.stringify(spec.payload ?? {}),
        spec.runAt ?? null,
        spec.maxAttempts ?? this.maxAttempts,
        t.exchange,
      ],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const id = Number(row.job);
    const m = jobMessage(t, id, spec.kind);
    this.options.outbox.track(tx, { ...m, id: Number(row.id), notBefore: row.run_at });
    return id;
  }

  enqueued(tx: Tx, kind: string): void {
    // Only kinds with a table of their own write their jobs themselves.
    this.options.local.enqueued(tx, kind);
  }

  async requeue(tx: Tx, id: number): Promise<boolean> {
    const r = await tx.query<{ kind: string }>(
      `UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), locked_by = NULL, locked_until = NULL,
         updated_at = now() WHERE id = $1 AND status = 'dead' RETURNING kind`,
      [id],
    );
    const kind = r.rows[0]?.kind;
    if (kind === undefined) return false;
    await this.options.outbox.add(tx, jobMessage(this.options.topology, id, kind));
    return true;
  }

  start(kinds: Readonly<Record<string, KindOptions>>): void {
    if (!this.stopped) throw new Error('queue already started');
    this.stopped = false;
    this.slots.clear();
    const local: Record<string, KindOptions> = {};
    for (const [kind, opts] of Object.entries(kinds)) {
      if (!this.broker(kind)) {
        local[kind] = opts;
        continue;
      }
      const t = this.options.topology;
      void this.options.broker
        .consume({
          queue: t.queueOf(kind),
          prefetch: prefetchOf(opts.concurrency ?? 1),
          declare: async (ch) => {
            await declareKindQueue(ch, t, kind);
          },
          onMessage: (d) => this.deliver(kind, opts, d),
        })
        .then(
          (sub) => this.subscriptions.push(sub),
          (err: unknown) => this.options.logger.error({ err, kind }, 'RabbitMQ: could not consume'),
        );
    }
    this.options.local.start(local);
    this.options.outbox.start();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const tick = () => {
        if (this.stopped) return;
        const cancel = this.options.clock.timer(ms, () => {
          this.timers = this.timers.filter((c) => c !== cancel);
          fn()
            .catch((err: unknown) => this.options.logger.warn({ err }, 'job queue upkeep failed; retrying'))
            .finally(tick);
        });
        this.timers.push(cancel);
      };
      tick();
    };
    every(this.leaseMs / 3, async () => {
      if (this.inFlight.size > 0) await renewLeases(this.options.db, this.worker, this.leaseMs);
    });
    const brokerKinds = Object.keys(kinds).filter((k) => this.broker(k));
    every(this.options.sweepEveryMs ?? 5_000, () => {
      this.sweeping = this.sweep(brokerKinds);
      return this.sweeping;
    });
  }

  /**
   * Publishes again jobs queued and due for longer than the stale time and untouched meanwhile
   * (their message was lost); marks them touched, so one sweep in a stale time does it.
   */
  async sweep(kinds: readonly string[]): Promise<number> {
    if (!this.options.broker.connected || kinds.length === 0) return 0;
    const r = await this.options.db.query<{ id: number; kind: string }>(
      `UPDATE jobs SET updated_at = now()
       WHERE id = ANY(ARRAY(
         SELECT id FROM jobs
         WHERE status = 'queued' AND kind = ANY($1::text[])
           AND run_at < now() - ($2::int * interval '1 millisecond')
           AND updated_at < now() - ($2::int * interval '1 millisecond')
         ORDER BY run_at, id LIMIT 1000
         FOR UPDATE SKIP LOCKED))
       RETURNING id, kind`,
      [kinds, this.options.staleMs ?? 30_000],
    );
    await Promise.all(
      r.rows.map((j) =>
        this.options.broker.publish(jobMessage(this.options.topology, Number(j.id), j.kind)).catch(() => {}),
      ),
    );
    if (r.rows.length > 0)
      this.options.logger.warn({ jobs: r.rows.length }, 'published again jobs whose message was lost');
    return r.rows.length;
  }

  /** Claims the jobs of a batch of deliveries; says for each what its delivery should do. */
  private async claim(ids: number[]): Promise<Claim[]> {
    const r = await this.options.db.query<JobRow>(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $2,
              locked_until = now() + ($3::int * interval '1 millisecond'), updated_at = now()
       WHERE id = ANY($1::bigint[])
         AND ((status = 'queued' AND run_at <= now() + interval '20 milliseconds')
              OR (status = 'running' AND locked_until < now() AND attempts < max_attempts))
       RETURNING id, kind, key, payload, attempts, max_attempts, created_at`,
      [ids, this.worker, this.leaseMs],
    );
    const claimed = new Map<number, Job>();
    for (const j of r.rows) claimed.set(Number(j.id), toJob(j));
    const rest = ids.filter((id) => !claimed.has(id));
    const waits = new Map<number, number>();
    if (rest.length > 0) {
      const w = await this.options.db.query<{ id: number; wait: number | null }>(
        `SELECT id, CASE
             WHEN status = 'queued' THEN greatest(0, extract(epoch FROM run_at - now()) * 1000)
             WHEN status = 'running' THEN greatest(0, extract(epoch FROM locked_until - now()) * 1000) + 100
           END::float8 AS wait
         FROM jobs WHERE id = ANY($1::bigint[])`,
        [rest],
      );
      for (const row of w.rows) if (row.wait !== null) waits.set(Number(row.id), row.wait);
    }
    return ids.map((id) => {
      const job = claimed.get(id);
      if (job) {
        claimed.delete(id); // the same id twice in a batch (a duplicate message) runs once
        return { job };
      }
      const wait = waits.get(id);
      return wait === undefined ? { gone: true } : { waitMs: Math.max(wait, 1) };
    });
  }

  private deliver(kind: string, opts: KindOptions, d: Delivery): void {
    const p = this.handle(kind, opts, d).catch(async (err: unknown) => {
      // The database could not be reached: the message goes back to the queue a moment later.
      this.options.logger.warn({ err, kind }, 'job delivery could not be handled; returned to the queue');
      await sleep(200);
      d.nack(true);
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async handle(kind: string, opts: KindOptions, d: Delivery): Promise<void> {
    let id: number;
    try {
      id = Number((JSON.parse(d.message.content.toString('utf8')) as { job?: unknown }).job);
    } catch {
      id = Number.NaN;
    }
    if (!Number.isSafeInteger(id) || id <= 0) {
      this.options.logger.error({ kind }, 'a job message without a job id; dead-lettered');
      d.nack(false);
      return;
    }
    const claim = await this.claims.submit(id);
    if ('gone' in claim) {
      this.noOps++;
      d.ack();
      return;
    }
    if ('waitMs' in claim) {
      this.noOps++;
      await this.later(id, kind, claim.waitMs);
      d.ack();
      return;
    }
    // Claimed (it is ours, leased); it runs once a slot is free. Stopping first: stop() hands it
    // back to the table, and its message goes back to the queue with the channel.
    const slots = this.slotsOf(kind, opts);
    if (!(await slots.take())) {
      this.unstarted++;
      return;
    }
    await this.execute(claim.job, opts, d, () => slots.release());
  }

  private slotsOf(kind: string, opts: KindOptions): Slots {
    let s = this.slots.get(kind);
    if (!s) {
      s = new Slots(opts.concurrency ?? 1);
      this.slots.set(kind, s);
    }
    return s;
  }

  /** Publishes the job's message through the delay queue that fits `ms`. */
  private later(id: number, kind: string, ms: number): Promise<void> {
    const m = jobMessage(this.options.topology, id, kind);
    return this.options.broker.publish(
      this.options.outbox.outgoing({ ...m, notBefore: new Date(this.options.clock.now() + ms) }),
    );
  }

  /** Runs a claimed job, frees its slot once the handler is through, then records the outcome. */
  private async execute(job: Job, opts: KindOptions, d: Delivery, release: () => void): Promise<void> {
    let failure: { err: unknown } | undefined;
    let result: unknown;
    try {
      result = await opts.handler(job);
    } catch (err) {
      failure = { err };
    } finally {
      release();
    }
    if (!failure) {
      try {
        await this.completions.submit({ job, result, opts });
        d.ack();
        return;
      } catch (err) {
        // Its kind's completion writes threw: the attempt failed, as if the handler had thrown.
        failure = { err };
      }
    }
    const { err } = failure;
    // A child logger only for a failure (making one per job is a measurable part of a fast job).
    const log = this.options.logger.child({ job_id: job.id, job_kind: job.kind, attempt: job.attempts });
    const message = err instanceof Error ? err.message : String(err);
    const retry = shouldRetry(job.attempts, job.maxAttempts);
    const delay = retry ? retryDelayMs(job.attempts, this.retry, this.options.random) : 0;
    const retryAt = retry ? new Date(this.options.clock.now() + delay) : undefined;
    if (retry) log.warn({ err, retry_at: retryAt }, 'job failed; will retry');
    else log.error({ err }, 'job failed for the last time; it is dead (see the console)');
    await failJob(this.options.db, job.id, this.worker, message, retryAt);
    if (retry) {
      await this.later(job.id, job.kind, delay);
      d.ack();
    } else {
      d.nack(false); // to the dead-letter queue
    }
  }

  async stop(drainMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.slots.values()) s.close();
    for (const cancel of this.timers.splice(0)) cancel();
    await this.sweeping?.catch(() => {});
    for (const sub of this.subscriptions) await sub.pause();
    let cancelTimer = () => {};
    const drained = await Promise.race([
      Promise.all(this.inFlight).then(() => true),
      new Promise<boolean>((resolve) => {
        cancelTimer = this.options.clock.timer(drainMs, () => resolve(false));
      }),
    ]);
    cancelTimer();
    // Jobs claimed that never got a slot (and, past the drain, any still running) go back to the
    // table before their messages go back to the queue, so whoever gets a message can claim its job.
    if (!drained || this.unstarted > 0) {
      const n = await releaseJobs(this.options.db, this.worker).catch(() => 0);
      if (!drained)
        this.options.logger.warn(
          { released: n },
          'queue stopped with jobs still running; released them for other workers',
        );
    }
    this.unstarted = 0;
    // Closing the channels hands unacknowledged messages back to their queues, for other consumers.
    for (const sub of this.subscriptions.splice(0)) await sub.close();
    await this.completions.settled();
    await this.options.outbox.stop();
    await this.options.local.stop(drainMs);
  }

  stats(): Promise<QueueStats> {
    return this.options.local.stats();
  }

  async idle(options: { timeoutMs?: number; kinds?: readonly string[] } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      await this.options.local.idle({ ...options, timeoutMs: Math.max(1, deadline - Date.now()) });
      if (this.inFlight.size === 0 && !this.options.outbox.busy && (await this.options.outbox.size()) === 0) {
        // Nothing held here or waiting to be published; the local check saw nothing due in the table.
        return;
      }
      if (Date.now() > deadline) throw new Error('the job queue did not become idle in time');
      await sleep(20);
    }
  }
}
