// What the billing pages show and do, assembled from paydesk's own services (catalog, customers,
// subscriptions, checkout, credits, entitlements, payments, portal) and never from their tables.
// The account page reads only paydesk's own records (kept current by the webhook pipeline, and by the
// result pages, which settle a just-made payment at once instead of waiting for its webhooks); Stripe
// is asked only where it alone knows the answer (invoices, a change's proration, a portal session).
import type Stripe from 'stripe';
import type { Interval } from '../catalog/schema.js';
import { createCheckoutSession, getCheckoutSession } from '../checkout/service.js';
import type { AppContext } from '../context.js';
import { currentBalance, type LedgerEntry, ledgerPage } from '../credits/service.js';
import {
  type CardSummary,
  customerCard,
  recordDefaultCard,
  recordSubscriptionCard,
} from '../customers/cards.js';
import type { CustomerRow } from '../customers/service.js';
import { customerById } from '../customers/service.js';
import { type EntitlementRow, entitlementOf, graceUntil } from '../entitlements/service.js';
import { listPayments, type PaymentRow } from '../payments/service.js';
import { isUniqueViolation } from '../platform/db/errors.js';
import { AppError } from '../platform/errors.js';
import { callStripe } from '../platform/stripe/client.js';
import { createPortalSession } from '../portal/service.js';
import { applySubscription } from '../subscriptions/apply.js';
import { applyPaidInvoice } from '../subscriptions/invoice.js';
import {
  type ChangePreview,
  cancelSubscription,
  changePlan,
  createSubscription,
  firstPaymentSecret,
  listSubscriptions,
  liveStatuses,
  planOf,
  previewChange,
  readSubscription,
  recordedSubscriptions,
  resumeSubscription,
  type SubscriptionDetails,
  type SubscriptionRow,
  subscriptionByStripeId,
  subscriptionFor,
} from '../subscriptions/service.js';
import { day } from './format.js';
import type { PageSession } from './session.js';

/** Every currency the catalog sells anything in, in the order it first declares them. */
export function catalogCurrencies(s: Pick<AppContext, 'catalog'>): string[] {
  return [...new Set(s.catalog.prices.map((p) => p.currency))];
}

export interface PricingChoice {
  interval: Interval;
  currency: string;
}

/** The interval and currency asked for, or the catalog's first where the request names none (or an unknown one). */
export function pricingChoice(
  s: Pick<AppContext, 'catalog'>,
  q: { interval?: string | undefined; currency?: string | undefined },
): PricingChoice {
  const currencies = catalogCurrencies(s);
  const currency = q.currency && currencies.includes(q.currency) ? q.currency : (currencies[0] ?? 'usd');
  return { interval: q.interval === 'year' ? 'year' : 'month', currency };
}

/** The signed-in user's customer (it exists: sign-in creates it). */
export async function customerOf(s: AppContext, session: PageSession): Promise<CustomerRow> {
  const customer = await customerById(s.db, session.customerId);
  if (!customer) throw new AppError('not_found', 'Your account no longer exists; sign in again.');
  return customer;
}

/** The plan the customer's access comes from (fast: paydesk's entitlement record, no Stripe call). */
export async function currentEntitlement(s: AppContext, session: PageSession | undefined) {
  return session ? entitlementOf(s.db, session.customerId) : undefined;
}

/** The subscription that the account page is about: a live one, else an unpaid new one, else the newest. */
export function mainSubscription(subs: readonly SubscriptionDetails[]): SubscriptionDetails | undefined {
  return (
    subs.find((d) => liveStatuses.has(d.subscription.status)) ??
    subs.find((d) => d.subscription.status === 'incomplete') ??
    subs[0]
  );
}

/** The subscription the account page is about, among paydesk's records (a 'pending' one is unpaid too). */
export function mainRecord(rows: readonly SubscriptionRow[]): SubscriptionRow | undefined {
  return (
    rows.find((r) => liveStatuses.has(r.status)) ??
    rows.find((r) => r.status === 'incomplete' || r.status === 'pending') ??
    rows[0]
  );
}

