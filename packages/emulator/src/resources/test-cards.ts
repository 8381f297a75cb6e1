import { createHash } from 'node:crypto';
import { flatten } from '../core/json.js';

/**
 * Stripe's test cards as data: one row per card, and every payment resource reads its behaviour from
 * here (never from `if (number === …)`). A row names the card number, the `pm_card_*` id (the
 * matching `tok_*` token is derived from it, as Stripe names them) and what happens when the card is
 * attached, authenticated, charged or refunded.
 */

/** A decline as Stripe reports it: the error `code`, the `decline_code` and the message. */
export interface Decline {
  code: string;
  declineCode: string;
  message: string;
  /** The parameter the error names, when Stripe names one (`cvc`, `exp_month`). */
  param?: string;
}

export type ThreeDSecure =
  /** No authentication asked. */
  | 'none'
  /** 3-D Secure on every payment and every setup. */
  | 'always'
  /** 3-D Secure on-session and on setup; once set up for off-session use, off-session charges pass. */
  | 'until_setup';

export interface TestCard {
  number: string;
  /** `pm_card_<name>`; tokens are `tok_<name>`. */
  name: string;
  brand: 'visa' | 'mastercard' | 'amex' | 'discover';
  funding: 'credit' | 'debit';
  country: string;
  threeDSecure: ThreeDSecure;
  /** Charging the card fails with this decline. */
  decline?: Decline;
  /** Attaching the card to a customer (or setting it up) also fails with `decline` (the $0 check). */
  declinesOnAttach?: boolean;
  /** A refund of a charge on this card starts `pending`, then fails. */
  refundFails?: boolean;
  /** A succeeded charge on this card is then disputed (resources/disputes.ts). */
  dispute?: DisputeKind;
  /** A succeeded charge on this card then gets an early fraud warning (resources/disputes.ts). */
  earlyFraudWarning?: boolean;
}

/** How the cardholder disputes a charge on a dispute test card. */
export interface DisputeKind {
  /** The dispute's `reason`. */
  reason: string;
  /** An inquiry (`warning_needs_response`, no funds withdrawn) rather than a chargeback. */
  inquiry: boolean;
  /** `payment_method_details.card.network_reason_code`. */
  networkReasonCode: string;
  /** `enhanced_eligibility_types`, e.g. Visa Compelling Evidence 3.0. */
  enhancedEligibility?: readonly string[];
}

const generic: Decline = {
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
};

/** The authentication error Stripe reports when an off-session payment needs 3-D Secure. */
export const AUTHENTICATION_REQUIRED: Decline = {
  code: 'authentication_required',
  declineCode: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
};

