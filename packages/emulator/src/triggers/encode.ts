import type { FixtureParams, FixtureValue } from './format.js';

/**
 * Fixture params as form pairs, the way the Stripe CLI and the SDKs send them: nested objects as
 * `a[b]=v`, arrays of objects as `a[0][k]=v`, arrays of scalars as `a[]=v`. A key already written
 * with brackets (`"recurring[interval]": "month"`) is sent as written; under a parent it is nested
 * (`p[recurring][interval]`). `null` values are left out (the CLI's `--remove`). Every string value
 * goes through `resolve` (reference substitution) first.
 */
export function formPairs(params: FixtureParams, resolve: (s: string) => string): [string, string][] {
  const out: [string, string][] = [];
  const scalar = (v: string | number | boolean): string =>
    typeof v === 'string' ? resolve(v) : typeof v === 'number' ? numberText(v) : String(v);
  const walk = (key: string, v: FixtureValue): void => {
    if (v === null) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (item === null) return;
        if (typeof item === 'object') walk(`${key}[${i}]`, item);
        else out.push([`${key}[]`, scalar(item)]);
      });
      return;
    }
    if (typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) walk(childKey(key, k), child);
      return;
    }
    out.push([key, scalar(v)]);
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out;
}

/** `p` + `a[b]` → `p[a][b]`; `p` + `a` → `p[a]`. */
function childKey(parent: string, key: string): string {
  const open = key.indexOf('[');
  if (open <= 0) return `${parent}[${key}]`;
  return `${parent}[${key.slice(0, open)}]${key.slice(open)}`;
}

/** Numbers as plain decimals (`25.0` → `25`, never `1e+21`), as the CLI formats them. */
function numberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < Number.MAX_SAFE_INTEGER) return String(n);
  return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/** `application/x-www-form-urlencoded` text; brackets in keys stay readable, as the SDKs send them. */
export function formEncode(pairs: readonly [string, string][]): string {
  return pairs
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k).replaceAll('%5B', '[').replaceAll('%5D', ']')}=${encodeURIComponent(v)}`,
    )
    .join('&');
}
