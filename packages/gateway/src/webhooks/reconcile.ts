// Recovery: missed webhooks fetched from Stripe's event list (reconcile), one stored event applied
// again (replay), and local subscriptions compared with Stripe (check). Everything goes through the
// webhook pipeline's own paths — storeEvents + the apply-job, applySubscription — so a recovered
// event has exactly the effects its webhook would have had, and a duplicate has none.
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import { callStripe } from '../platform/stripe/client.js';
import { applySubscription } from '../subscriptions/apply.js';
import type { SubscriptionRow } from '../subscriptions/service.js';
import { planOf } from '../subscriptions/service.js';
import { eventById, requeueEvent, storeFetchedEvents } from './service.js';

/** Stripe keeps events for 30 days: `/v1/events` cannot go further back. */
export const EVENT_RETENTION_SECONDS = 30 * 86_400;
/** When nothing is stored yet, reconcile looks this far back. */
export const DEFAULT_LOOKBACK_SECONDS = 3 * 86_400;
/** Reconcile starts this long before the newest stored event: webhooks arrive late and out of order. */
export const SAFETY_MARGIN_SECONDS = 3_600;

const units: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/**
 * `--since`: an ISO 8601 time (`2024-05-01`, `2024-05-01T12:00:00Z`) or a duration back from `now`
 * (`90m`, `12h`, `3d`, `1w`). Undefined when the text is neither.
 */
export function parseSince(text: string, now: Date): Date | undefined {
  const duration = /^(\d+)([smhdw])$/.exec(text.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * units[duration[2]!]! * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The newest stored event's time minus the safety margin, or DEFAULT_LOOKBACK when none is stored. */
export async function defaultSince(s: AppContext): Promise<Date> {
  const r = await s.db.query<{ newest: Date | null }>('SELECT max(created) AS newest FROM stripe_events');
  const newest = r.rows[0]?.newest;
  const now = s.now().getTime();
  return newest
    ? new Date(new Date(newest).getTime() - SAFETY_MARGIN_SECONDS * 1000)
    : new Date(now - DEFAULT_LOOKBACK_SECONDS * 1000);
}

/** What became of a set of events once the pipeline had its go at them. */
export interface Outcomes {
  processed: number;
  ignored: number;
  /** Their apply-job failed and waits for its next attempt, or is dead. */
  failed: number;
  /** Not applied yet when the wait ended (another worker may still be at it). */
  pending: number;
  /** Event id → the error of its last failed attempt. */
  errors: Record<string, string>;
}

export interface ReconcileSummary extends Outcomes {
  since: string;
  /** Events Stripe listed. */
  seen: number;
  /** Of those, events paydesk had not stored (missed webhooks). */
  new: number;
  /** The time Stripe's event list was clipped to (30 days), when `since` asked for more. */
  clippedTo: string | null;
}

export interface ReconcileOptions {
  since: Date;
  /** How long to wait for the new events to be applied (ms). */
  waitMs?: number;
  /** Page size of `/v1/events` (at most 100). */
  pageSize?: number;
  /** After each page: the share of the time range covered (0..1), and the counts so far. */
  onProgress?: (fraction: number, counts: { seen: number; new: number }) => void;
}

/**
 * Pages through `/v1/events` from newest to `since`, storing each page through storeEvents (so every
 * missed event gets its apply-job; events already stored are no-ops), then waits for the queue —
 * this process's or another's — to apply the new ones.
 */
export async function reconcileEvents(s: AppContext, options: ReconcileOptions): Promise<ReconcileSummary> {
  const now = s.now();
  const oldest = new Date(now.getTime() - EVENT_RETENTION_SECONDS * 1000);
  const clipped = options.since < oldest;
  const since = clipped ? oldest : options.since;
  const gte = Math.floor(since.getTime() / 1000);
  const span = Math.max(1, Math.floor(now.getTime() / 1000) - gte);
  const fresh: string[] = [];
  let seen = 0;
  let startingAfter: string | undefined;
  for (;;) {
    const page = await callStripe(() =>
      s.stripe.events.list({
        created: { gte },
        limit: options.pageSize ?? 100,
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      }),
    );
    if (page.data.length > 0) {
      seen += page.data.length;
      // Oldest first within a page, so their jobs are claimed in the order Stripe created them.
      const stored = await storeFetchedEvents(s, [...page.data].reverse(), 'reconcile');
      fresh.push(...stored);
      const last = page.data[page.data.length - 1]!;
      const covered = Math.floor(now.getTime() / 1000) - last.created;
      options.onProgress?.(page.has_more ? Math.min(0.99, covered / span) : 1, { seen, new: fresh.length });
      startingAfter = last.id;
    } else {
      options.onProgress?.(1, { seen, new: fresh.length });
    }
    if (!page.has_more || page.data.length === 0) break;
  }
  const outcomes = await waitForEvents(s, fresh, options.waitMs ?? 120_000);
  return {
    since: since.toISOString(),
    seen,
    new: fresh.length,
    clippedTo: clipped ? oldest.toISOString() : null,
    ...outcomes,
  };
}

interface EventJobState {
  id: string;
  status: string;
  attempts: number;
  locked_by: string | null;
  last_error: string | null;
}

function tally(rows: readonly EventJobState[], final: boolean): Outcomes | undefined {
  const o: Outcomes = { processed: 0, ignored: 0, failed: 0, pending: 0, errors: {} };
  for (const r of rows) {
    if (r.status === 'processed') o.processed++;
    else if (r.status === 'ignored') o.ignored++;
    else if (r.status === 'failed' || (r.locked_by === null && r.attempts > 0 && r.last_error !== null)) {
      o.failed++;
      if (r.last_error) o.errors[r.id] = r.last_error;
    } else {
      if (!final) return undefined; // still queued for its first attempt, or running
      o.pending++;
    }
  }
  return o;
}

/**
 * Waits until each event is processed or ignored, or its apply-job has failed an attempt (the
 * queue retries it with backoff; waiting for that is not the operator's business), or the time is up.
 */
export async function waitForEvents(
  s: AppContext,
  ids: readonly string[],
  waitMs: number,
): Promise<Outcomes> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const r = await s.db.query<EventJobState>(
      `SELECT id, status, attempts, locked_by, COALESCE(last_error, status_reason) AS last_error
       FROM stripe_events WHERE id = ANY($1::text[])`,
      [ids],
    );
    const done = tally(r.rows, Date.now() >= deadline);
    if (done) return done;
    await sleep(25);
  }
}

