import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import type { Params } from '../core/form.js';
import { newId, randomString } from '../core/ids.js';
import { EMPTY_METADATA } from '../core/metadata.js';
import { obj, oneOf, reqStr, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { chargeTransaction } from './balance-transactions.js';
import { addJobSource, type Job, touchBilling } from './billing/scheduler.js';
import type { Charge } from './charges.js';
import type { EngineCtx } from './common/engine.js';
import { wakeAt } from './common/wake.js';
import { openDispute } from './disputes.js';
import { notifyPaymentIntent, type PaymentIntent } from './payment-intents.js';
import type { PaymentMethod } from './payment-methods.js';
import { fingerprint } from './test-cards.js';

/**
 * Bank debits: SEPA Direct Debit (`sepa_debit`, IBANs) and ACH Direct Debit (`us_bank_account`,
 * routing and account numbers). Confirming a payment with one records a mandate, leaves the payment
 * intent `processing` with a `pending` charge, and settles it later on the clock of the customer (its
 * test clock, or the emulator clock): `succeeded`, or back to `requires_payment_method` with
 * `last_payment_error`, as Stripe's test account numbers say.
 */
export type Mandate = Wire<Stripe.Mandate>;
export type BankDebitType = 'sepa_debit' | 'us_bank_account';

/** Emulator-only facts about a bank payment method. */
interface BankRecord {
  /** The payment method id. */
  id: string;
  type: BankDebitType;
  /** The IBAN, or the ACH account number. */
  account: string;
  /** Its multi-use mandate once accepted (later off-session debits reuse it). */
  mandate: string | null;
}

/** A debit in flight: when it settles, in which time domain. */
interface PendingDebit {
  /** The payment intent id. */
  id: string;
  domain: string | null;
  settleAt: number;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    mandate: Mandate;
    _bank_account: BankRecord;
    _pending_debit: PendingDebit;
  }
}

/** What a test account does when debited. */
interface BankTest {
  outcome: 'succeed' | 'fail';
  /** Settles after at least three minutes instead of one. */
  delayed?: boolean;
  /** Succeeds, then is disputed at once. */
  disputed?: boolean;
  failure?: { code: string; message: string };
}

/** Seconds until a debit settles (Stripe's test mode takes a few), and for the "after at least three minutes" accounts. */
export const SETTLE_SECONDS = 3;
export const DELAYED_SETTLE_SECONDS = 180;

const FAILURES = {
  insufficient_funds: "The customer's account has insufficient funds to cover this payment.",
  account_closed: "The customer's bank account has been closed.",
  no_account: "The customer's bank account could not be located.",
  debit_not_authorized: 'The customer has notified their bank that this payment was unauthorized.',
  invalid_currency: "The customer's bank account cannot accept payments in this currency.",
  charge_exceeds_source_limit: 'This payment would exceed the weekly payment volume limit of the account.',
  charge_exceeds_weekly_limit: "This payment exceeds the account's transaction volume limit.",
} as const;

function failing(code: keyof typeof FAILURES, delayed = false): BankTest {
  return { outcome: 'fail', delayed, failure: { code, message: FAILURES[code] } };
}

