// Payment intents for server-to-server callers: the amount comes from a catalog pack × quantity, or
// (API keys with the custom_amounts scope) from the request. A caller's Idempotency-Key header makes a
// repeated request the same operation: one paydesk record, one Stripe payment intent.
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { priceItem } from '../checkout/items.js';
import type { AppContext } from '../context.js';
import { customerFor, withStripeCustomer } from '../customers/access.js';
import { customerByExternalId } from '../customers/service.js';
import { randomToken } from '../platform/auth/api-keys.js';
import type { Principal } from '../platform/auth/principal.js';
import { AppError } from '../platform/errors.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { checkChargeAmount, checkPackCharge } from '../platform/stripe/currencies.js';
import { recordSucceededPayment } from './service.js';
import {
  insertPaymentIntent,
  type PaymentIntentRow,
  paymentIntentByRef,
  updatePaymentIntent,
} from './store.js';

export type { PaymentIntentRow };

export type IntentAmount =
  | { kind: 'pack'; pack: string; quantity: number; currency?: string | undefined }
  | { kind: 'custom'; amount: number; currency: string };

export interface CreateIntentInput {
  amount: IntentAmount;
  /** paydesk customer id (cust_…). */
  customer?: string | undefined;
  /** A payment method to confirm with at once (server-side confirmation); declines answer 402. */
  paymentMethod?: string | undefined;
  description?: string | undefined;
  metadata?: Readonly<Record<string, string>> | undefined;
  /** The caller's Idempotency-Key header. */
  idempotencyKey?: string | undefined;
}

export interface IntentResult {
  record: PaymentIntentRow | undefined;
  intent: Stripe.PaymentIntent;
  /** True when an earlier request with the same Idempotency-Key made this payment intent. */
  replayed: boolean;
}

export function newIntentRecordId(): string {
  return `pir_${randomToken(16)}`;
}