export interface ReplayResult {
  event_id: string;
  type: string;
  /** Whether the event had to be fetched from Stripe (it was not stored). */
  fetched: boolean;
  status: 'processed' | 'ignored' | 'failed' | 'pending';
  reason: string | null;
  /** Attempts at applying the event since it was stored or last replayed. */
  attempts: number;
}

/**
 * Applies a stored event again: it becomes pending with no attempts, its own apply-job once more (the
 * handlers are idempotent, so only what is missing happens). An event paydesk never stored is fetched
 * from Stripe and stored with source 'replay'. Waits for the outcome of the next attempt.
 */
export async function replayEvent(s: AppContext, eventId: string, waitMs = 60_000): Promise<ReplayResult> {
  let stored = await eventById(s.db, eventId);
  let fetched = false;
  if (!stored) {
    const event: Stripe.Event = await callStripe(() => s.stripe.events.retrieve(eventId));
    await storeFetchedEvents(s, [event], 'replay');
    fetched = true;
    stored = await eventById(s.db, eventId);
    if (!stored) throw new Error(`event ${eventId} could not be stored`);
  } else {
    await requeueEvent(s, eventId);
  }
  const outcome = (await waitForEvents(s, [eventId], waitMs)).errors[eventId] ?? null;
  const after = await eventById(s.db, eventId);
  const status =
    after?.status === 'processed' || after?.status === 'ignored' || after?.status === 'failed'
      ? after.status
      : outcome !== null
        ? 'failed'
        : 'pending';
  return {
    event_id: eventId,
    type: stored.type,
    fetched,
    status,
    reason: status === 'failed' ? (outcome ?? after?.status_reason ?? null) : (after?.status_reason ?? null),
    attempts: after?.attempts ?? 0,
  };
}

export type DriftField = 'status' | 'plan' | 'interval' | 'current_period_end' | 'cancel_at_period_end';

