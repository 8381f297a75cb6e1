import { a, o, type RouteSpecs, type Spec, type SpecNode } from '../core/param-spec.js';
import { generatedSpecs } from './param-specs.generated.js';

/**
 * What each route accepts: the SDK-derived descriptions (param-specs.generated.ts, written by
 * scripts/gen-param-specs.ts) and, here, the routes the SDK has no method for. The App validates
 * every request against its route's description and refuses to start with a route that has none.
 * Notation: core/param-spec.ts.
 */
const byHand: RouteSpecs = {
  // Stripe.js's calls behind `redirectToCheckout` and the hosted payment page (no SDK method).
  'GET /v1/payment_pages/:id': o({ expand: a('str') }),
  'POST /v1/payment_pages/:id/confirm': o({
    payment_method: '!str',
    expected_amount: 'int',
    email: 'email',
    expand: a('str'),
  }),
  // The test helper the Stripe CLI's charge.dispute.funds_withdrawn fixture calls (no SDK method).
  'POST /v1/test_helpers/disputes/:id/lose': o({ expand: a('str') }),
  // A charge's refunds, which the SDK reads through `refunds.list({charge})`.
  'GET /v1/charges/:id/refunds': o({
    ending_before: 'str',
    limit: 'int',
    starting_after: 'str',
    expand: a('str'),
  }),
};

/**
 * Parameters a route accepts beyond the SDK's types, each with why: Stripe.js sends the intent's
 * client secret, and the Stripe CLI's trigger fixtures still send the pre-2026 name of
 * `allowed_payment_method_types`.
 */
const extra: Readonly<Record<string, Record<string, Spec>>> = {
  'POST /v1/payment_intents/:id/confirm': { client_secret: 'str' },
  'POST /v1/setup_intents/:id/confirm': { client_secret: 'str' },
  'POST /v1/payment_intents': { payment_method_types: a('str') },
  'POST /v1/payment_intents/:id': { payment_method_types: a('str') },
  'POST /v1/setup_intents': { payment_method_types: a('str') },
  // The CLI's checkout.session.async_payment_* fixtures name sepa_debit this way.
  'POST /v1/checkout/sessions': { payment_method_types: a('str') },
  // API versions before 2025-03-31.basil give a customer its discount this way (the Stripe CLI's
  // customer.discount.* fixtures do); for later versions customers.ts answers Stripe's
  // `parameter_unknown` (resources/billing/discounts.ts).
  'POST /v1/customers': { coupon: 'str', promotion_code: 'str' },
  'POST /v1/customers/:id': { coupon: 'str?', promotion_code: 'str' },
};

export const paramSpecs: RouteSpecs = { ...generatedSpecs, ...byHand };
for (const [route, fields] of Object.entries(extra)) {
  const base = paramSpecs[route];
  if (base?.fields === undefined) throw new Error(`param-specs: ${route} is not a route`);
  (paramSpecs as Record<string, SpecNode>)[route] = o({ ...base.fields, ...fields }, base.flags);
}
// API versions before 2025-09-30.clover name a promotion code's coupon `coupon` (the Stripe CLI's
// promotion_code.* fixtures still do): `promotion` is then not required. promotion-codes.ts answers
// Stripe's `parameter_unknown` for `coupon` from later versions.
{
  const route = 'POST /v1/promotion_codes';
  const base = paramSpecs[route];
  const promotion = base?.fields?.promotion;
  if (base?.fields === undefined || typeof promotion !== 'object' || promotion.fields === undefined)
    throw new Error(`param-specs: ${route} has no promotion`);
  (paramSpecs as Record<string, SpecNode>)[route] = o(
    { ...base.fields, coupon: 'str', promotion: o(promotion.fields, promotion.flags.replace('!', '')) },
    base.flags,
  );
}
// The Stripe CLI's subscription_schedule.* fixtures still give phases `iterations` (before `duration`).
for (const route of ['POST /v1/subscription_schedules', 'POST /v1/subscription_schedules/:id']) {
  const base = paramSpecs[route];
  const phases = base?.fields?.phases;
  if (base?.fields === undefined || typeof phases !== 'object' || typeof phases.item !== 'object')
    throw new Error(`param-specs: ${route} has no phases`);
  const phase = phases.item;
  (paramSpecs as Record<string, SpecNode>)[route] = o(
    { ...base.fields, phases: a(o({ ...phase.fields, iterations: 'int' }, phase.flags), phases.flags) },
    base.flags,
  );
}
// Event types Stripe sends that the SDK's enum does not list yet (core/events.ts `UnlistedEvents`):
// a webhook endpoint can subscribe to them (the Stripe CLI's quote.will_expire fixture's listener does).
for (const route of ['POST /v1/webhook_endpoints', 'POST /v1/webhook_endpoints/:id']) {
  const base = paramSpecs[route];
  const events = base?.fields?.enabled_events;
  if (base?.fields === undefined || typeof events !== 'object' || typeof events.item !== 'string')
    throw new Error(`param-specs: ${route} has no enabled_events`);
  (paramSpecs as Record<string, SpecNode>)[route] = o(
    { ...base.fields, enabled_events: a(`${events.item}|quote.will_expire`, events.flags) },
    base.flags,
  );
}
