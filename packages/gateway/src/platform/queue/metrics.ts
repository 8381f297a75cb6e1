// The job queue and the webhook event store on /metrics: gauges read at scrape time, so they show
// the database's state (all instances' work); the outcomes of applied events are this process's
// own counter (counting them in the database would scan the events table on every scrape).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db/types.js';
import type { JobQueue } from './types.js';

/** Outcomes this process has recorded so far (processed, ignored), read at scrape time. */
export type OutcomeTally = () => Readonly<Record<'processed' | 'ignored', number>>;

export function registerQueueMetrics(
  registry: Registry,
  queue: JobQueue,
  db: Queryable,
  applied: OutcomeTally,
): void {
  new Gauge({
    name: 'paydesk_jobs_oldest_due_age_seconds',
    help: 'Seconds since the oldest queued job became due (0 when none waits): how far processing lags.',
    registers: [registry],
    // Its own read: the registry collects metrics concurrently, so it cannot rely on another's collect.
    async collect() {
      this.set((await queue.stats()).oldestAgeSeconds);
    },
  });
  new Gauge({
    name: 'paydesk_jobs',
    help: 'Jobs not yet done, by state: queued (including retrying), running, retrying (queued again after a failed attempt), dead.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const s = await queue.stats();
      this.set({ state: 'queued' }, s.queued);
      this.set({ state: 'running' }, s.running);
      this.set({ state: 'retrying' }, s.retrying);
      this.set({ state: 'dead' }, s.dead);
    },
  });
  new Gauge({
    name: 'paydesk_stripe_events',
    help: 'Stored Stripe events waiting to be applied (pending) or given up on (failed), all instances.',
    labelNames: ['status'] as const,
    registers: [registry],
    // Both are read from their partial indexes: a scrape never scans the whole events table.
    async collect() {
      const r = await db.query<{ pending: number; failed: number }>(
        `SELECT (SELECT count(*) FROM stripe_events WHERE status = 'pending')::int AS pending,
                (SELECT count(*) FROM stripe_events WHERE status = 'failed')::int AS failed`,
      );
      this.set({ status: 'pending' }, r.rows[0]?.pending ?? 0);
      this.set({ status: 'failed' }, r.rows[0]?.failed ?? 0);
    },
  });
  new Counter({
    name: 'paydesk_stripe_events_applied_total',
    help: 'Stripe events this process applied, by outcome (processed, or ignored with a reason).',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const tally = applied();
      this.reset();
      this.inc({ outcome: 'processed' }, tally.processed);
      this.inc({ outcome: 'ignored' }, tally.ignored);
    },
  });
}
