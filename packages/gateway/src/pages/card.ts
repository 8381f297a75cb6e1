// Updating the card: a SetupIntent confirmed in the browser with the Payment Element, then made the
// customer's default (and the live subscription's) once Stripe says it succeeded.

import type { AppContext } from '../context.js';
import { withStripeCustomer } from '../customers/access.js';
import { recordDefaultCard } from '../customers/cards.js';
import { randomToken } from '../platform/auth/api-keys.js';
import { AppError } from '../platform/errors.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { listSubscriptions, liveStatuses } from '../subscriptions/service.js';
import { customerOf, mainSubscription } from './service.js';
import type { PageSession } from './session.js';

/** A new SetupIntent for the user's Stripe customer; its client secret goes to the Payment Element. */
export async function startCardUpdate(
  s: AppContext,
  session: PageSession,
): Promise<{ id: string; clientSecret: string }> {
  const customer = await withStripeCustomer(s, await customerOf(s, session));
  const si = await callStripe(() =>
    s.stripe.setupIntents.create(
      {
        customer: customer.stripe_customer_id,
        usage: 'off_session',
        metadata: { paydesk_instance: s.config.instanceId, paydesk_customer_id: customer.id },
      },
      { idempotencyKey: idempotencyKey('card.setup', s.config.instanceId, customer.id, randomToken(16)) },
    ),
  );
  if (!si.client_secret)
    throw new AppError('stripe_error', 'Stripe returned no client secret for the card form.');
  return { id: si.id, clientSecret: si.client_secret };
}

export type CardOutcome = { ok: true; last4: string | undefined } | { ok: false; message: string };

/** The browser says the SetupIntent is done: check with Stripe, then make its card the default. */
export async function finishCardUpdate(
  s: AppContext,
  session: PageSession,
  setupIntentId: string,
): Promise<CardOutcome> {
  const customer = await withStripeCustomer(s, await customerOf(s, session));
  const si = await callStripe(() =>
    s.stripe.setupIntents.retrieve(setupIntentId, { expand: ['payment_method'] }),
  );
  const owner = typeof si.customer === 'string' ? si.customer : si.customer?.id;
  if (owner !== customer.stripe_customer_id)
    throw new AppError('not_found', `No such card update: ${setupIntentId}.`);
  if (si.status !== 'succeeded' || !si.payment_method) {
    return {
      ok: false,
      message: si.last_setup_error?.message ?? 'The card was not saved. Nothing changed; try again.',
    };
  }
  const pm = typeof si.payment_method === 'string' ? si.payment_method : si.payment_method.id;
  const at = s.now();
  await callStripe(() =>
    s.stripe.customers.update(
      customer.stripe_customer_id,
      { invoice_settings: { default_payment_method: pm } },
      { idempotencyKey: idempotencyKey('card.default', s.config.instanceId, customer.id, si.id) },
    ),
  );
  const main = mainSubscription(await listSubscriptions(s, customer));
  if (main && liveStatuses.has(main.subscription.status)) {
    await callStripe(() =>
      s.stripe.subscriptions.update(
        main.subscription.id,
        { default_payment_method: pm },
        { idempotencyKey: idempotencyKey('card.subscription', s.config.instanceId, main.record.id, si.id) },
      ),
    );
  }
  // The card the account page shows from now on (before the customer.updated webhook says so).
  await recordDefaultCard(s.db, customer.id, si.payment_method, at);
  const last4 = typeof si.payment_method === 'string' ? undefined : si.payment_method.card?.last4;
  return { ok: true, last4 };
}
