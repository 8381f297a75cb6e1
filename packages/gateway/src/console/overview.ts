// The overview's figures: each chart's series, computed from overview-store.ts's queries.
import type { AppContext } from '../context.js';
import { digitsOf } from '../pages/format.js';
import {
  advanceRollup,
  attention,
  type Backlog,
  creditsByDay,
  type DayRange,
  eventsByMinute,
  revenueByDay,
  subscriptionDays,
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
  /** When the figures were computed (each page computes them afresh). */
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
  const minuteNow = Math.floor(now.getTime() / 60_000) * 60_000;
  const eventsFrom = new Date(minuteNow - 59 * 60_000);
  // Revenue and credits add the rolled-up hours and the rows written since, in one snapshot: right
  // whether or not a closed hour is still to be added up. So the check for one runs beside them, and
  // the request that finds one (once an hour) adds it up afterwards, for the next ones to read less.
  const [revenueRows, creditRows, subRows, eventRows, { failures: failureRows, backlog: open, due }] =
    await Promise.all([
      revenueByDay(s.db, range),
      creditsByDay(s.db, range),
      subscriptionDays(s.db, range),
      eventsByMinute(s.db, eventsFrom, new Date(minuteNow + 60_000)),
      attention(s.db, range),
    ]);
  await Promise.all(due.map((name) => advanceRollup(s.db, name)));

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
  for (const r of subRows) if (!currencies.includes(r.currency)) currencies.push(r.currency);
  const currency = wanted && currencies.includes(wanted) ? wanted : currencies[0];

  // Subscriptions: per series, what changes at the end of each day (the row of those active before
  // the range counts on the first day); a running sum gives the count at the end of each day.
  const activeDelta = zeros();
  const mrrDelta = zeros();
  const activeCurrencyDelta = zeros();
  const unpricedDelta = zeros();
  const newPerDay = zeros();
  const churnedPerDay = zeros();
  for (const r of subRows) {
    const i = r.day === null ? 0 : index.get(r.day);
    if (i === undefined) continue;
    const change = r.before + r.started - r.ended;
    newPerDay[i]! += r.started;
    churnedPerDay[i]! += r.churned;
    activeDelta[i]! += change;
    if (r.currency !== currency) continue;
    activeCurrencyDelta[i]! += change;
    const price = s.catalog.prices.find(
      (p) =>
        p.kind === 'plan' && p.itemId === r.plan && p.interval === r.interval && p.currency === r.currency,
    );
    if (!price) unpricedDelta[i]! += change;
    else mrrDelta[i]! += (price.amount * change) / (r.interval === 'year' ? 12 : 1);
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
    mrr: {
      perDay: running(mrrDelta),
      activePerDay: running(activeCurrencyDelta),
      unpriced: Math.max(0, ...running(unpricedDelta)),
    },
    subscriptions: { newPerDay, churnedPerDay, activePerDay: running(activeDelta) },
    credits,
    events,
    failures,
    backlog: open,
  };
}
