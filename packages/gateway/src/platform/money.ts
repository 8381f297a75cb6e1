// Exact conversion between decimal strings ("15.95", as WHMCS speaks and the console shows and reads
// them) and Stripe's minor units, per currency (zero-decimal currencies count whole units;
// three-decimal ones thousandths). No float is involved. Shared by the WHMCS bridge and the console.

const ZERO_DECIMAL = /^(BIF|CLP|DJF|GNF|JPY|KMF|KRW|MGA|PYG|RWF|UGX|VND|VUV|XAF|XOF|XPF)$/;
const THREE_DECIMAL = /^(BHD|JOD|KWD|OMR|TND)$/;

export function minorDigits(currency: string): number {
  const code = currency.toUpperCase();
  return ZERO_DECIMAL.test(code) ? 0 : THREE_DECIMAL.test(code) ? 3 : 2;
}

/**
 * "15.95" USD → 1595n; "1000.00" JPY → 1000n. null for anything but a plain decimal, or one with more
 * precision than the currency has (never rounded). A leading minus is kept ("-1.00" → -100n).
 */
export function decimalToMinor(value: string, currency: string): bigint | null {
  const m = /^(-?)(\d{1,15})(?:\.(\d{1,6}))?$/.exec(value.trim());
  if (!m) return null;
  const places = minorDigits(currency);
  const fraction = m[3] ?? '';
  if (fraction.replace(/0+$/, '').length > places) return null;
  const minor = BigInt(m[2]! + fraction.slice(0, places).padEnd(places, '0'));
  return m[1] === '-' ? -minor : minor;
}

/** 1595n USD → "15.95"; 1000n JPY → "1000"; 1230n KWD → "1.230". */
export function minorToDecimal(minor: bigint, currency: string): string {
  const places = minorDigits(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString();
  if (places === 0) return `${sign}${digits}`;
  const padded = digits.padStart(places + 1, '0');
  return `${sign}${padded.slice(0, -places)}.${padded.slice(-places)}`;
}