export interface SubscriptionDrift {
  subscription: string;
  stripe_subscription: string;
  customer: string;
  /** Field → [paydesk's value, Stripe's value]. Empty when they agree. */
  fields: Partial<Record<DriftField, [string | null, string | null]>>;
  /** Stripe no longer knows the subscription, or it is not this instance's: reported, never fixed. */
  problem: string | null;
  /** Without --dry-run: whether the fix was applied (and why not). */
  fixed: boolean;
  fix_reason: string | null;
}

export interface CheckSummary {
  checked: number;
  drifted: number;
  fixed: number;
  problems: number;
  results: SubscriptionDrift[];
}

function iso(d: Date | null): string | null {
  return d ? new Date(d).toISOString() : null;
}

/** The fields paydesk keeps of a subscription, as Stripe has them now, compared with the record. */
export function compareSubscription(
  s: AppContext,
  row: SubscriptionRow,
  sub: Stripe.Subscription,
): SubscriptionDrift['fields'] {
  const { plan, interval } = planOf(s, sub);
  const periodEnd = sub.items.data[0]?.current_period_end;
  const theirs: Record<DriftField, string | null> = {
    status: sub.status,
    plan,
    interval,
    current_period_end: periodEnd ? new Date(periodEnd * 1000).toISOString() : null,
    cancel_at_period_end: String(sub.cancel_at_period_end),
  };
  const ours: Record<DriftField, string | null> = {
    status: row.status,
    plan: row.plan,
    interval: row.interval,
    current_period_end: iso(row.current_period_end),
    cancel_at_period_end: String(row.cancel_at_period_end),
  };
  const fields: SubscriptionDrift['fields'] = {};
  for (const k of Object.keys(theirs) as DriftField[]) {
    if (ours[k] !== theirs[k]) fields[k] = [ours[k], theirs[k]];
  }
  return fields;
}

/**
 * Compares every local subscription that exists in Stripe with Stripe's copy; with `fix`, records
 * Stripe's state through applySubscription, so entitlements and notifications follow.
 */
export async function checkSubscriptions(
  s: AppContext,
  options: { fix: boolean; onProgress?: (done: number, total: number, label: string) => void },
): Promise<CheckSummary> {
  const rows = (
    await s.db.query<SubscriptionRow>(
      `SELECT * FROM subscriptions WHERE stripe_subscription_id IS NOT NULL ORDER BY created_at, id`,
    )
  ).rows;
  const results: SubscriptionDrift[] = [];
  for (const [i, row] of rows.entries()) {
    const stripeId = row.stripe_subscription_id!;
    const base = { subscription: row.id, stripe_subscription: stripeId, customer: row.customer_id };
    const observedAt = s.now();
    let sub: Stripe.Subscription;
    try {
      sub = await callStripe(() => s.stripe.subscriptions.retrieve(stripeId));
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      results.push({
        ...base,
        fields: {},
        problem: 'Stripe has no such subscription',
        fixed: false,
        fix_reason: null,
      });
      options.onProgress?.(i + 1, rows.length, `${row.id}: missing in Stripe`);
      continue;
    }
    const fields = compareSubscription(s, row, sub);
    const drifted = Object.keys(fields).length > 0;
    let fixed = false;
    let fixReason: string | null = null;
    let problem: string | null = null;
    if (drifted && options.fix) {
      const r = await applySubscription(s, sub, observedAt);
      fixed = r.applied;
      if (!r.applied) {
        fixReason = r.reason;
        problem = r.reason;
      } else {
        const after = (
          await s.db.query<SubscriptionRow>('SELECT * FROM subscriptions WHERE id = $1', [row.id])
        ).rows[0];
        if (after && Object.keys(compareSubscription(s, after, sub)).length > 0) {
          fixed = false;
          fixReason = 'a newer state is recorded; run the check again';
        }
      }
    }
    results.push({ ...base, fields, problem, fixed, fix_reason: fixReason });
    options.onProgress?.(i + 1, rows.length, `${row.id}: ${drifted ? 'drift' : 'in sync'}`);
  }
  return {
    checked: rows.length,
    drifted: results.filter((r) => Object.keys(r.fields).length > 0).length,
    fixed: results.filter((r) => r.fixed).length,
    problems: results.filter((r) => r.problem !== null).length,
    results,
  };
}
