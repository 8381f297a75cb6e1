// Stripe's facts about currencies (docs.stripe.com/currencies: "Supported presentment currencies" and
// "Minimum and maximum charge amounts"), for amounts a caller chooses (the custom_amounts scope):
// refused here with the limit, rather than by Stripe as a 502.
import { AppError } from '../errors.js';

/** ISO 4217 codes Stripe charges in (lowercase, as its API takes them). */
export const STRIPE_CURRENCIES: ReadonlySet<string> = new Set(
  (
    'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd ' +
    'cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd ' +
    'hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad ' +
    'mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln ' +
    'pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs ' +
    'uah ugx uyu uzs vnd vuv wst xaf xcd xcg xof xpf yer zar zmw'
  ).split(' '),
);

/**
 * Stripe's published minimum charge per currency, in minor units. For a currency not listed Stripe's
 * minimum is the equivalent of 0.50 USD at the day's rate, which paydesk cannot know: only the
 * 1-unit floor is checked here, and Stripe has the last word.
 */
export const MINIMUM_CHARGE: Readonly<Record<string, number>> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

/** Stripe's ceiling: an amount has at most eight digits (99,999,999 minor units). */
export const MAXIMUM_CHARGE = 99_999_999;

export interface ChargeLimits {
  currency: string;
  minimum: number;
  maximum: number;
}

export function chargeLimits(currency: string): ChargeLimits {
  return { currency, minimum: MINIMUM_CHARGE[currency] ?? 1, maximum: MAXIMUM_CHARGE };
}

/**
 * Checks an amount a caller chose (minor units) against Stripe's rules for its currency: a currency
 * Stripe charges in, at least its minimum, at most its maximum. A 400 that names the field and
 * carries the limit in `details` otherwise.
 */
export function checkChargeAmount(
  currency: string,
  amount: number,
  fields: { currency: string; amount: string },
): void {
  if (!STRIPE_CURRENCIES.has(currency)) {
    throw new AppError(
      'validation_failed',
      `Invalid body.${fields.currency}: ${currency} is not a currency Stripe charges in.`,
      { issues: [{ in: 'body', path: fields.currency, message: 'unsupported currency' }], currency },
    );
  }
  const limits = chargeLimits(currency);
  if (amount < limits.minimum || amount > limits.maximum) {
    const below = amount < limits.minimum;
    throw new AppError(
      'validation_failed',
      `Invalid body.${fields.amount}: ${amount} ${currency} is ${below ? 'below Stripe’s minimum' : 'above Stripe’s maximum'} charge (${below ? limits.minimum : limits.maximum} minor units).`,
      {
        issues: [{ in: 'body', path: fields.amount, message: below ? 'below minimum' : 'above maximum' }],
        ...limits,
        amount,
      },
    );
  }
}

/**
 * Checks what a quantity of a catalog pack totals against Stripe's charge limits for its currency: a
 * few of a cheap pack (the credit shop's one-credit pack) can total less than Stripe charges, many of
 * an expensive one more. A 400 naming `quantity`, with the limits and the total in `details`.
 */
export function checkPackCharge(
  pack: string,
  priced: { quantity: number; total: number; currency: string },
): void {
  const limits = chargeLimits(priced.currency);
  if (priced.total >= limits.minimum && priced.total <= limits.maximum) return;
  const below = priced.total < limits.minimum;
  throw new AppError(
    'validation_failed',
    `Invalid quantity: ${priced.quantity} × ${pack} is ${priced.total} ${priced.currency}, ${below ? 'below Stripe’s minimum' : 'above Stripe’s maximum'} charge (${below ? limits.minimum : limits.maximum} minor units); ${below ? 'buy more' : 'buy fewer'}.`,
    {
      issues: [
        {
          in: 'body',
          path: 'quantity',
          message: below ? 'total below minimum charge' : 'total above maximum charge',
        },
      ],
      ...limits,
      amount: priced.total,
    },
  );
}