// Stripe's test IBANs per country, in the order: succeeds, succeeds after three minutes, fails, fails
// after three minutes, succeeds then disputed, weekly volume limit, transaction limit, insufficient
// funds ('' where the documentation repeats another row's number).
const SEPA_ROWS: readonly (readonly string[])[] = [
  [
    'at',
    'AT611904300234573201',
    'AT321904300235473204',
    'AT861904300235473202',
    'AT051904300235473205',
    'AT591904300235473203',
    'AT981904300000343434',
    'AT601904300000121212',
    'AT981904300002222227',
  ],
  [
    'be',
    'BE62510007547061',
    'BE78510007547064',
    'BE68539007547034',
    'BE51510007547065',
    'BE08510007547063',
    'BE90510000343434',
    'BE52510000121212',
    'BE90510002222227',
  ],
  [
    'hr',
    'HR7624020064583467589',
    'HR6323600002337876649',
    'HR2725000096983499248',
    'HR6723600004878117427',
    'HR8724840081455523553',
    'HR7424020060000343434',
    'HR3624020060000121212',
    'HR7424020060002222227',
  ],
  [
    'ee',
    'EE382200221020145685',
    'EE222200221020145682',
    'EE762200221020145680',
    'EE922200221020145683',
    'EE492200221020145681',
    'EE672200000000343434',
    'EE292200000000121212',
    'EE672200000002222227',
  ],
  [
    'fi',
    'FI2112345600000785',
    'FI3712345600000788',
    'FI9112345600000786',
    'FI1012345600000789',
    'FI6412345600000787',
    'FI6712345600343434',
    'FI2912345600121212',
    'FI6712345602222227',
  ],
  [
    'fr',
    'FR1420041010050500013M02606',
    'FR3020041010050500013M02609',
    'FR8420041010050500013M02607',
    'FR7920041010050500013M02600',
    'FR5720041010050500013M02608',
    'FR9720041010050000000343434',
    'FR5920041010050000000121212',
    'FR9720041010050000002222227',
  ],
  [
    'de',
    'DE89370400440532013000',
    'DE08370400440532013003',
    'DE62370400440532013001',
    'DE78370400440532013004',
    'DE35370400440532013002',
    'DE65370400440000343434',
    'DE27370400440000121212',
    'DE65370400440002222227',
  ],
  [
    'gi',
    'GI60MPFS599327643783385',
    'GI08RRNW626436291644533',
    'GI41SAFA461293238477751',
    'GI50LROG772261344693297',
    'GI26KJBC361883934534696',
    'GI14NWBK000000000343434',
    'GI73NWBK000000000121212',
    'GI14NWBK000000002222227',
  ],
  [
    'ie',
    'IE29AIBK93115212345678',
    'IE24AIBK93115212345671',
    'IE02AIBK93115212345679',
    'IE94AIBK93115212345672',
    'IE51AIBK93115212345670',
    'IE10AIBK93115200343434',
    'IE69AIBK93115200121212',
    'IE10AIBK93115202222227',
  ],
  [
    'li',
    'LI0508800636123378777',
    'LI4408800387787111369',
    'LI1208800143823175626',
    'LI4908800356441975566',
    'LI7708800125525347723',
    'LI2408800000000343434',
    'LI8308800000000121212',
    'LI2408800000002222227',
  ],
  [
    'lt',
    'LT121000011101001000',
    'LT281000011101001003',
    'LT821000011101001001',
    'LT981000011101001004',
    'LT551000011101001002',
    'LT591000000000343434',
    'LT211000000000121212',
    'LT591000000002222227',
  ],
  [
    'lu',
    'LU280019400644750000',
    'LU440019400644750003',
    'LU980019400644750001',
    'LU170019400644750004',
    'LU710019400644750002',
    'LU900010000000343434',
    'LU520010000000121212',
    'LU900010000002222227',
  ],
  [
    'nl',
    'NL39RABO0300065264',
    'NL55RABO0300065267',
    'NL91ABNA0417164300',
    'NL28RABO0300065268',
    'NL82RABO0300065266',
    'NL27RABO0000343434',
    'NL86RABO0000121212',
    '',
  ],
];

const SEPA_KINDS: readonly [string, BankTest][] = [
  ['success', { outcome: 'succeed' }],
  ['successDelayed', { outcome: 'succeed', delayed: true }],
  ['failed', failing('insufficient_funds')],
  ['failedDelayed', failing('insufficient_funds', true)],
  ['disputed', { outcome: 'succeed', disputed: true }],
  ['exceedsWeeklyVolumeLimit', failing('charge_exceeds_source_limit')],
  ['exceedsWeeklyTransactionLimit', failing('charge_exceeds_weekly_limit')],
  ['insufficientFunds', failing('insufficient_funds')],
];

