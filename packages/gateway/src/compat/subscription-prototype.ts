// Compat: the subscription prototype's routes, as the front end of Stripe's public sample
// "subscription-use-cases / fixed-price-subscriptions" calls them (same paths, bodies and answers:
// Stripe's own objects under the sample's keys). Behind them are paydesk's catalog (the prices are
// the catalog plans'), customers (the `customer` cookie carries a paydesk user token, see
// prototype-session.ts) and subscriptions (one per customer, created default_incomplete, changed and
// cancelled by paydesk's subscription service). `POST /webhook` is already an alias of the webhook
// endpoint (webhooks/routes.ts).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { CatalogPrice } from '../catalog/catalog.js';
import type { Interval } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { customerFor, withStripeCustomer } from '../customers/access.js';
import { type CustomerRow, ensureCustomer } from '../customers/service.js';
import { principalOf } from '../platform/auth/plugin.js';
import { publishableKeyOf } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import {
  cancelSubscription,
  changePlan,
  createSubscription,
  isOurs,
  planPrice,
  readSubscription,
  recordSubscriptionState,
  type SubscriptionDetails,
  subscriptionByStripeId,
} from '../subscriptions/service.js';
import { catalogPriceForId, priceIdPattern } from './price-id.js';
import { cookieAsBearer, setSessionCookie, signUpToken, userOfAuthorization } from './prototype-session.js';

/** A Stripe object as Stripe answers it: every field passes through. */
const stripeObject = (what: string) => z.looseObject({ id: z.string() }).describe(what);
const subscriptionId = z
  .string()
  .regex(/^sub_[A-Za-z0-9_]{1,200}$/, 'expected a Stripe subscription id (sub_…)');
const newPriceLookupKey = z
  .string()
  .min(1)
  .max(200)
  .describe(
    'The plan price to move to: a `lookup_key` from GET /config (case-insensitive), a price id, or a catalog plan id (same interval).',
  );

