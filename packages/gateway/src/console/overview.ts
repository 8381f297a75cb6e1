// The overview's figures: each chart's series, computed from overview-store.ts's queries.
import type { AppContext } from '../context.js';
import { digitsOf } from '../pages/format.js';
import {
  advanceRollup,
  type Backlog,
  backlog,
  creditsByDay,
  type DayRange,
  eventsByMinute,
  failuresByDay,
  revenueByDay,
  subscriptionSpans,
} from './overview-store.js';

export const RANGES = [7, 30, 90] as const;
export type RangeDays = (typeof RANGES)[number];

const DAY_MS = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The last `days` UTC days up to and including today's. */
export function dayRange(now: Date, days: number): DayRange & { days: string[] } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const list = Array.from({ length: days }, (_, i) => isoDay(today - (days - 1 - i) * DAY_MS));
  return { from: list[0]!, to: list[list.length - 1]!, days: list };
}

/** Minor units as a number of major units (2900 usd → 29). Chart values only; tables use money(). */
export function major(amount: number, currency: string): number {
  return amount / 10 ** digitsOf(currency);
}

export interface Overview {
  /** When the figures were computed (they may be served for CACHE_MS after). */
  computedAt: Date;
  range: { days: readonly string[]; from: string; to: string };
  /** Currencies with payments or subscriptions in the range, most revenue first. */
  currencies: string[];
  currency: string | undefined;
  revenue: { currency: string; perDay: number[]; payments: number[]; total: number; count: number }[];
  mrr: { perDay: number[]; activePerDay: number[]; unpriced: number };
  subscriptions: { newPerDay: number[]; churnedPerDay: number[]; activePerDay: number[] };
  credits: { grantedPerDay: number[]; consumedPerDay: number[] };
  events: {
    minutes: Date[];
    counts: number[];
    failed: number[];
    p50: (number | null)[];
    p99: (number | null)[];
  };
  failures: { deadJobsPerDay: number[]; failedEventsPerDay: number[] };
  backlog: Backlog;
}

