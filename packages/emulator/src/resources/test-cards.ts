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
  /** Radar blocked it (`outcome.type: blocked`), rather than the issuer declining. */
  blocked?: boolean;
}

export type ThreeDSecure =
  /** No authentication asked. */
  | 'none'
  /** 3-D Secure on every payment and every setup. */
  | 'always'
  /** 3-D Secure on-session and on setup; once set up for off-session use, off-session charges pass. */
  | 'until_setup'
  /** 3-D Secure on-session and on setup; off-session charges pass as if the card were set up. */
  | 'on_session';

/** A verification check that does not pass (`card.checks.*`): it fails, or the issuer cannot run it. */
export type CheckResult = 'fail' | 'unavailable';

export interface TestCard {
  number: string;
  /** `pm_card_<name>`; tokens are `tok_<name>`. No name: the number only (typed in a form). */
  name?: string;
  brand: 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay';
  funding: 'credit' | 'debit' | 'prepaid';
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
  /** Co-branded cards: the local network (`cartes_bancaires`, `eftpos_au`) beside `brand`. */
  coBrand?: 'cartes_bancaires' | 'eftpos_au';
  /** Checks that do not pass when the field was given (a CVC, `address.line1`, `address.postal_code`). */
  checks?: { cvc?: CheckResult; line1?: CheckResult; postalCode?: CheckResult };
  /** Radar's risk level for a charge (`outcome.risk_level`); `normal` when absent. */
  riskLevel?: 'elevated' | 'highest';
  /** `three_d_secure_usage.supported: false` (3-D Secure cannot run on this card). */
  threeDSecureUnsupported?: boolean;
  /** A charge's funds are available at once (`balance_transaction.available_on` = the charge's time). */
  bypassPending?: boolean;
  /** A refund of a charge on this card starts `pending`, then succeeds 30 s later on the emulator clock. */
  pendingRefund?: boolean;
}

