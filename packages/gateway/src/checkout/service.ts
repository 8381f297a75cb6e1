// Stripe Checkout for catalog items (credit packs, plans) and, for API keys with the custom_amounts
// scope, ad-hoc line items. paydesk writes its own record first; its id derives the Stripe
// idempotency key and travels in the session's metadata, so a retry never opens a second session and
// every Stripe object can be traced back to this instance and record.

import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { customerFor, withStripeCustomer } from '../customers/access.js';
import { customerByExternalId, customerById } from '../customers/service.js';
import { randomToken } from '../platform/auth/api-keys.js';
import type { Principal } from '../platform/auth/principal.js';
import { AppError } from '../platform/errors.js';
import { checkRedirect, checkRedirectTemplate } from '../platform/redirects.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { checkChargeAmount, checkPackCharge } from '../platform/stripe/currencies.js';
import { fulfilCheckout } from './fulfil.js';
import { type ItemRequest, type PricedItem, priceItem } from './items.js';
import {
  type CheckoutRow,
  checkoutByRef,
  insertCheckout,
  markCheckoutCreated,
  markCheckoutFailed,
  recordStripeSession,
  updateCheckoutFromStripe,
} from './store.js';

export type { CheckoutRow };
/** Other features (the webhook handlers) read and complete checkouts through these. */
export { checkoutByRef, markCheckoutCreated };

/** An ad-hoc line: a name, an amount in minor units and a quantity (API keys with custom_amounts). */
export interface CustomLine {
  name: string;
  currency: string;
  unit_amount: number;
  quantity: number;
}

export type CheckoutItem = ItemRequest | { kind: 'custom'; lines: readonly CustomLine[] };

export interface CreateCheckoutInput {
  item: CheckoutItem;
  /** API keys: the paydesk customer (cust_…) to check out as; users always check out as themselves. */
  customer?: string | undefined;
  /** Prefills the email on Stripe's page when there is no customer. */
  customerEmail?: string | undefined;
  successUrl?: string | undefined;
  cancelUrl?: string | undefined;
  /** Where /checkout/return sends the browser after a paid session (checked against the allow-list). */
  redirect?: string | undefined;
  /** The caller's own metadata; keys starting with `paydesk_` are paydesk's and refused. */
  metadata?: Readonly<Record<string, string>> | undefined;
}

export interface CheckoutResult {
  record: CheckoutRow;
  session: Stripe.Checkout.Session;
  /** The payer's email: what Stripe collected, else the one the session was opened with or the customer's. */
  customerEmail: string | null;
}

export function newCheckoutId(): string {
  return `chk_${randomToken(16)}`;
}

/** Stripe accepts expires_at 30 min to 24 h ahead; a margin keeps clock skew from crossing either bound. */
const SKEW_MARGIN_S = 30;

export function checkoutExpiry(s: Pick<AppContext, 'config' | 'now'>): Date {
  const seconds = Math.min(
    Math.max(s.config.checkoutExpiryMinutes * 60, 30 * 60 + SKEW_MARGIN_S),
    24 * 3600 - SKEW_MARGIN_S,
  );
  return new Date((Math.ceil(s.now().getTime() / 1000) + seconds) * 1000);
}

export function defaultSuccessUrl(s: Pick<AppContext, 'config'>): string {
  return `${s.config.publicUrl}/checkout/return?session_id={CHECKOUT_SESSION_ID}`;
}

export function defaultCancelUrl(s: Pick<AppContext, 'config'>): string {
  return `${s.config.publicUrl}/checkout/cancelled`;
}

function checkCallerMetadata(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (k.startsWith('paydesk_')) {
      throw new AppError(
        'validation_failed',
        `Invalid body.metadata.${k}: keys starting with paydesk_ are reserved.`,
        {
          issues: [{ in: 'body', path: `metadata.${k}`, message: 'reserved key' }],
        },
      );
    }
    out[k] = v;
  }
  return out;
}

interface Plan {
  kind: 'pack' | 'plan' | 'custom';
  itemId: string | null;
  interval: 'month' | 'year' | null;
  quantity: number;
  currency: string;
  total: number;
  mode: 'payment' | 'subscription';
  trialDays: number | undefined;
  lineItems(s: AppContext): Promise<Stripe.Checkout.SessionCreateParams.LineItem[]>;
}

