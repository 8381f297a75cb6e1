// WHMCS money: decimal strings with 2 places ("15.95"). The fake keeps integer cents and formats
// them back, so no float ever touches an amount.

/** "15.95" / "15.9" / "15" → 1595; null when not a plain non-negative decimal with ≤ 2 places. */
export function parseMoney(value: string): number | null {
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** 1595 → "15.95"; -50 → "-0.50". */
export function formatMoney(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
