import { invalidRequest } from './errors.js';

/**
 * Stripe's presentment currencies (lowercase ISO 4217), their minor units, and the minimum and
 * maximum amount of a payment in each (from Stripe's "Supported currencies" page: the minimum is about
 * $0.50 in the currency; a payment amount has at most eight digits).
 */
const SUPPORTED = new Set(
  (
    'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn ' +
    'bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf ' +
    'gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr ' +
    'lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen ' +
    'pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd ' +
    'top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw'
  ).split(' '),
);

/** Currencies without a minor unit: 500 JPY is ¥500. */
export const ZERO_DECIMAL: ReadonlySet<string> = new Set(
  'bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '),
);
/** Three-decimal currencies (Stripe still counts their minor unit in thousandths). */
const THREE_DECIMAL: ReadonlySet<string> = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

export function minorDigits(currency: string): number {
  const c = currency.toLowerCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

export function isCurrency(code: string): boolean {
  return SUPPORTED.has(code.toLowerCase());
}

/** Minimum payment amounts in the minor unit, where they differ from 50 (0.50 of the currency). */
const MINIMUM: Readonly<Record<string, number>> = {
  aed: 200,
  bgn: 100,
  czk: 1500,
  dkk: 250,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  pln: 200,
  ron: 200,
  sek: 300,
  thb: 1000,
};
const MAXIMUM = 99_999_999;

export function minimumAmount(currency: string): number {
  const c = currency.toLowerCase();
  return MINIMUM[c] ?? (ZERO_DECIMAL.has(c) ? 1 : 50);
}

function format(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const major = (amount / 10 ** digits).toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  return currency.toLowerCase() === 'usd' ? `$${major}` : `${major}`;
}

/**
 * A payment's amount must be within Stripe's limits for its currency: 400 `amount_too_small` /
 * `amount_too_large` naming `param`. A zero amount is left to the caller (some flows allow it).
 */
export function checkPaymentAmount(amount: number, currency: string, param = 'amount'): void {
  const c = currency.toLowerCase();
  const min = minimumAmount(c);
  if (amount < min) {
    throw invalidRequest(`Amount must be at least ${format(min, c)} ${c}`, param, 'amount_too_small');
  }
  if (amount > MAXIMUM) {
    throw invalidRequest(`Amount must be no more than ${format(MAXIMUM, c)} ${c}`, param, 'amount_too_large');
  }
}