export interface AccountModel {
  subscription: SubscriptionRow | undefined;
  /** The subscription's price per period in minor units (undefined where unknown). */
  amount: number | undefined;
  entitlement: EntitlementRow | undefined;
  graceUntil: Date | null;
  balance: number;
  ledger: LedgerEntry[];
  payments: PaymentRow[];
  card: CardSummary | undefined;
}

/**
 * Everything the account page shows, from paydesk's own records only (no Stripe call): the
 * subscription's last recorded state, entitlement, credits, payments and the stored card.
 */
export async function accountModel(s: AppContext, session: PageSession): Promise<AccountModel> {
  const id = session.customerId;
  const [subs, entitlement, balance, ledger, payments, card] = await Promise.all([
    recordedSubscriptions(s, id),
    entitlementOf(s.db, id),
    currentBalance(s.db, id),
    ledgerPage(s.db, id, { limit: 10 }),
    listPayments(s, { customerId: id, limit: 10 }),
    customerCard(s.db, id),
  ]);
  const subscription = mainRecord(subs);
  // What Stripe bills (recorded with the state); a subscription not yet created in Stripe ('pending')
  // is at the catalog's price it is being created with.
  const price =
    subscription?.amount == null && subscription?.plan && subscription.interval
      ? s.catalog.price('plan', subscription.plan, subscription.currency, subscription.interval)
      : undefined;
  return {
    subscription,
    amount: subscription?.amount ?? price?.amount,
    entitlement,
    graceUntil: entitlement?.status === 'past_due' ? graceUntil(entitlement, s.config.gracePeriodDays) : null,
    balance,
    ledger: ledger.entries,
    payments: payments.data,
    card,
  };
}

/**
 * Reads again from Stripe what the customer may have changed in the customer portal (its card, its
 * subscriptions) and records it: the account page shown on the way back from the portal is current
 * even before the portal's webhooks have arrived.
 */
export async function refreshAfterPortal(s: AppContext, session: PageSession): Promise<void> {
  const customer = await customerOf(s, session);
  const stripeId = customer.stripe_customer_id;
  if (!stripeId) return;
  const at = s.now();
  const [fresh] = await Promise.all([
    callStripe(() =>
      s.stripe.customers.retrieve(stripeId, { expand: ['invoice_settings.default_payment_method'] }),
    ),
    listSubscriptions(s, customer),
  ]);
  if (!fresh.deleted)
    await recordDefaultCard(s.db, customer.id, fresh.invoice_settings?.default_payment_method, at);
}

/** The customer's latest invoices with their hosted and PDF links (Stripe's documents: read from Stripe). */
export async function invoicesOf(s: AppContext, session: PageSession): Promise<Stripe.Invoice[]> {
  const stripeId = (await customerOf(s, session)).stripe_customer_id;
  if (!stripeId) return [];
  return (await callStripe(() => s.stripe.invoices.list({ customer: stripeId, limit: 24 }))).data;
}

/**
 * A subscription's payment just went through (the result page knows before any webhook does): records
 * the subscription's state with its entitlements, the card it saved, and its paid invoice (the payment
 * in the history, the plan's credits) through the webhook pipeline's own idempotent paths.
 */
async function settleSubscription(s: AppContext, customerId: string, stripeId: string): Promise<void> {
  const at = s.now();
  const sub = await callStripe(() =>
    s.stripe.subscriptions.retrieve(stripeId, { expand: ['default_payment_method'] }),
  );
  // Applied (state, entitlement, notifications) only when paydesk's entitlement does not say so yet:
  // reloading the result page sends the host product no second notification.
  const [local, entitlement] = await Promise.all([
    subscriptionByStripeId(s.db, sub.id),
    entitlementOf(s.db, customerId),
  ]);
  if (
    !local ||
    entitlement?.subscription_id !== local.id ||
    entitlement.status !== sub.status ||
    entitlement.plan !== planOf(s, sub).plan
  ) {
    try {
      await applySubscription(s, sub, at);
    } catch (err) {
      // The webhook may be recording the same new subscription at this moment (on PostgreSQL both
      // insert it, under different paydesk ids): the loser of that race finds the row on a second try.
      if (!isUniqueViolation(err)) throw err;
      await applySubscription(s, sub, at);
    }
  }
  await recordSubscriptionCard(s.db, customerId, sub.default_payment_method, at);
  const invoiceId = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : sub.latest_invoice?.id;
  if (!invoiceId) return;
  const invoice = await callStripe(() => s.stripe.invoices.retrieve(invoiceId, { expand: ['payments'] }));
  if (invoice.status === 'paid') await applyPaidInvoice(s, invoice);
}

