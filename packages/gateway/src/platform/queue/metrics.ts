// The job queue and the webhook event store on /metrics: gauges read at scrape time, so they show
// the database's state (all instances' work), not one process's counters.
import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db/types.js';
import type { JobQueue } from './types.js';

const eventStatuses = ['pending', 'processed', 'ignored', 'failed'] as const;

export function registerQueueMetrics(registry: Registry, queue: JobQueue, db: Queryable): void {
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
    help: 'Stored Stripe events by processing status.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const r = await db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM stripe_events GROUP BY status',
      );
      const by = new Map(r.rows.map((x) => [x.status, x.n]));
      for (const status of eventStatuses) this.set({ status }, by.get(status) ?? 0);
    },
  });
}