const sepaTests = new Map<string, BankTest>();
/** `pm_success_de` and the like: Stripe's named test payment methods for each IBAN. */
const sepaNames = new Map<string, string>();
for (const [country, ...ibans] of SEPA_ROWS) {
  ibans.forEach((iban, i) => {
    if (iban === '' || sepaTests.has(iban)) return;
    const [kind, test] = SEPA_KINDS[i]!;
    sepaTests.set(iban, test);
    sepaNames.set(`pm_${kind}_${country}`, iban);
  });
}

/** Stripe's test routing number, and what each test account number does. */
export const TEST_ROUTING_NUMBER = '110000000';
const ACH_TESTS = new Map<string, BankTest>([
  ['000123456789', { outcome: 'succeed' }],
  ['000111111113', failing('account_closed')],
  ['000111111116', failing('no_account')],
  ['000222222227', failing('insufficient_funds')],
  ['000333333335', failing('debit_not_authorized')],
  ['000444444440', failing('invalid_currency')],
  ['000777777771', failing('charge_exceeds_source_limit')],
  ['000555555559', { outcome: 'succeed', disputed: true }],
]);

function testOf(record: BankRecord): BankTest {
  const table = record.type === 'sepa_debit' ? sepaTests : ACH_TESTS;
  return table.get(record.account) ?? { outcome: 'succeed' };
}

/** ISO 13616 check: letters to numbers, mod 97 must be 1. */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    rest = v > 9 ? (rest * 100 + v) % 97 : (rest * 10 + v) % 97;
  }
  return rest === 1;
}

/** ABA routing number checksum (3-7-1 weights). */
function routingValid(routing: string): boolean {
  if (!/^\d{9}$/.test(routing)) return false;
  const d = [...routing].map(Number);
  const sum = 3 * (d[0]! + d[3]! + d[6]!) + 7 * (d[1]! + d[4]! + d[7]!) + (d[2]! + d[5]! + d[8]!);
  return sum % 10 === 0;
}

/** A bank payment method's type, or undefined for cards. */
export function bankTypeOf(pm: PaymentMethod): BankDebitType | undefined {
  const type = String(pm.type);
  return type === 'sepa_debit' || type === 'us_bank_account' ? type : undefined;
}

/** The currency each bank debit takes. */
export const BANK_CURRENCY: Readonly<Record<BankDebitType, string>> = {
  sepa_debit: 'eur',
  us_bank_account: 'usd',
};

/** What an invoice's PaymentIntent accepts: cards, and the bank debit of its currency. */
export function invoicePaymentMethodTypes(currency: string): string[] {
  if (currency === 'eur') return ['card', 'sepa_debit'];
  if (currency === 'usd') return ['card', 'us_bank_account'];
  return ['card'];
}

function basePaymentMethod(
  ctx: EngineCtx,
  billingDetails: PaymentMethod['billing_details'],
  metadata: Stripe.Metadata,
): Omit<PaymentMethod, 'type'> {
  return {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billingDetails,
    created: ctx.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: Object.keys(metadata).length > 0 ? metadata : EMPTY_METADATA,
  };
}

function insertSepa(
  ctx: EngineCtx,
  iban: string,
  billingDetails: PaymentMethod['billing_details'],
  metadata: Stripe.Metadata,
): PaymentMethod {
  const country = iban.slice(0, 2);
  const pm: PaymentMethod = {
    ...basePaymentMethod(ctx, billingDetails, metadata),
    sepa_debit: {
      bank_code: iban.slice(4, 12).replace(/\D/g, '').slice(0, 8) || null,
      branch_code: '',
      country,
      fingerprint: fingerprint(iban),
      generated_from: { charge: null, setup_attempt: null },
      last4: iban.slice(-4),
    },
    type: 'sepa_debit',
  };
  ctx.store.c('payment_method').insert(pm);
  ctx.store.c('_bank_account').insert({ id: pm.id, type: 'sepa_debit', account: iban, mandate: null });
  return pm;
}