/** The subscription the account page is about, as paydesk recorded it. */
export async function currentSubscription(
  s: AppContext,
  session: PageSession,
): Promise<SubscriptionRow | undefined> {
  return mainRecord(await recordedSubscriptions(s, session.customerId));
}

/** The user's own subscription by paydesk id, as Stripe has it now (another user's is not found). */
export async function ownSubscription(
  s: AppContext,
  session: PageSession,
  id: string,
): Promise<SubscriptionDetails> {
  return readSubscription(s, await subscriptionFor(s, session.principal, id));
}

/** Starts (or returns the unpaid) subscription the Payment Element will pay for. */
export async function startSubscription(
  s: AppContext,
  session: PageSession,
  choice: { plan: string; interval: Interval; currency: string },
): Promise<SubscriptionDetails> {
  const { details } = await createSubscription(s, await customerOf(s, session), choice);
  return details;
}

export function paymentSecretOf(d: SubscriptionDetails): string | null {
  return firstPaymentSecret(d.subscription);
}

export function resultUrl(s: Pick<AppContext, 'config'>, query: string): string {
  return `${s.config.publicUrl}/payment/result?${query}`;
}

/** Opens Checkout for a plan or a pack; the browser is sent to the session's URL. */
export async function openCheckout(
  s: AppContext,
  session: PageSession,
  item:
    | { kind: 'pack'; pack: string; quantity: number; currency: string }
    | { kind: 'plan'; plan: string; interval: Interval; currency: string },
): Promise<string> {
  const result = await createCheckoutSession(s, session.principal, {
    item,
    successUrl: resultUrl(s, 'session_id={CHECKOUT_SESSION_ID}'),
    cancelUrl: `${s.config.publicUrl}/payment/cancelled`,
  });
  if (!result.session.url)
    throw new AppError('stripe_error', 'Stripe returned no Checkout page for this session.');
  return result.session.url;
}

export type Outcome =
  | { kind: 'paid'; title: string; detail: string }
  | { kind: 'processing'; title: string; detail: string }
  | { kind: 'failed'; title: string; detail: string; retry: string | undefined };

function creditsText(
  s: AppContext,
  itemKind: string | null,
  itemId: string | null,
  quantity: number | null,
): string {
  if (itemKind !== 'pack' || !itemId) return '';
  const pack = s.catalog.pack(itemId);
  return pack ? `${(quantity ?? 1) * pack.credits} credits were added to your balance.` : '';
}

/** The truth about a Checkout session the user came back from (read from Stripe, never from the URL). */
export async function checkoutOutcome(
  s: AppContext,
  session: PageSession,
  stripeSessionId: string,
): Promise<Outcome> {
  const r = await getCheckoutSession(s, session.principal, stripeSessionId);
  const cs = r.session;
  if (
    cs.status === 'complete' &&
    (cs.payment_status === 'paid' || cs.payment_status === 'no_payment_required')
  ) {
    const subscriptionId = typeof cs.subscription === 'string' ? cs.subscription : cs.subscription?.id;
    if (subscriptionId) await settleSubscription(s, session.customerId, subscriptionId);
    const plan = r.record.kind === 'plan' && r.record.item_id ? s.catalog.plan(r.record.item_id) : undefined;
    return {
      kind: 'paid',
      title: plan ? `You are subscribed to ${plan.name}` : 'Payment received',
      detail: plan
        ? 'Your plan is active. A receipt is on its way to your email.'
        : creditsText(s, r.record.kind, r.record.item_id, r.record.quantity) || 'Thank you for your payment.',
    };
  }
  if (cs.status === 'complete') {
    return {
      kind: 'processing',
      title: 'Payment processing',
      detail: 'Stripe has the payment but has not confirmed it yet. This page shows the result once it has.',
    };
  }
  if (cs.status === 'expired') {
    return {
      kind: 'failed',
      title: 'Payment not completed',
      detail: 'This checkout expired before it was paid. Nothing was charged.',
      retry: '/pricing',
    };
  }
  return {
    kind: 'failed',
    title: 'Payment not completed',
    detail: 'The checkout is still open and nothing has been charged. You can go back and finish it.',
    retry: cs.url ?? '/pricing',
  };
}