function invalid(where: 'body' | 'querystring', path: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid ${where}.${path}: ${message}.`, {
    issues: [{ in: where, path, message }],
  });
}

/** The catalog's plan prices, optionally of one currency and interval, in catalog order. */
function planPrices(s: AppContext, q: { currency?: string | undefined; interval?: Interval | undefined }) {
  return s.catalog.prices.filter(
    (p) =>
      p.kind === 'plan' &&
      (q.currency === undefined || p.currency === q.currency) &&
      (q.interval === undefined || p.interval === q.interval),
  );
}

/** The Stripe prices of catalog prices (active ones, by lookup key, 10 per request), products expanded. */
async function stripePrices(s: AppContext, wanted: readonly CatalogPrice[]): Promise<Stripe.Price[]> {
  const found = new Map<string, Stripe.Price>();
  for (let i = 0; i < wanted.length; i += 10) {
    const keys = wanted.slice(i, i + 10).map((p) => p.lookupKey);
    const page = await callStripe(() =>
      s.stripe.prices.list({ lookup_keys: keys, active: true, limit: 10, expand: ['data.product'] }),
    );
    for (const price of page.data) if (price.lookup_key) found.set(price.lookup_key, price);
  }
  return wanted.flatMap((p) => {
    const price = found.get(p.lookupKey);
    return price && price.unit_amount === p.amount ? [price] : [];
  });
}

/** The caller's own subscription by its Stripe id (another customer's is not found). */
async function ownSubscription(
  s: AppContext,
  customer: CustomerRow,
  id: string,
): Promise<SubscriptionDetails> {
  const row = await subscriptionByStripeId(s.db, id);
  if (!row || row.customer_id !== customer.id)
    throw new AppError('not_found', `No such subscription: ${id}.`);
  return readSubscription(s, row);
}

/** The plan and interval `newPriceLookupKey` names, in the subscription's currency. */
async function targetOf(
  s: AppContext,
  d: SubscriptionDetails,
  raw: string,
  where: 'body' | 'querystring',
): Promise<{ plan: string; interval: Interval }> {
  const currentInterval =
    d.subscription.items.data[0]?.price.recurring?.interval === 'year' ? 'year' : 'month';
  let price: CatalogPrice | undefined = s.catalog.byLookupKey(raw.toLowerCase());
  if (!price && priceIdPattern.test(raw)) {
    price = await catalogPriceForId(s, raw, { in: where, path: 'newPriceLookupKey' });
  }
  if (!price && s.catalog.plan(raw)) return { plan: raw, interval: currentInterval };
  if (price?.kind !== 'plan') {
    throw invalid(
      where,
      'newPriceLookupKey',
      `${raw} is not a plan price of this catalog (use a lookup_key from GET /config)`,
    );
  }
  if (price.currency !== d.subscription.currency) {
    throw invalid(
      where,
      'newPriceLookupKey',
      `${raw} is in ${price.currency}; the subscription is billed in ${d.subscription.currency}`,
    );
  }
  return { plan: price.itemId, interval: price.interval ?? 'month' };
}

/**
 * The sample's account page reads `current_period_end` on the subscription (older API versions);
 * Stripe now keeps it on the items. It is added (never replaced) from the first item.
 */
function withPeriodEnd(
  sub: Stripe.Subscription,
): Stripe.Subscription & { current_period_end: number | null } {
  const legacy = (sub as { current_period_end?: number }).current_period_end;
  return { ...sub, current_period_end: legacy ?? sub.items.data[0]?.current_period_end ?? null };
}

const userAuth = { auth: { allow: ['user' as const] } };
const security = [{ bearer: [] }];

export function subscriptionPrototypeRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    const me = async (request: Parameters<typeof principalOf>[0]) =>
      withStripeCustomer(s, await customerFor(s, principalOf(request), undefined, { create: true }));

    app.get(
      '/config',
      {
        schema: {
          tags: ['compat'],
          summary:
            'Subscription prototype: the publishable key and the catalog’s plan prices (products expanded).',
          description:
            'Public. `prices` are Stripe price objects of the catalog’s plans, each with its product ' +
            'expanded, in catalog order; `currency` and `interval` narrow them. 503 with real Stripe until ' +
            'STRIPE_PUBLISHABLE_KEY is set.',
          querystring: z.strictObject({
            currency: z
              .string()
              .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO 4217 code such as usd')
              .transform((c) => c.toLowerCase())
              .optional(),
            interval: z.enum(['month', 'year']).optional(),
          }),
          response: {
            200: z.object({
              publishableKey: z.string().describe('For Stripe(publishableKey) in the browser.'),
              prices: z.array(stripeObject('A Stripe price with `product` expanded.')),
            }),
          },
        },
      },
      async (request, reply) => {
        const publishableKey = publishableKeyOf(s.config);
        if (!publishableKey) {
          throw new AppError('not_ready', 'Set STRIPE_PUBLISHABLE_KEY: browsers need it to load Stripe.js.');
        }
        const prices = await stripePrices(s, planPrices(s, request.query));
        reply.header('cache-control', 'no-store');
        return { publishableKey, prices: prices as unknown as { id: string }[] };
      },
    );

    app.post(
      '/create-customer',
      {
        schema: {
          tags: ['compat'],
          summary:
            'Subscription prototype: sign up (a paydesk customer and its Stripe customer) → {customer}.',
          description:
            'Without Authorization, a new user is made and the `customer` cookie set (a paydesk user token, ' +
            'HttpOnly, 15 minutes). With a user token in Authorization, that user’s customer is used ' +
            '(its email updated) and no cookie is set.',
          body: z.strictObject({
            email: z.email().max(320),
            name: z.string().min(1).max(250).optional().describe('Addition: the customer’s name.'),
          }),
          response: {
            200: z.object({
              customer: stripeObject('The Stripe customer.'),
              paydesk_customer_id: z.string().describe('Addition: paydesk’s customer id (cust_…).'),
            }),
          },
        },
      },
      async (request, reply) => {
        const { email, name } = request.body;
        let externalId: string;
        if (request.headers.authorization !== undefined) {
          // A signed-in product's user: their token, verified as on every user route.
          externalId = await userOfAuthorization(s, request.headers.authorization);
        } else {
          const signUp = await signUpToken(s);
          externalId = signUp.externalId;
          setSessionCookie(s, reply, signUp.token);
        }
        const { customer } = await ensureCustomer(s, { external_id: externalId, email, name });
        const ensured = await withStripeCustomer(s, customer);
        const stripeCustomer = await callStripe(() =>
          s.stripe.customers.retrieve(ensured.stripe_customer_id),
        );
        return { customer: stripeCustomer as unknown as { id: string }, paydesk_customer_id: customer.id };
      },
    );

    app.post(
      '/create-subscription',
      {
        config: userAuth,
        onRequest: cookieAsBearer,
        schema: {
          tags: ['compat'],
          summary:
            'Subscription prototype: subscribe to a catalog plan price → {subscriptionId, clientSecret}.',
          description:
            'Created default_incomplete: confirm the first payment in the browser with clientSecret (Payment ' +
            'Element). One subscription per customer: an incomplete one for the same price is returned again, ' +
            'a live one is 409 conflict.',
          security,
          body: z.strictObject({
            priceId: z
              .string()
              .regex(priceIdPattern, 'expected a Stripe price id (price_…)')
              .describe('A price from GET /config.'),
          }),
          response: {
            200: z.object({
              subscriptionId: z.string().describe('Stripe’s subscription id (sub_…).'),
              clientSecret: z.string().nullable().describe('The first invoice’s payment client secret.'),
              paydesk_subscription_id: z.string().describe('Addition: paydesk’s id (psub_…).'),
            }),
          },
        },
      },
      async (request) => {
        const price = await catalogPriceForId(s, request.body.priceId, { in: 'body', path: 'priceId' });
        if (price.kind !== 'plan')
          throw invalid('body', 'priceId', `${request.body.priceId} is not a plan’s price`);
        const customer = await me(request);
        const { details } = await createSubscription(s, customer, {
          plan: price.itemId,
          interval: price.interval ?? 'month',
          currency: price.currency,
        });
        const invoice = details.subscription.latest_invoice;
        const clientSecret =
          typeof invoice === 'object' && invoice !== null
            ? (invoice.confirmation_secret?.client_secret ?? null)
            : null;
        return {
          subscriptionId: details.subscription.id,
          clientSecret,
          paydesk_subscription_id: details.record.id,
        };
      },
    );

    app.get(
      '/invoice-preview',
      {
        config: userAuth,
        onRequest: cookieAsBearer,
        schema: {
          tags: ['compat'],
          summary:
            'Subscription prototype: the invoice a plan change would make → {invoice} (Stripe’s preview).',
          security,
          querystring: z.strictObject({ subscriptionId, newPriceLookupKey }),
          response: { 200: z.object({ invoice: z.looseObject({}).describe('Stripe’s invoice preview.') }) },
        },
      },
      async (request) => {
        const customer = await me(request);
        const d = await ownSubscription(s, customer, request.query.subscriptionId);
        const target = await targetOf(s, d, request.query.newPriceLookupKey, 'querystring');
        const stripePrice = await s.prices.resolve(
          planPrice(s, { ...target, currency: d.subscription.currency }, 'querystring', 'newPriceLookupKey'),
        );
        const item = d.subscription.items.data[0];
        if (!item) throw new AppError('conflict', 'The subscription has no item to change.');
        const invoice = await callStripe(() =>
          s.stripe.invoices.createPreview(
            {
              customer: customer.stripe_customer_id,
              subscription: d.subscription.id,
              subscription_details: { items: [{ id: item.id, price: stripePrice.id }] },
            },
            {
              idempotencyKey: idempotencyKey(
                'prototype.invoice_preview',
                s.config.instanceId,
                d.record.id,
                d.record.revision,
                stripePrice.id,
                Math.floor(s.now().getTime() / 60_000),
              ),
            },
          ),
        );
        return { invoice: invoice as unknown as Record<string, unknown> };
      },
    );

    app.post(
      '/update-subscription',
      {
        config: userAuth,
        onRequest: cookieAsBearer,
        schema: {
          tags: ['compat'],
          summary: 'Subscription prototype: move the subscription to another plan price → {subscription}.',
          description: 'Prorated (create_prorations), in the subscription’s currency.',
          security,
          body: z.strictObject({ subscriptionId, newPriceLookupKey }),
          response: { 200: z.object({ subscription: stripeObject('The Stripe subscription, updated.') }) },
        },
      },
      async (request) => {
        const customer = await me(request);
        const d = await ownSubscription(s, customer, request.body.subscriptionId);
        const target = await targetOf(s, d, request.body.newPriceLookupKey, 'body');
        const changed = await changePlan(s, d, { ...target, proration_behavior: 'create_prorations' });
        return { subscription: withPeriodEnd(changed.subscription) as unknown as { id: string } };
      },
    );

    app.post(
      '/cancel-subscription',
      {
        config: userAuth,
        onRequest: cookieAsBearer,
        schema: {
          tags: ['compat'],
          summary: 'Subscription prototype: cancel the subscription now → {subscription} (status canceled).',
          security,
          body: z.strictObject({ subscriptionId }),
          response: { 200: z.object({ subscription: stripeObject('The Stripe subscription, canceled.') }) },
        },
      },
      async (request) => {
        const customer = await me(request);
        const d = await ownSubscription(s, customer, request.body.subscriptionId);
        const canceled = await cancelSubscription(s, d, false);
        return { subscription: withPeriodEnd(canceled.subscription) as unknown as { id: string } };
      },
    );

    app.get(
      '/subscriptions',
      {
        config: userAuth,
        onRequest: cookieAsBearer,
        schema: {
          tags: ['compat'],
          summary: 'Subscription prototype: the customer’s subscriptions, with their default payment method.',
          description:
            'Stripe’s list (all statuses, newest first) of this paydesk’s subscriptions of the customer, each ' +
            'with `default_payment_method` expanded and `current_period_end` added from its item.',
          security,
          response: {
            200: z.object({
              subscriptions: z.looseObject({
                object: z.literal('list'),
                data: z.array(stripeObject('A Stripe subscription.')),
              }),
            }),
          },
        },
      },
      async (request) => {
        const customer = await me(request);
        const at = s.now();
        const page = await callStripe(() =>
          s.stripe.subscriptions.list({
            customer: customer.stripe_customer_id,
            status: 'all',
            limit: 100,
            expand: ['data.default_payment_method'],
          }),
        );
        const data: Stripe.Subscription[] = [];
        for (const sub of page.data) {
          if (!isOurs(s, sub)) continue;
          await recordSubscriptionState(s, s.db, sub, at);
          data.push(withPeriodEnd(sub));
        }
        return {
          subscriptions: {
            object: 'list' as const,
            data: data as unknown as { id: string }[],
            has_more: page.has_more,
            url: '/v1/subscriptions',
          },
        };
      },
    );
  };
}