function requireBilling(
  billing: PaymentMethod['billing_details'],
  fields: readonly ('name' | 'email')[],
): void {
  for (const f of fields) if (!billing[f]) throw missingParam(`billing_details[${f}]`);
}

/**
 * `POST /v1/payment_methods` with `type=sepa_debit` (`sepa_debit[iban]`, `billing_details[name]` and
 * `[email]` required) or `type=us_bank_account` (`us_bank_account[routing_number|account_number|
 * account_holder_type|account_type]`, `billing_details[name]` required).
 */
export function createBankPaymentMethod(
  ctx: Ctx,
  type: BankDebitType,
  billingDetails: PaymentMethod['billing_details'],
  metadata: Stripe.Metadata,
): PaymentMethod {
  const p: Params = ctx.params;
  if (type === 'sepa_debit') {
    const sepa = obj(p, 'sepa_debit');
    if (sepa === undefined) throw missingParam('sepa_debit');
    const iban = reqStr(sepa, 'iban', 'sepa_debit[iban]').replace(/\s/g, '').toUpperCase();
    if (!ibanValid(iban)) {
      throw invalidRequest(
        `The IBAN you provided (${iban}) is invalid.`,
        'sepa_debit[iban]',
        'invalid_bank_account_iban',
      );
    }
    requireBilling(billingDetails, ['name', 'email']);
    return insertSepa(ctx, iban, billingDetails, metadata);
  }
  const us = obj(p, 'us_bank_account');
  if (us === undefined) throw missingParam('us_bank_account');
  if (
    str(us, 'financial_connections_account', 'us_bank_account[financial_connections_account]') !== undefined
  ) {
    throw invalidRequest(
      'Financial Connections accounts are not supported by the emulator; pass routing_number and account_number.',
      'us_bank_account[financial_connections_account]',
    );
  }
  const routing = reqStr(us, 'routing_number', 'us_bank_account[routing_number]');
  const account = reqStr(us, 'account_number', 'us_bank_account[account_number]');
  if (!routingValid(routing)) {
    throw invalidRequest(
      `Routing number ${routing} is invalid.`,
      'us_bank_account[routing_number]',
      'bank_account_bad_routing_numbers',
    );
  }
  if (!/^\d{4,17}$/.test(account)) {
    throw invalidRequest(
      'Account number must contain 4 to 17 digits.',
      'us_bank_account[account_number]',
      'payment_method_invalid_parameter',
    );
  }
  // The Stripe CLI's charge.pending fixture makes one without billing details: Stripe takes that.
  const pm: PaymentMethod = {
    ...basePaymentMethod(ctx, billingDetails, metadata),
    type: 'us_bank_account',
    us_bank_account: {
      account_holder_type:
        oneOf(
          us,
          'account_holder_type',
          ['individual', 'company'] as const,
          'us_bank_account[account_holder_type]',
        ) ?? 'individual',
      account_type:
        oneOf(us, 'account_type', ['checking', 'savings'] as const, 'us_bank_account[account_type]') ??
        'checking',
      bank_name: routing === TEST_ROUTING_NUMBER ? 'STRIPE TEST BANK' : null,
      financial_connections_account: null,
      fingerprint: fingerprint(`${routing}:${account}`),
      last4: account.slice(-4),
      networks: { preferred: 'ach', supported: ['ach'] },
      routing_number: routing,
      status_details: null,
    },
  };
  ctx.store.c('payment_method').insert(pm);
  ctx.store.c('_bank_account').insert({ id: pm.id, type: 'us_bank_account', account, mandate: null });
  return pm;
}

/** `pm_success_de`, `pm_failed_at`…: a fresh SEPA payment method for that test IBAN, or undefined. */
export function namedBankPaymentMethod(ctx: EngineCtx, id: string): PaymentMethod | undefined {
  const iban = sepaNames.get(id);
  if (iban === undefined) return undefined;
  return insertSepa(
    ctx,
    iban,
    { address: null, email: 'jenny.rosen@example.com', name: 'Jenny Rosen', phone: null, tax_id: null },
    {},
  );
}

