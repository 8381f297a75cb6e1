/** Amounts as a customer reads them (minor units per currency: core/currencies.ts). */
import { minorDigits } from '../core/currencies.js';

export { minorDigits, ZERO_DECIMAL } from '../core/currencies.js';

const formatters = new Map<string, Intl.NumberFormat>();

/** `formatMoney(1999, 'usd')` → `$19.99`; `formatMoney(500, 'jpy')` → `¥500`. */
export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = minorDigits(currency);
  let f = formatters.get(code);
  if (f === undefined) {
    try {
      f = new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency: code,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    } catch {
      // An unknown ISO code: digits and the code, rather than a failed page.
      f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
      const plain = f;
      return `${plain.format(amount / 10 ** digits)} ${code}`;
    }
    formatters.set(code, f);
  }
  return f.format(amount / 10 ** digits);
}

type Interval = 'day' | 'week' | 'month' | 'year';

/** `per month`, `every 3 months`. */
export function formatInterval(interval: Interval | (string & {}), count: number): string {
  return count === 1 ? `per ${interval}` : `every ${count} ${interval}s`;
}

/** `Dec 2, 2026` (UTC: the emulator's clock has no zone). */
export function formatDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleDateString('en-US', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

const ADVERB: Partial<Record<string, string>> = {
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
  year: 'yearly',
};

/** `Billed monthly`, `Billed every 3 months`. */
export function billedText(interval: Interval | (string & {}), count: number): string {
  return count === 1
    ? `Billed ${ADVERB[interval as Interval] ?? `every ${interval}`}`
    : `Billed every ${count} ${interval}s`;
}