function requestHash(input: CreateIntentInput): string {
  const canonical = JSON.stringify([
    input.amount,
    input.customer ?? null,
    input.paymentMethod ?? null,
    input.description ?? null,
    Object.entries(input.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Creates (or, for a repeated Idempotency-Key, returns) a payment intent. API keys only. */
export async function createPaymentIntent(
  s: AppContext,
  principal: Principal,
  input: CreateIntentInput,
): Promise<IntentResult> {
  if (principal.kind !== 'api_key')
    throw new AppError('forbidden', 'Payment intents are created with an API key.');
  let amount: number;
  let currency: string;
  let itemId: string | null = null;
  let quantity = 1;
  if (input.amount.kind === 'custom') {
    if (!principal.scopes.includes('custom_amounts')) {
      throw new AppError('forbidden', 'An explicit amount needs an API key with the custom_amounts scope.');
    }
    amount = input.amount.amount;
    currency = input.amount.currency;
    checkChargeAmount(currency, amount, { currency: 'currency', amount: 'amount' });
  } else {
    const priced = priceItem(s, { ...input.amount, kind: 'pack' });
    checkPackCharge(input.amount.pack, { ...priced, currency: priced.price.currency });
    amount = priced.total;
    currency = priced.price.currency;
    itemId = priced.price.itemId;
    quantity = priced.quantity;
  }
  for (const key of Object.keys(input.metadata ?? {})) {
    if (key.startsWith('paydesk_')) {
      throw new AppError(
        'validation_failed',
        `Invalid body.metadata.${key}: keys starting with paydesk_ are reserved.`,
      );
    }
  }
  const customer =
    input.customer !== undefined
      ? await withStripeCustomer(s, await customerFor(s, principal, input.customer))
      : undefined;
  const hash = requestHash(input);
  const { record, created } = await insertPaymentIntent(s.db, {
    id: newIntentRecordId(),
    api_key_id: principal.keyId,
    idempotency_key: input.idempotencyKey ?? null,
    request_hash: hash,
    customer_id: customer?.id ?? null,
    kind: input.amount.kind,
    item_id: itemId,
    quantity,
    amount,
    currency,
  });
  if (!created && record.request_hash !== hash) {
    throw new AppError(
      'conflict',
      'This Idempotency-Key was already used with a different request; use a new key for a new payment.',
    );
  }
  const stripeKey = input.idempotencyKey
    ? idempotencyKey('payment_intent.create', s.config.instanceId, principal.keyId, input.idempotencyKey)
    : idempotencyKey('payment_intent.create', s.config.instanceId, record.id);
  const stripePi = record.stripe_payment_intent_id;
  if (stripePi && record.status !== 'requires_payment_method') {
    const intent = await callStripe(() => s.stripe.paymentIntents.retrieve(stripePi));
    return { record, intent, replayed: true };
  }
  const paydeskMetadata: Record<string, string> = {
    paydesk_instance: s.config.instanceId,
    paydesk_payment_intent_id: record.id,
    paydesk_item: itemId ? `pack:${itemId}` : 'custom',
    paydesk_quantity: String(quantity),
    ...(customer ? { paydesk_customer_id: customer.id } : {}),
  };
  let intent: Stripe.PaymentIntent;
  try {
    intent = await callStripe(() =>
      s.stripe.paymentIntents.create(
        {
          amount,
          currency,
          // Cards and other methods that need no redirect, so a server-side confirm needs no return_url.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: { ...input.metadata, ...paydeskMetadata },
          ...(customer ? { customer: customer.stripe_customer_id } : {}),
          ...(input.description ? { description: input.description } : {}),
          ...(input.paymentMethod ? { payment_method: input.paymentMethod, confirm: true } : {}),
          expand: ['latest_charge'],
        },
        { idempotencyKey: stripeKey },
      ),
    );
  } catch (err) {
    if (
      err instanceof AppError &&
      err.code === 'card_declined' &&
      typeof err.details?.payment_intent === 'string'
    ) {
      await updatePaymentIntent(s.db, record.id, {
        stripe_payment_intent_id: err.details.payment_intent,
        status: 'requires_payment_method',
      });
    }
    throw err;
  }
  await updatePaymentIntent(s.db, record.id, { stripe_payment_intent_id: intent.id, status: intent.status });
  await recordSucceededPayment(s.db, intent, {
    source: 'payment_intent',
    customer_id: record.customer_id,
    payment_intent_record_id: record.id,
    item_kind: record.kind,
    item_id: record.item_id,
    quantity: record.quantity,
    description: input.description ?? null,
  });
  return {
    record: { ...record, stripe_payment_intent_id: intent.id, status: intent.status },
    intent,
    replayed: !created,
  };
}

function notFound(ref: string): AppError {
  return new AppError('not_found', `No such payment intent: ${ref}.`);
}

/**
 * A payment intent, verified with Stripe, if the principal may see it: API keys any this paydesk
 * made (its own records, or Stripe's with this instance's metadata, such as a Checkout payment);
 * users only those of their own customer. Records the payment once it succeeded.
 */
export async function getPaymentIntent(
  s: AppContext,
  principal: Principal,
  ref: string,
): Promise<IntentResult> {
  const record = await paymentIntentByRef(s.db, ref);
  const own = principal.kind === 'user' ? await customerByExternalId(s.db, principal.externalId) : undefined;
  if (principal.kind === 'user' && !own) throw notFound(ref);
  const stripeId = record ? record.stripe_payment_intent_id : ref.startsWith('pi_') ? ref : null;
  if (!stripeId) throw notFound(ref);
  if (record && own && record.customer_id !== own.id) throw notFound(ref);
  let intent: Stripe.PaymentIntent;
  try {
    intent = await callStripe(() =>
      s.stripe.paymentIntents.retrieve(stripeId, { expand: ['latest_charge'] }),
    );
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') throw notFound(ref);
    throw err;
  }
  if (intent.metadata?.paydesk_instance !== s.config.instanceId) throw notFound(ref);
  if (!record && own && intent.metadata.paydesk_customer_id !== own.id) throw notFound(ref);
  if (record) {
    await updatePaymentIntent(s.db, record.id, { status: intent.status });
    await recordSucceededPayment(s.db, intent, {
      source: 'payment_intent',
      customer_id: record.customer_id,
      payment_intent_record_id: record.id,
      item_kind: record.kind,
      item_id: record.item_id,
      quantity: record.quantity,
    });
  }
  return { record, intent, replayed: false };
}