/** The acceptance recorded for an ACH debit confirmed without `mandate_data`. */
const IMPLIED_ACCEPTANCE: MandateInput = { type: 'offline', acceptedAt: undefined, online: undefined };

/** `mandate_data[customer_acceptance]` as given on confirm. */
export interface MandateInput {
  type: 'online' | 'offline';
  acceptedAt: number | undefined;
  online: { ip_address: string; user_agent: string } | undefined;
}

/** Reads `mandate_data` (the param spec already checked its shape). */
export function readMandateData(p: Params): MandateInput | undefined {
  const md = obj(p, 'mandate_data');
  const ca = md ? obj(md, 'customer_acceptance', 'mandate_data[customer_acceptance]') : undefined;
  if (ca === undefined) return undefined;
  const type = oneOf(ca, 'type', ['online', 'offline'] as const, 'mandate_data[customer_acceptance][type]')!;
  const online = obj(ca, 'online', 'mandate_data[customer_acceptance][online]');
  if (type === 'online' && online === undefined)
    throw missingParam('mandate_data[customer_acceptance][online]');
  return {
    type,
    acceptedAt: ca.accepted_at === undefined ? undefined : Number(ca.accepted_at),
    online: online
      ? { ip_address: String(online.ip_address), user_agent: String(online.user_agent) }
      : undefined,
  };
}

function insertMandate(
  ctx: EngineCtx,
  pm: PaymentMethod,
  type: BankDebitType,
  input: MandateInput,
  multiUse: boolean,
  pi: { amount: number; currency: string } | null,
): Mandate {
  const mandate: Mandate = {
    id: newId('mandate'),
    object: 'mandate',
    customer_acceptance: {
      accepted_at: input.acceptedAt ?? ctx.now(),
      ...(input.type === 'online' ? { online: input.online! } : { offline: {} }),
      type: input.type,
    },
    livemode: false,
    ...(multiUse || pi === null
      ? { multi_use: {} }
      : { single_use: { amount: pi.amount, currency: pi.currency } }),
    payment_method: pm.id,
    payment_method_details:
      type === 'sepa_debit'
        ? {
            sepa_debit: {
              reference: randomString(16).toUpperCase(),
              url: `https://payments.stripe.com/sepa_debit/mandate/${randomString(24)}`,
            },
            type,
          }
        : {
            type,
            us_bank_account: {
              payment_method: 'us_bank_account',
            } as Stripe.Mandate.PaymentMethodDetails.UsBankAccount,
          },
    status: 'active',
    type: multiUse ? 'multi_use' : 'single_use',
  };
  ctx.store.c('mandate').insert(mandate);
  return mandate;
}

function customerOf(pi: PaymentIntent): string | null {
  return typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null);
}

function domainOf(ctx: EngineCtx, customerId: string | null): string | null {
  const tc = customerId ? ctx.store.c('customer').get(customerId)?.test_clock : null;
  return typeof tc === 'string' ? tc : (tc?.id ?? null);
}

function nowIn(ctx: EngineCtx, domain: string | null): number {
  if (domain === null) return ctx.now();
  return ctx.store.c('test_helpers.test_clock').get(domain)?.frozen_time ?? ctx.now();
}

/** Stripe's bank debit pricing: 0.8 %, at most 5 units of the currency ($5 / €5). */
export function bankDebitFee(amount: number): number {
  return Math.min(Math.round(amount * 0.008), 500);
}