export const TEST_CARDS: readonly TestCard[] = [
  {
    number: '4242424242424242',
    name: 'visa',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
  },
  {
    number: '4000056655665556',
    name: 'visa_debit',
    brand: 'visa',
    funding: 'debit',
    country: 'US',
    threeDSecure: 'none',
  },
  {
    number: '5555555555554444',
    name: 'mastercard',
    brand: 'mastercard',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
  },
  {
    number: '378282246310005',
    name: 'amex',
    brand: 'amex',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
  },
  {
    number: '6011111111111117',
    name: 'discover',
    brand: 'discover',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
  },
  {
    number: '4000002500003155',
    name: 'authenticationRequiredOnSetup',
    brand: 'visa',
    funding: 'credit',
    country: 'IE',
    threeDSecure: 'until_setup',
  },
  {
    number: '4000002760003184',
    name: 'authenticationRequired',
    brand: 'visa',
    funding: 'credit',
    country: 'DE',
    threeDSecure: 'always',
  },
  {
    number: '4000000000003220',
    name: 'threeDSecure2Required',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'always',
  },
  {
    number: '4000000000000002',
    name: 'chargeDeclined',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: generic,
    declinesOnAttach: true,
  },
  {
    number: '4000000000009995',
    name: 'chargeDeclinedInsufficientFunds',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: {
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    },
    declinesOnAttach: true,
  },
  {
    number: '4000000000009987',
    name: 'chargeDeclinedLostCard',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: { code: 'card_declined', declineCode: 'lost_card', message: 'Your card was declined.' },
    declinesOnAttach: true,
  },
  {
    number: '4000000000009979',
    name: 'chargeDeclinedStolenCard',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: { code: 'card_declined', declineCode: 'stolen_card', message: 'Your card was declined.' },
    declinesOnAttach: true,
  },
  {
    number: '4000000000000069',
    name: 'chargeDeclinedExpiredCard',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: {
      code: 'expired_card',
      declineCode: 'expired_card',
      message: 'Your card has expired.',
      param: 'exp_month',
    },
    declinesOnAttach: true,
  },
  {
    number: '4000000000000127',
    name: 'chargeDeclinedIncorrectCvc',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: {
      code: 'incorrect_cvc',
      declineCode: 'incorrect_cvc',
      message: "Your card's security code is incorrect.",
      param: 'cvc',
    },
    declinesOnAttach: true,
  },
  {
    number: '4000000000000119',
    name: 'chargeDeclinedProcessingError',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: {
      code: 'processing_error',
      declineCode: 'processing_error',
      message: 'An error occurred while processing your card. Try again in a little bit.',
    },
    declinesOnAttach: true,
  },
  {
    number: '4000000000000341',
    name: 'chargeCustomerFail',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    decline: generic,
  },
  {
    number: '4000000000005126',
    name: 'refundFail',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    refundFails: true,
  },
  {
    number: '4000000000000259',
    name: 'createDispute',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: { reason: 'fraudulent', inquiry: false, networkReasonCode: '10.4' },
  },
  {
    number: '4000000000002685',
    name: 'createDisputeProductNotReceived',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: { reason: 'product_not_received', inquiry: false, networkReasonCode: '13.1' },
  },
  {
    number: '4000000000001976',
    name: 'createDisputeInquiry',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: { reason: 'general', inquiry: true, networkReasonCode: '10.4' },
  },
  {
    number: '4000000404000038',
    name: 'createCe3EligibleDispute',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: {
      reason: 'fraudulent',
      inquiry: false,
      networkReasonCode: '10.4',
      enhancedEligibility: ['visa_compelling_evidence_3'],
    },
  },
  {
    number: '4000000000005423',
    name: 'createIssuerFraudRecord',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    earlyFraudWarning: true,
  },
];

const byNumber = new Map(TEST_CARDS.map((c) => [c.number, c]));
const byPm = new Map(TEST_CARDS.map((c) => [`pm_card_${c.name}`, c]));
const byToken = new Map(TEST_CARDS.map((c) => [`tok_${c.name}`, c]));

export function cardByNumber(number: string): TestCard | undefined {
  return byNumber.get(number.replace(/[\s-]/g, ''));
}

/** The card behind a `pm_card_*` id, or undefined. */
export function cardByPaymentMethodName(id: string): TestCard | undefined {
  return byPm.get(id);
}

/** The card behind a `tok_*` token, or undefined. */
export function cardByToken(token: string): TestCard | undefined {
  return byToken.get(token);
}

/** Luhn check, for "Your card number is incorrect." on numbers that are not test cards. */
export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const FINGERPRINT_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const fingerprints = new Map<string, string>();

/** A stable 16-character fingerprint per card number (same card → same fingerprint, as Stripe does). */
export function fingerprint(number: string): string {
  let out = fingerprints.get(number);
  if (out !== undefined) return out;
  const digest = createHash('sha256').update(`paydesk-emulator:${number}`).digest();
  out = '';
  for (let i = 0; i < 16; i++) out += FINGERPRINT_ALPHABET[digest[i]! % 62];
  // Memoised (a hash per payment method showed in profiles); bounded, since numbers come from callers.
  if (fingerprints.size >= 1024) fingerprints.clear();
  fingerprints.set(number, flatten(out));
  return out;
}