/** How the cardholder disputes a charge on a dispute test card. */
export interface DisputeKind {
  /** The dispute's `reason`. */
  reason: string;
  /** An inquiry (`warning_needs_response`, no funds withdrawn) rather than a chargeback. */
  inquiry: boolean;
  /** `payment_method_details.card.network_reason_code`. */
  networkReasonCode: string | null;
  /** `enhanced_eligibility_types`, e.g. Visa Compelling Evidence 3.0. */
  enhancedEligibility?: readonly string[];
  /**
   * A network compliance case (`case_type: 'compliance'`, reason `noncompliant`): countering it needs
   * the network fee acknowledged first (`evidence_details.enhanced_eligibility.<this>`).
   */
  compliance?: 'visa_compliance' | 'mastercard_compliance';
  /** How many disputes the cardholder opens on the charge (the "multiple disputes" card); 1 if absent. */
  count?: number;
  /**
   * Eligible for Smart Disputes: `intended_submission_method` starts at Stripe's default
   * `prefer_manual`, and Smart Disputes responds at the due date if no evidence was submitted.
   */
  smartDisputes?: boolean;
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

/** What Radar's default block rule answers (the charge is never sent to the network). */
const blocked: Decline = {
  code: 'card_declined',
  declineCode: 'fraudulent',
  message: 'Your card was declined.',
  blocked: true,
};

const processingError: Decline = {
  code: 'processing_error',
  declineCode: 'processing_error',
  message: 'An error occurred while processing your card. Try again in a little bit.',
};

/** A row for a card whose payments succeed unless `more` says otherwise. */
function succeeds(
  number: string,
  name: string | undefined,
  brand: TestCard['brand'],
  funding: TestCard['funding'],
  country: string,
  more: Partial<TestCard> = {},
): TestCard {
  return { number, ...(name ? { name } : {}), brand, funding, country, threeDSecure: 'none', ...more };
}

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
    threeDSecureUnsupported: true,
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
    number: '4000000404000079',
    name: 'createMultipleDisputes',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: { reason: 'fraudulent', inquiry: false, networkReasonCode: '10.4', count: 2 },
  },
  {
    number: '4000008400000779',
    name: 'createComplianceDispute',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: {
      reason: 'noncompliant',
      inquiry: false,
      networkReasonCode: null,
      enhancedEligibility: ['visa_compliance'],
      compliance: 'visa_compliance',
    },
  },
  {
    number: '5105008400000002',
    name: 'createMastercardComplianceDispute',
    brand: 'mastercard',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: {
      reason: 'noncompliant',
      inquiry: false,
      networkReasonCode: null,
      enhancedEligibility: ['mastercard_compliance'],
      compliance: 'mastercard_compliance',
    },
  },
  {
    number: '4000000001000043',
    name: 'createAutoRepresentmentEligibleDispute',
    brand: 'visa',
    funding: 'credit',
    country: 'US',
    threeDSecure: 'none',
    dispute: { reason: 'fraudulent', inquiry: false, networkReasonCode: '10.4', smartDisputes: true },
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
  // Everything below: the rest of Stripe's testing page (docs.stripe.com/testing), row by row.
  // By brand. Rows without a name have no `pm_card_*` id: type the number in a form or `card[number]`.
  succeeds('2223003122003222', undefined, 'mastercard', 'credit', 'US'),
  succeeds('5200828282828210', 'mastercard_debit', 'mastercard', 'debit', 'US'),
  succeeds('5105105105105100', 'mastercard_prepaid', 'mastercard', 'prepaid', 'US'),
  succeeds('371449635398431', undefined, 'amex', 'credit', 'US'),
  succeeds('6011000990139424', undefined, 'discover', 'credit', 'US'),
  succeeds('6011981111111113', undefined, 'discover', 'debit', 'US'),
  succeeds('3056930009020004', 'diners', 'diners', 'credit', 'US'),
  succeeds('36227206271667', undefined, 'diners', 'credit', 'US'),
  succeeds('3566002020360505', 'jcb', 'jcb', 'credit', 'JP'),
  succeeds('6200000000000005', 'unionpay', 'unionpay', 'credit', 'CN'),
  succeeds('6200000000000047', undefined, 'unionpay', 'debit', 'CN'),
  succeeds('6205500000000000004', undefined, 'unionpay', 'credit', 'CN'),
  // Co-branded.
  succeeds('4000002500001001', 'visa_cartesBancaires', 'visa', 'credit', 'FR', {
    coBrand: 'cartes_bancaires',
  }),
  succeeds('5555552500001001', 'mastercard_cartesBancaires', 'mastercard', 'credit', 'FR', {
    coBrand: 'cartes_bancaires',
  }),
  succeeds('4000050360000001', 'visa_debit_eftposAuCoBranded', 'visa', 'debit', 'AU', {
    coBrand: 'eftpos_au',
  }),
  succeeds('5555050360000080', 'mastercard_debit_eftposAuCoBranded', 'mastercard', 'debit', 'AU', {
    coBrand: 'eftpos_au',
  }),
  // By country (`pm_card_<country>`; `pm_card_us` is 4242 4242 4242 4242, an alias below).
  ...(
    [
      ['4000000320000021', 'ar'],
      ['4000000760000002', 'br'],
      ['4000001240000000', 'ca'],
      ['4000001520000001', 'cl'],
      ['4000001700000003', 'co'],
      ['4000001880000005', 'cr'],
      ['4000002180000000', 'ec'],
      ['4000004840008001', 'mx'],
      ['4000005910000000', 'pa'],
      ['4000006000000066', 'py'],
      ['4000006040000068', 'pe'],
      ['4000008580000003', 'uy'],
      ['4000007840000001', 'ae'],
      ['4000000400000008', 'at'],
      ['4000000560000004', 'be'],
      ['4000001000000000', 'bg'],
      ['4000001120000005', 'by'],
      ['4000001910000009', 'hr'],
      ['4000001960000008', 'cy'],
      ['4000002030000002', 'cz'],
      ['4000002080000001', 'dk'],
      ['4000002330000009', 'ee'],
      ['4000002460000001', 'fi'],
      ['4000002500000003', 'fr'],
      ['4000002760000016', 'de'],
      ['4000002920000005', 'gi'],
      ['4000003000000030', 'gr'],
      ['4000003480000005', 'hu'],
      ['4000003720000005', 'ie'],
      ['4000003800000008', 'it'],
      ['4000004280000005', 'lv'],
      ['4000004380000004', 'li'],
      ['4000004400000000', 'lt'],
      ['4000004420000006', 'lu'],
      ['4000004700000007', 'mt'],
      ['4000005280000002', 'nl'],
      ['4000005780000007', 'no'],
      ['4000006160000005', 'pl'],
      ['4000006200000007', 'pt'],
      ['4000006420000001', 'ro'],
      ['4000007050000006', 'si'],
      ['4000007030000001', 'sk'],
      ['4000007240000007', 'es'],
      ['4000007520000008', 'se'],
      ['4000007560000009', 'ch'],
      ['4000008260000000', 'gb'],
      ['4000000360000006', 'au'],
      ['4000001560000002', 'cn'],
      ['4000003440000004', 'hk'],
      ['4000003560000008', 'in'],
      ['4000003920000003', 'jp'],
      ['4000004580000002', 'my'],
      ['4000005540000008', 'nz'],
      ['4000007020000003', 'sg'],
      ['4000001580000008', 'tw'],
    ] as const
  ).map(([number, cc]) => succeeds(number, cc, 'visa', 'credit', cc.toUpperCase())),
  succeeds('6555900000604105', undefined, 'discover', 'credit', 'KR'),
  succeeds('4000006820000007', undefined, 'visa', 'credit', 'SA'),
  succeeds('5200007840000022', 'ae_mastercard', 'mastercard', 'credit', 'AE'),
  succeeds('4000058260000005', 'gb_debit', 'visa', 'debit', 'GB'),
  succeeds('5555558265554449', 'gb_mastercard', 'mastercard', 'credit', 'GB'),
  succeeds('3530111333300000', undefined, 'jcb', 'credit', 'JP'),
  succeeds('4000007640000003', 'th_credit', 'visa', 'credit', 'TH'),
  succeeds('4000057640000008', 'th_debit', 'visa', 'debit', 'TH'),
  // HSA / FSA cards, and cards whose funds skip the pending balance.
  succeeds('4000051230000072', 'debit_visaFsaProductCode', 'visa', 'debit', 'US'),
  succeeds('5200828282828897', 'mastercard_debit_mastercardFsaProductCode', 'mastercard', 'debit', 'US'),
  succeeds('4000000000000077', 'bypassPending', 'visa', 'credit', 'US', { bypassPending: true }),
  succeeds('4000003720000278', 'bypassPendingInternational', 'visa', 'credit', 'IE', { bypassPending: true }),
  succeeds('4000000000000093', 'domesticPricing', 'visa', 'credit', 'US'),
  // Declines (more are above).
  succeeds('4000000000006975', 'visa_chargeDeclinedVelocityLimitExceeded', 'visa', 'credit', 'US', {
    decline: {
      code: 'card_declined',
      declineCode: 'card_velocity_exceeded',
      message:
        'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
    },
    declinesOnAttach: true,
  }),
  // Fraud prevention: Radar's default rules block the highest risk level.
  succeeds('4100000000000019', 'radarBlock', 'visa', 'credit', 'US', {
    decline: blocked,
    riskLevel: 'highest',
  }),
  succeeds('4000000000004954', 'riskLevelHighest', 'visa', 'credit', 'US', {
    decline: blocked,
    riskLevel: 'highest',
  }),
  succeeds('4000000000009235', 'riskLevelElevated', 'visa', 'credit', 'US', { riskLevel: 'elevated' }),
  succeeds('4000008400000407', 'highFraudDisputeScore', 'visa', 'credit', 'US'),
  succeeds('4000008400000159', 'highEfwScore', 'visa', 'credit', 'US'),
  succeeds('4000008400001017', 'radarDynamicRiskThreshold', 'visa', 'credit', 'US'),
  succeeds('4001858821843804', 'freeTrialAbuseBlock', 'visa', 'credit', 'US'),
  succeeds('4000008405600003', 'adaptive3dsChallenge', 'visa', 'credit', 'US'),
  succeeds('4000000000000101', 'cvcCheckFail', 'visa', 'credit', 'US', { checks: { cvc: 'fail' } }),
  succeeds('4000058400307872', 'cvcCheckFailElevatedRisk', 'visa', 'credit', 'US', {
    checks: { cvc: 'fail' },
    riskLevel: 'elevated',
  }),
  succeeds('4000000000000036', 'avsZipFail', 'visa', 'credit', 'US', { checks: { postalCode: 'fail' } }),
  succeeds('4000058400306072', 'avsZipFailElevatedRisk', 'visa', 'credit', 'US', {
    checks: { postalCode: 'fail' },
    riskLevel: 'elevated',
  }),
  succeeds('4000000000000028', 'avsLine1Fail', 'visa', 'credit', 'US', { checks: { line1: 'fail' } }),
  succeeds('4000000000000010', 'avsFail', 'visa', 'credit', 'US', {
    checks: { line1: 'fail', postalCode: 'fail' },
  }),
  succeeds('4000000000000044', 'avsUnchecked', 'visa', 'credit', 'US', {
    checks: { line1: 'unavailable', postalCode: 'unavailable' },
  }),
  succeeds('4000000000001208', undefined, 'visa', 'credit', 'US'),
  succeeds('4000000000003725', undefined, 'visa', 'credit', 'US'),
  // Refunds that settle later.
  succeeds('4000000000007726', 'pendingRefund', 'visa', 'credit', 'US', { pendingRefund: true }),
  // 3-D Secure and SCA.
  succeeds('4000003800000446', 'authenticationRequiredSetupForOffSession', 'visa', 'credit', 'IT', {
    threeDSecure: 'on_session',
  }),
  succeeds(
    '4000008260003178',
    'authenticationRequiredChargeDeclinedInsufficientFunds',
    'visa',
    'credit',
    'GB',
    {
      threeDSecure: 'always',
      decline: {
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      },
    },
  ),
  succeeds('4000000000003063', 'threeDSecureRequired', 'visa', 'credit', 'US', { threeDSecure: 'always' }),
  succeeds('4000008400000027', undefined, 'visa', 'credit', 'US', { threeDSecure: 'always' }),
  succeeds('4000008400001629', 'threeDSecureRequiredChargeDeclined', 'visa', 'credit', 'US', {
    threeDSecure: 'always',
    decline: generic,
  }),
  succeeds('4000008400001280', 'threeDSecureRequiredProcessingError', 'visa', 'credit', 'US', {
    decline: processingError,
  }),
  succeeds('4000000000003055', 'threeDSecureOptional', 'visa', 'credit', 'US'),
  succeeds('4000000000003097', 'threeDSecureOptionalProcessingError', 'visa', 'credit', 'US', {
    decline: processingError,
  }),
  succeeds('4000000032200000', undefined, 'visa', 'credit', 'US'),
  succeeds('4000582600000094', undefined, 'visa', 'credit', 'GB'),
  succeeds('4000582600000045', undefined, 'visa', 'credit', 'GB'),
  succeeds('4000582600000102', undefined, 'visa', 'credit', 'GB'),
  succeeds('4000582600000110', undefined, 'visa', 'credit', 'GB'),
];