function chargeDetails(
  pm: PaymentMethod,
  mandate: string | null,
  expected: number,
): Charge['payment_method_details'] {
  const debitDate = new Date(expected * 1000).toISOString().slice(0, 10);
  if (pm.type === 'sepa_debit') {
    const s = pm.sepa_debit!;
    return {
      sepa_debit: {
        bank_code: s.bank_code,
        branch_code: s.branch_code,
        country: s.country,
        expected_debit_date: debitDate,
        fingerprint: s.fingerprint,
        last4: s.last4,
        mandate,
      },
      type: 'sepa_debit',
    };
  }
  const u = pm.us_bank_account!;
  return {
    type: 'us_bank_account',
    us_bank_account: {
      account_holder_type: u.account_holder_type,
      account_type: u.account_type,
      bank_name: u.bank_name,
      expected_debit_date: debitDate,
      fingerprint: u.fingerprint,
      last4: u.last4,
      ...(mandate !== null ? { mandate } : {}),
      payment_reference: null,
      routing_number: u.routing_number,
    },
  };
}

/** What the payment intent's confirm passes in. */
export interface BankConfirm {
  mandateData: MandateInput | undefined;
  /** Attaches the payment method to the customer and makes the mandate multi-use. */
  saveForLater: boolean;
}

/**
 * Confirms a payment intent with a bank payment method: the mandate (given, or the payment method's
 * earlier multi-use one), a `pending` charge, `processing`, and the settlement scheduled. Throws for a
 * missing mandate. `attach` saves the payment method to the customer (setup_future_usage).
 */
export function confirmBankDebit(
  ctx: EngineCtx,
  pi: PaymentIntent,
  pm: PaymentMethod,
  input: BankConfirm,
  attach: (pm: PaymentMethod, customer: string) => void,
): void {
  const type = bankTypeOf(pm)!;
  const record = ctx.store.c('_bank_account').require(pm.id, 'payment_method');
  let mandateId = record.mandate;
  // SEPA needs the mandate; an ACH debit confirmed without one goes through (as the Stripe CLI's
  // charge.pending fixture shows), with no mandate on the charge.
  if (input.mandateData === undefined && mandateId === null && type === 'sepa_debit') {
    throw invalidRequest(
      'This PaymentIntent requires a mandate, but no existing mandate was found. Collect mandate acceptance ' +
        'from the customer and try again, providing acceptance data in the mandate_data parameter.',
      'mandate_data',
    );
  }
  const customer = customerOf(pi);
  if (input.saveForLater && customer !== null) attach(pm, customer);
  // ACH without mandate_data: Stripe records the mandate itself (offline acceptance).
  const mandateData = input.mandateData ?? (mandateId === null ? IMPLIED_ACCEPTANCE : undefined);
  if (mandateData !== undefined) {
    const multiUse = input.saveForLater;
    const mandate = insertMandate(ctx, pm, type, mandateData, multiUse, pi);
    mandateId = mandate.id;
    if (multiUse) record.mandate = mandate.id;
  }
  const domain = domainOf(ctx, customer);
  const test = testOf(record);
  const settleAt = nowIn(ctx, domain) + (test.delayed ? DELAYED_SETTLE_SECONDS : SETTLE_SECONDS);
  const ch: Charge = {
    id: newId('py'),
    object: 'charge',
    amount: pi.amount,
    amount_captured: pi.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: structuredClone(pm.billing_details),
    calculated_statement_descriptor: pi.statement_descriptor ?? 'PAYDESK EMULATOR',
    captured: true,
    created: ctx.now(),
    currency: pi.currency,
    customer,
    description: pi.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: pi.metadata,
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'not_assessed',
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: false,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: chargeDetails(pm, mandateId, settleAt),
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: pi.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: null,
    status: 'pending',
    transfer_data: null,
    transfer_group: null,
  };
  ctx.store.c('charge').insert(ch);
  pi.latest_charge = ch.id;
  pi.next_action = null;
  pi.last_payment_error = null;
  pi.status = 'processing';
  ctx.emit('payment_intent.processing', pi);
  ctx.emit('charge.pending', ch);
  ctx.store.c('_pending_debit').insert({ id: pi.id, domain, settleAt });
  touchBilling(ctx.app);
  if (domain === null) wakeAt(ctx.app, settleAt);
}

