// Who may act on which customer: a user only ever on their own; an API key on any customer of this
// paydesk, named by id. Another user's customer is reported as not found, never as forbidden, so ids
// cannot be probed.

import type { AppContext } from '../context.js';
import type { Principal } from '../platform/auth/principal.js';
import { AppError } from '../platform/errors.js';
import { ensureCustomer } from './service.js';
import { type CustomerRow, customerByExternalId, customerById } from './store.js';

function notFound(ref: string): AppError {
  return new AppError('not_found', `No such customer: ${ref}.`);
}

/**
 * The customer a request acts on. `ref` is a paydesk customer id, or `me` (users). Users who have no
 * customer yet get one created from their token (`create: true`), as the first checkout needs.
 */
export async function customerFor(
  s: AppContext,
  principal: Principal,
  ref: string | undefined,
  options: { create?: boolean } = {},
): Promise<CustomerRow> {
  if (principal.kind === 'user') {
    const own =
      (await customerByExternalId(s.db, principal.externalId)) ??
      (options.create
        ? (await ensureCustomer(s, { external_id: principal.externalId, email: principal.email })).customer
        : undefined);
    if (ref !== undefined && ref !== 'me' && ref !== own?.id) throw notFound(ref);
    if (!own) throw notFound('me');
    return own;
  }
  if (ref === undefined || ref === 'me') {
    throw new AppError('validation_failed', 'Name the customer: a paydesk customer id (cust_…).');
  }
  const customer = await customerById(s.db, ref);
  if (!customer) throw notFound(ref);
  return customer;
}

/** A customer that exists in Stripe (created there on demand). */
export async function withStripeCustomer(
  s: AppContext,
  customer: CustomerRow,
): Promise<CustomerRow & { stripe_customer_id: string }> {
  if (customer.stripe_customer_id) return customer as CustomerRow & { stripe_customer_id: string };
  const { customer: ensured } = await ensureCustomer(s, { external_id: customer.external_id });
  return ensured as CustomerRow & { stripe_customer_id: string };
}