/**
 * Other names Stripe gives the cards above (`pm_card_<alias>`, `tok_<alias>`): the testing page's
 * current names beside the older ones the rows use, and `pm_card_us`.
 */
const ALIASES: Readonly<Record<string, string>> = {
  us: '4242424242424242',
  visa_chargeDeclined: '4000000000000002',
  visa_chargeDeclinedInsufficientFunds: '4000000000009995',
  visa_chargeDeclinedLostCard: '4000000000009987',
  visa_chargeDeclinedStolenCard: '4000000000009979',
  chargeDeclinedFraudulent: '4100000000000019',
  debit_visaHsaProductCode: '4000051230000072',
  amex_threeDSecureNotSupported: '378282246310005',
};

/** The first row of each number and name wins (a later row of the same card is a fallback). */
const byNumber = new Map<string, TestCard>();
const named: [string, TestCard][] = [];
const seenNames = new Set<string>();
for (const c of TEST_CARDS) {
  if (byNumber.has(c.number)) continue;
  byNumber.set(c.number, c);
  if (c.name && !seenNames.has(c.name)) {
    seenNames.add(c.name);
    named.push([c.name, c]);
  }
}
for (const [alias, number] of Object.entries(ALIASES)) named.push([alias, byNumber.get(number)!]);
const byPm = new Map(named.map(([n, c]) => [`pm_card_${n}`, c]));
const byToken = new Map(named.map(([n, c]) => [`tok_${n}`, c]));