/** Everything the overview shows, for the last `days` days and the chosen currency (default: most revenue). */
export async function overview(
  s: AppContext,
  days: RangeDays,
  wanted: string | undefined,
): Promise<Overview> {
  const now = s.now();
  const range = dayRange(now, days);
  const index = new Map(range.days.map((d, i) => [d, i]));
  const zeros = () => range.days.map(() => 0);
  await Promise.all([advanceRollup(s.db, 'payments'), advanceRollup(s.db, 'credits')]);
  const minuteNow = Math.floor(now.getTime() / 60_000) * 60_000;
  const eventsFrom = new Date(minuteNow - 59 * 60_000);
  const [revenueRows, creditRows, spans, eventRows, failureRows, open] = await Promise.all([
    revenueByDay(s.db, range),
    creditsByDay(s.db, range),
    subscriptionSpans(s.db, range),
    eventsByMinute(s.db, eventsFrom, new Date(minuteNow + 60_000)),
    failuresByDay(s.db, range),
    backlog(s.db),
  ]);

  const byCurrency = new Map<string, Overview['revenue'][number]>();
  for (const r of revenueRows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    let c = byCurrency.get(r.currency);
    if (!c) {
      c = { currency: r.currency, perDay: zeros(), payments: zeros(), total: 0, count: 0 };
      byCurrency.set(r.currency, c);
    }
    c.perDay[i] = Number(r.amount);
    c.payments[i] = Number(r.payments);
    c.total += Number(r.amount);
    c.count += Number(r.payments);
  }
  const revenue = [...byCurrency.values()].sort(
    (a, b) => b.count - a.count || a.currency.localeCompare(b.currency),
  );
  const currencies = [...revenue.map((r) => r.currency)];
  for (const sp of spans) if (!currencies.includes(sp.currency)) currencies.push(sp.currency);
  const currency = wanted && currencies.includes(wanted) ? wanted : currencies[0];

  // Subscriptions: a difference array per series (+n where a span starts, -n the day after it ends).
  const n = range.days.length;
  const activeDelta = new Array<number>(n + 1).fill(0);
  const mrrDelta = new Array<number>(n + 1).fill(0);
  const activeCurrencyDelta = new Array<number>(n + 1).fill(0);
  const newPerDay = zeros();
  const churnedPerDay = zeros();
  let unpriced = 0;
  for (const sp of spans) {
    const start = index.get(sp.start_day) ?? 0;
    // Cancelled on day e: no longer active at the end of day e.
    const end = sp.end_day === null ? n : (index.get(sp.end_day) ?? n);
    if (!sp.started_before) newPerDay[start]! += sp.n;
    if (sp.end_day !== null && index.has(sp.end_day)) churnedPerDay[end]! += sp.n;
    if (end <= start) continue;
    activeDelta[start]! += sp.n;
    activeDelta[end]! -= sp.n;
    if (sp.currency !== currency) continue;
    activeCurrencyDelta[start]! += sp.n;
    activeCurrencyDelta[end]! -= sp.n;
    const price = s.catalog.prices.find(
      (p) =>
        p.kind === 'plan' && p.itemId === sp.plan && p.interval === sp.interval && p.currency === sp.currency,
    );
    if (!price) {
      unpriced += sp.n;
      continue;
    }
    const monthly = (price.amount * sp.n) / (sp.interval === 'year' ? 12 : 1);
    mrrDelta[start]! += monthly;
    mrrDelta[end]! -= monthly;
  }
  const running = (delta: number[]) => {
    let v = 0;
    return range.days.map((_, i) => {
      v += delta[i]!;
      return Math.round(v);
    });
  };

  const credits = { grantedPerDay: zeros(), consumedPerDay: zeros() };
  for (const r of creditRows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    credits.grantedPerDay[i] = Number(r.granted);
    credits.consumedPerDay[i] = Number(r.consumed);
  }

  const minutes = Array.from({ length: 60 }, (_, i) => new Date(eventsFrom.getTime() + i * 60_000));
  const events = {
    minutes,
    counts: minutes.map(() => 0),
    failed: minutes.map(() => 0),
    p50: minutes.map((): number | null => null),
    p99: minutes.map((): number | null => null),
  };
  for (const r of eventRows) {
    const i = Math.round((new Date(r.minute).getTime() - eventsFrom.getTime()) / 60_000);
    if (i < 0 || i >= 60) continue;
    events.counts[i] = r.events;
    events.failed[i] = r.failed;
    events.p50[i] = r.p50 === null ? null : Number(r.p50);
    events.p99[i] = r.p99 === null ? null : Number(r.p99);
  }

  const failures = { deadJobsPerDay: zeros(), failedEventsPerDay: zeros() };
  for (const r of failureRows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    failures.deadJobsPerDay[i] = r.dead_jobs;
    failures.failedEventsPerDay[i] = r.failed_events;
  }

  return {
    computedAt: now,
    range,
    currencies,
    currency,
    revenue,
    mrr: { perDay: running(mrrDelta), activePerDay: running(activeCurrencyDelta), unpriced },
    subscriptions: { newPerDay, churnedPerDay, activePerDay: running(activeDelta) },
    credits,
    events,
    failures,
    backlog: open,
  };
}

/** How long computed figures are served again: the charts count days and minutes; this saves the queries when several operators (or one reloading) look at once. */
export const CACHE_MS = 10_000;

/**
 * The overview's figures, computed at most once per CACHE_MS for each period and currency (one
 * computation at a time per key: concurrent requests share it). Owned by the console plugin of one app.
 */
export function overviewCache(
  s: AppContext,
): (days: RangeDays, currency: string | undefined) => Promise<Overview> {
  const entries = new Map<string, { until: number; figures: Promise<Overview> }>();
  return (days, currency) => {
    const key = `${days}:${currency ?? ''}`;
    const now = s.now().getTime();
    const hit = entries.get(key);
    if (hit && hit.until > now) return hit.figures;
    // Periods × currencies are few; stale entries are dropped as new ones come.
    for (const [k, e] of entries) if (e.until <= now) entries.delete(k);
    const figures = overview(s, days, currency);
    entries.set(key, { until: now + CACHE_MS, figures });
    figures.catch(() => entries.delete(key));
    return figures;
  };
}
