/**
 * Billing periods as Stripe computes them: boundaries are counted from the billing cycle anchor, and
 * a monthly anchor on the 31st lands on the last day of shorter months, then back on the 31st.
 */
export type Interval = 'day' | 'week' | 'month' | 'year';

/** The `n`-th boundary after `anchor` (n = 0 is the anchor itself). */
export function boundary(anchor: number, interval: Interval, count: number, n: number): number {
  if (interval === 'day') return anchor + n * count * 86_400;
  if (interval === 'week') return anchor + n * count * 7 * 86_400;
  const months = (interval === 'year' ? 12 : 1) * count * n;
  const d = new Date(anchor * 1000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(targetYear, targetMonth + 1, 0)).getUTCDate();
  const day = Math.min(d.getUTCDate(), lastDay);
  return Date.UTC(targetYear, targetMonth, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

/** The first boundary strictly after `t`. */
export function nextBoundary(anchor: number, interval: Interval, count: number, t: number): number {
  let n = 1;
  if (interval === 'day' || interval === 'week') {
    const step = (interval === 'day' ? 1 : 7) * count * 86_400;
    n = Math.max(1, Math.floor((t - anchor) / step) + 1);
  }
  while (boundary(anchor, interval, count, n) <= t) n++;
  return boundary(anchor, interval, count, n);
}

/**
 * The prorated amount for the part `[from, end)` of the period `[start, end)`, by the second, as
 * Stripe prorates: `amount × remaining / length`, rounded to the nearest minor unit.
 */
export function prorate(amount: number, start: number, end: number, from: number): number {
  const length = end - start;
  if (length <= 0) return 0;
  const remaining = Math.min(Math.max(end - from, 0), length);
  return Math.round((amount * remaining) / length);
}