/** Every `pm_card_*` name with its card (aliases included), for listings and tests. */
export function testCardNames(): readonly (readonly [string, TestCard])[] {
  return named;
}

/** The CVC check's decline: a card whose CVC check fails is refused by Radar's default rule. */
export const CVC_CHECK_FAILED: Decline = {
  code: 'incorrect_cvc',
  declineCode: 'incorrect_cvc',
  message: "Your card's security code is incorrect.",
  param: 'cvc',
};

/**
 * How charging a card ends: its own decline, the CVC check's when the payment method's CVC check
 * failed, or undefined (approved).
 */
export function chargeDecline(
  card: TestCard,
  checks: { cvc_check: string | null } | null | undefined,
): Decline | undefined {
  if (card.decline) return card.decline;
  if (checks?.cvc_check === 'fail') return CVC_CHECK_FAILED;
  return undefined;
}

/**
 * A new payment method's `card.checks`: `pass` for each field given, unless the card fails (or
 * cannot run) that check; null for a field not given. `pm_card_*` and `tok_*` cards count as given.
 */
export function initialChecks(
  card: TestCard,
  given: { cvc: boolean; line1: boolean; postalCode: boolean },
): {
  address_line1_check: string | null;
  address_postal_code_check: string | null;
  cvc_check: string | null;
} {
  const result = (given: boolean, bad: CheckResult | undefined) => (given ? (bad ?? 'pass') : null);
  return {
    address_line1_check: result(given.line1, card.checks?.line1),
    address_postal_code_check: result(given.postalCode, card.checks?.postalCode),
    cvc_check: result(given.cvc, card.checks?.cvc),
  };
}

/** `display_brand` as Stripe spells it (it differs from `brand` for some networks). */
export function displayBrand(card: TestCard): string {
  if (card.coBrand === 'cartes_bancaires') return 'cartes_bancaires';
  if (card.coBrand === 'eftpos_au') return 'eftpos_australia';
  return DISPLAY_BRANDS[card.brand];
}

const DISPLAY_BRANDS: Record<TestCard['brand'], string> = {
  visa: 'visa',
  mastercard: 'mastercard',
  amex: 'american_express',
  discover: 'discover',
  diners: 'diners_club',
  jcb: 'jcb',
  unionpay: 'union_pay',
};

export function cardByNumber(number: string): TestCard | undefined {
  return byNumber.get(number.replace(/[\s-]/g, ''));
}

/** Whether a stored card number's charges skip the pending balance (no normalising: stored numbers are). */
export function bypassesPending(number: string): boolean {
  return byNumber.get(number)?.bypassPending === true;
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