function planFor(s: AppContext, principal: Principal, item: CheckoutItem): Plan {
  if (item.kind === 'custom') {
    if (principal.kind !== 'api_key' || !principal.scopes.includes('custom_amounts')) {
      throw new AppError('forbidden', 'Ad-hoc line_items need an API key with the custom_amounts scope.');
    }
    const currencies = new Set(item.lines.map((l) => l.currency));
    if (currencies.size !== 1) {
      throw new AppError('validation_failed', 'Invalid body.line_items: all lines must share one currency.', {
        issues: [{ in: 'body', path: 'line_items', message: 'mixed currencies' }],
      });
    }
    const total = item.lines.reduce((sum, l) => sum + l.unit_amount * l.quantity, 0);
    // Stripe's limits apply to what the session charges: the lines' total, in their one currency.
    checkChargeAmount(item.lines[0]!.currency, total, {
      currency: 'line_items.0.price_data.currency',
      amount: 'line_items',
    });
    return {
      kind: 'custom',
      itemId: null,
      interval: null,
      quantity: item.lines.reduce((sum, l) => sum + l.quantity, 0),
      currency: item.lines[0]!.currency,
      total,
      mode: 'payment',
      trialDays: undefined,
      lineItems: async () =>
        item.lines.map((l) => ({
          quantity: l.quantity,
          price_data: { currency: l.currency, unit_amount: l.unit_amount, product_data: { name: l.name } },
        })),
    };
  }
  const priced: PricedItem = priceItem(s, item);
  const plan = item.kind === 'plan' ? s.catalog.plan(item.plan) : undefined;
  if (item.kind === 'pack') checkPackCharge(item.pack, { ...priced, currency: priced.price.currency });
  return {
    kind: item.kind,
    itemId: priced.price.itemId,
    interval: priced.price.interval,
    quantity: priced.quantity,
    currency: priced.price.currency,
    total: priced.total,
    mode: item.kind === 'plan' ? 'subscription' : 'payment',
    trialDays: plan?.trial_days,
    // The Stripe price found by lookup key, refused if its amount drifted from the catalog's.
    lineItems: async (svc) => [
      { price: (await svc.prices.resolve(priced.price)).id, quantity: priced.quantity },
    ],
  };
}

/**
 * Opens a Checkout session. Amounts come from the catalog (or, for custom_amounts keys, from the
 * lines); every caller-supplied URL is checked against the allowed origins.
 */
export async function createCheckoutSession(
  s: AppContext,
  principal: Principal,
  input: CreateCheckoutInput,
): Promise<CheckoutResult> {
  const plan = planFor(s, principal, input.item);
  const callerMetadata = checkCallerMetadata(input.metadata);
  const successUrl =
    input.successUrl !== undefined
      ? checkRedirectTemplate(s.config, input.successUrl, 'success_url')
      : defaultSuccessUrl(s);
  const cancelUrl =
    input.cancelUrl !== undefined
      ? checkRedirectTemplate(s.config, input.cancelUrl, 'cancel_url')
      : defaultCancelUrl(s);
  const redirect = input.redirect !== undefined ? checkRedirect(s.config, input.redirect, 'redirect') : null;

  let customer: Awaited<ReturnType<typeof withStripeCustomer>> | undefined;
  if (principal.kind === 'user') {
    customer = await withStripeCustomer(s, await customerFor(s, principal, input.customer, { create: true }));
  } else if (input.customer !== undefined) {
    customer = await withStripeCustomer(s, await customerFor(s, principal, input.customer));
  }
  const lineItems = await plan.lineItems(s);
  const expiresAt = checkoutExpiry(s);
  const record = await insertCheckout(s.db, {
    id: newCheckoutId(),
    customer_id: customer?.id ?? null,
    kind: plan.kind,
    item_id: plan.itemId,
    plan_interval: plan.interval,
    quantity: plan.quantity,
    currency: plan.currency,
    amount_total: plan.total,
    mode: plan.mode,
    redirect_url: redirect,
    expires_at: expiresAt,
  });
  const paydeskMetadata: Record<string, string> = {
    paydesk_instance: s.config.instanceId,
    paydesk_checkout_id: record.id,
    paydesk_item: plan.itemId ? `${plan.kind}:${plan.itemId}` : plan.kind,
    paydesk_quantity: String(plan.quantity),
    ...(plan.interval ? { paydesk_interval: plan.interval } : {}),
    ...(customer ? { paydesk_customer_id: customer.id } : {}),
  };
  const metadata = { ...callerMetadata, ...paydeskMetadata };
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: plan.mode,
    line_items: lineItems,
    success_url: successUrl,
    cancel_url: cancelUrl,
    expires_at: Math.floor(expiresAt.getTime() / 1000),
    client_reference_id: record.id,
    metadata,
    ...(customer
      ? { customer: customer.stripe_customer_id }
      : input.customerEmail
        ? { customer_email: input.customerEmail }
        : {}),
    ...(plan.mode === 'payment'
      ? { payment_intent_data: { metadata: paydeskMetadata } }
      : {
          subscription_data: {
            metadata: paydeskMetadata,
            ...(plan.trialDays ? { trial_period_days: plan.trialDays } : {}),
          },
        }),
  };
  let session: Stripe.Checkout.Session;
  try {
    session = await callStripe(() =>
      s.stripe.checkout.sessions.create(params, {
        idempotencyKey: idempotencyKey('checkout.create', record.id),
      }),
    );
  } catch (err) {
    await markCheckoutFailed(s.db, record.id);
    throw err;
  }
  // Belt and braces: the session must charge exactly what the catalog says.
  if (plan.mode === 'payment' && session.amount_total !== plan.total) {
    s.logger.error(
      { checkout: record.id, session: session.id, expected: plan.total, got: session.amount_total },
      'checkout session amount differs from the catalog; expiring it',
    );
    await callStripe(() =>
      s.stripe.checkout.sessions.expire(
        session.id,
        {},
        { idempotencyKey: idempotencyKey('checkout.expire', record.id) },
      ),
    );
    await markCheckoutFailed(s.db, record.id);
    throw new AppError('conflict', 'The Stripe price differs from the catalog; run paydesk catalog sync.');
  }
  const stored = await recordStripeSession(s.db, record, {
    stripe_session_id: session.id,
    url: session.url,
    status: session.status ?? 'open',
  });
  return { record: stored, session, customerEmail: session.customer_email ?? customer?.email ?? null };
}