/** The bank answers: the debit succeeds (maybe then disputed) or fails. Run by the scheduler. */
function settle(ctx: EngineCtx, pending: PendingDebit): void {
  ctx.store.c('_pending_debit').delete(pending.id);
  const pi = ctx.store.c('payment_intent').get(pending.id);
  if (pi === undefined || pi.status !== 'processing') return;
  const ch = ctx.store.c('charge').get(String(pi.latest_charge));
  const pm = ch ? ctx.store.c('payment_method').get(String(ch.payment_method)) : undefined;
  const record = pm ? ctx.store.c('_bank_account').get(pm.id) : undefined;
  if (ch === undefined || pm === undefined || record === undefined) return;
  const test = testOf(record);
  if (test.outcome === 'succeed') {
    ch.status = 'succeeded';
    ch.paid = true;
    chargeTransaction(ctx, ch, ch.amount, bankDebitFee(ch.amount));
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    ctx.emit('payment_intent.succeeded', pi);
    ctx.emit('charge.succeeded', ch);
    notifyPaymentIntent('succeeded', ctx, pi);
    if (test.disputed) {
      openDispute(ctx, ch, { reason: 'debit_not_authorized', inquiry: false, networkReasonCode: '' }, true);
    }
    return;
  }
  const failure = test.failure!;
  ch.status = 'failed';
  ch.failure_code = failure.code;
  ch.failure_message = failure.message;
  ch.outcome = {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: 'declined_by_network',
    reason: null,
    risk_level: 'not_assessed',
    seller_message: 'The bank returned the debit.',
    type: 'issuer_declined',
  };
  pi.status = 'requires_payment_method';
  pi.payment_method = null;
  pi.last_payment_error = {
    charge: ch.id,
    code: failure.code as Stripe.PaymentIntent.LastPaymentError.Code,
    doc_url: `https://stripe.com/docs/error-codes/${failure.code.replaceAll('_', '-')}`,
    message: failure.message,
    payment_method: structuredClone(pm),
    payment_method_type: String(pm.type),
    type: 'card_error',
  };
  ctx.emit('payment_intent.payment_failed', pi);
  ctx.emit('charge.failed', ch);
  notifyPaymentIntent('failed', ctx, pi);
}

function debitJobs(app: App, domain: string | null, out: Job[]): void {
  const pending = app.store.c('_pending_debit');
  if (pending.size === 0) return;
  for (const p of pending.values()) {
    if (p.domain === domain) out.push({ at: p.settleAt, rank: 7, run: (c) => settle(c, p) });
  }
}

addJobSource(debitJobs);

export const mandates = defineResource('mandates', (api) => {
  api.get('/v1/mandates/:id', (ctx) => ctx.store.c('mandate').require(ctx.args.id!, 'mandate', 404));
  api.expandable('mandate', 'payment_method', (id) => api.store.c('payment_method').get(id));
});

/**
 * A SetupIntent confirmed with a bank payment method: the mandate (`mandate_data`, required as for a
 * payment) becomes the payment method's multi-use mandate, the payment method is attached to the
 * customer, and the setup succeeds at once (test accounts need no verification here).
 */
export function setupBankDebit(
  ctx: EngineCtx,
  pm: PaymentMethod,
  customer: string | null,
  mandateData: MandateInput | undefined,
  attach: (pm: PaymentMethod, customer: string) => void,
): string {
  const type = bankTypeOf(pm)!;
  const record = ctx.store.c('_bank_account').require(pm.id, 'payment_method');
  if (mandateData === undefined) {
    if (record.mandate !== null) return record.mandate;
    if (type === 'us_bank_account') return setupBankDebit(ctx, pm, customer, IMPLIED_ACCEPTANCE, attach);
    throw invalidRequest(
      'This SetupIntent requires a mandate, but no existing mandate was found. Collect mandate acceptance ' +
        'from the customer and try again, providing acceptance data in the mandate_data parameter.',
      'mandate_data',
    );
  }
  if (customer !== null) attach(pm, customer);
  const mandate = insertMandate(ctx, pm, type, mandateData, true, null);
  record.mandate = mandate.id;
  return mandate.id;
}