/** The truth about a subscription's first payment after the Payment Element (Stripe's state, not the URL's). */
export async function subscriptionOutcome(
  s: AppContext,
  session: PageSession,
  subscriptionId: string,
  paymentIntentId: string | undefined,
): Promise<Outcome> {
  const d = await ownSubscription(s, session, subscriptionId);
  const sub = d.subscription;
  const { plan } = planOf(s, sub);
  const name = (plan && s.catalog.plan(plan)?.name) ?? 'your plan';
  if (sub.status === 'active' || sub.status === 'trialing') {
    await settleSubscription(s, session.customerId, sub.id);
    return {
      kind: 'paid',
      title: `You are subscribed to ${name}`,
      detail:
        sub.status === 'trialing' && sub.trial_end
          ? `Your trial runs until ${day(sub.trial_end * 1000)}; the card is charged then.`
          : 'The payment went through and your plan is active.',
    };
  }
  let pi: Stripe.PaymentIntent | undefined;
  const customer = await customerOf(s, session);
  if (paymentIntentId) {
    const found = await callStripe(() => s.stripe.paymentIntents.retrieve(paymentIntentId));
    const owner = typeof found.customer === 'string' ? found.customer : found.customer?.id;
    if (owner === customer.stripe_customer_id) pi = found;
  }
  if (sub.status === 'incomplete' && pi?.status === 'processing') {
    return {
      kind: 'processing',
      title: 'Payment processing',
      detail: 'Your bank is still processing the payment. Your plan starts as soon as it succeeds.',
    };
  }
  if (sub.status === 'incomplete') {
    const reason = pi?.last_payment_error?.message;
    return {
      kind: 'failed',
      title: 'Payment failed',
      detail: `${reason ? `${reason} ` : ''}Nothing was charged. Try again with another card.`,
      retry: `/subscribe/${d.record.id}`,
    };
  }
  return {
    kind: 'failed',
    title: 'Subscription not active',
    detail: `This subscription is ${sub.status.replace('_', ' ')}.`,
    retry: '/pricing',
  };
}

export async function previewPlanChange(
  s: AppContext,
  session: PageSession,
  id: string,
  target: { plan: string; interval: Interval },
): Promise<{ details: SubscriptionDetails; preview: ChangePreview }> {
  const details = await ownSubscription(s, session, id);
  const preview = await previewChange(s, details, { ...target, proration_behavior: 'always_invoice' });
  return { details, preview };
}

export async function confirmPlanChange(
  s: AppContext,
  session: PageSession,
  id: string,
  target: { plan: string; interval: Interval; proration_date: number },
): Promise<SubscriptionDetails> {
  const details = await ownSubscription(s, session, id);
  return changePlan(s, details, { ...target, proration_behavior: 'always_invoice' });
}

export async function cancelAtPeriodEnd(
  s: AppContext,
  session: PageSession,
  id: string,
): Promise<SubscriptionDetails> {
  return cancelSubscription(s, await ownSubscription(s, session, id), true);
}

export async function resume(s: AppContext, session: PageSession, id: string): Promise<SubscriptionDetails> {
  return resumeSubscription(s, await ownSubscription(s, session, id));
}

export async function portalUrl(s: AppContext, session: PageSession): Promise<string> {
  const portal = await createPortalSession(
    s,
    await customerOf(s, session),
    `${s.config.publicUrl}/account?from=portal`,
  );
  return portal.url;
}