function notFound(ref: string): AppError {
  return new AppError('not_found', `No such checkout session: ${ref}.`);
}

/**
 * The record a principal may see: users only their own (another user's is not found), API keys any
 * session this paydesk opened. `principal` undefined is the browser returning from Stripe, which
 * knows the unguessable Stripe session id (and only that id is accepted then).
 */
export async function checkoutFor(
  s: AppContext,
  principal: Principal | undefined,
  ref: string,
): Promise<CheckoutRow> {
  const record = await checkoutByRef(s.db, ref);
  if (!record?.stripe_session_id) throw notFound(ref);
  if (principal === undefined && ref !== record.stripe_session_id) throw notFound(ref);
  if (principal?.kind === 'user') {
    const own = await customerByExternalId(s.db, principal.externalId);
    if (!own || record.customer_id !== own.id) throw notFound(ref);
  }
  return record;
}

/**
 * Reads the session from Stripe (the truth), checks it is this paydesk's, stores its state, and
 * records the payment once it is paid.
 */
export async function syncCheckout(s: AppContext, record: CheckoutRow): Promise<CheckoutResult> {
  const sessionId = record.stripe_session_id;
  if (!sessionId) throw notFound(record.id);
  const session = await callStripe(() =>
    s.stripe.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent.latest_charge'] }),
  );
  if (
    session.metadata?.paydesk_instance !== s.config.instanceId ||
    session.metadata?.paydesk_checkout_id !== record.id
  ) {
    s.logger.warn({ checkout: record.id, session: session.id }, 'checkout session metadata does not match');
    throw notFound(record.id);
  }
  const pi = typeof session.payment_intent === 'object' ? session.payment_intent : null;
  const updated = await updateCheckoutFromStripe(s.db, record.id, {
    status: session.status ?? record.status,
    payment_status: session.payment_status,
    stripe_payment_intent_id:
      pi?.id ?? (typeof session.payment_intent === 'string' ? session.payment_intent : null),
    stripe_subscription_id:
      typeof session.subscription === 'string' ? session.subscription : (session.subscription?.id ?? null),
  });
  if (pi) await fulfilCheckout(s, updated, session, pi);
  const customerEmail =
    session.customer_details?.email ??
    session.customer_email ??
    (record.customer_id ? ((await customerById(s.db, record.customer_id))?.email ?? null) : null);
  return { record: updated, session, customerEmail };
}

/** GET /v1/checkout/sessions/:id: the session as Stripe says it is now, if the principal may see it. */
export async function getCheckoutSession(
  s: AppContext,
  principal: Principal,
  ref: string,
): Promise<CheckoutResult> {
  return syncCheckout(s, await checkoutFor(s, principal, ref));
}

/** The browser came back from Stripe with `session_id`: verify with Stripe and say where it goes next. */
export async function returnFromCheckout(
  s: AppContext,
  stripeSessionId: string,
): Promise<CheckoutResult & { paid: boolean; redirect: string | null }> {
  const result = await syncCheckout(s, await checkoutFor(s, undefined, stripeSessionId));
  const paid =
    result.session.status === 'complete' &&
    (result.session.payment_status === 'paid' || result.session.payment_status === 'no_payment_required');
  return { ...result, paid, redirect: result.record.redirect_url };
}
