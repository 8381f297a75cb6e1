import type { AppContext } from '../context.js';
import { randomToken } from '../platform/auth/api-keys.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import {
  type CustomerRow,
  customerByExternalId,
  customerById,
  insertCustomer,
  setStripeCustomerId,
  updateCustomerContact,
} from './store.js';

export interface CustomerInput {
  external_id: string;
  email?: string | null | undefined;
  name?: string | null | undefined;
}

export function newCustomerId(): string {
  return `cust_${randomToken(16)}`;
}

/**
 * Creates the paydesk customer and its Stripe customer once per external_id. Safe to call again (it
 * returns the existing one) and safe after a crash half-way: the Stripe call's idempotency key is
 * derived from paydesk's own customer id, so a retry never makes a second Stripe customer.
 */
export async function ensureCustomer(
  s: AppContext,
  input: CustomerInput,
): Promise<{ customer: CustomerRow; created: boolean }> {
  let { customer, created } = await insertCustomer(s.db, {
    id: newCustomerId(),
    external_id: input.external_id,
    email: input.email ?? null,
    name: input.name ?? null,
  });
  if (!created && (input.email !== undefined || input.name !== undefined)) {
    const email = input.email === undefined ? customer.email : input.email;
    const name = input.name === undefined ? customer.name : input.name;
    if (email !== customer.email || name !== customer.name) {
      customer = await updateCustomerContact(s.db, customer.id, { email, name });
      if (customer.stripe_customer_id) {
        const stripeId = customer.stripe_customer_id;
        await callStripe(() =>
          s.stripe.customers.update(
            stripeId,
            { email: email ?? '', name: name ?? '' },
            {
              idempotencyKey: idempotencyKey(
                'customer.update',
                customer.id,
                email ?? '',
                name ?? '',
                customer.updated_at.toISOString(),
              ),
            },
          ),
        );
      }
    }
  }
  if (!customer.stripe_customer_id) {
    const c = customer;
    const stripeCustomer = await callStripe(() =>
      s.stripe.customers.create(
        {
          ...(c.email ? { email: c.email } : {}),
          ...(c.name ? { name: c.name } : {}),
          metadata: {
            paydesk_instance: s.config.instanceId,
            paydesk_customer_id: c.id,
            external_id: c.external_id,
          },
        },
        { idempotencyKey: idempotencyKey('customer.create', s.config.instanceId, c.id) },
      ),
    );
    customer = await setStripeCustomerId(s.db, c.id, stripeCustomer.id);
  }
  return { customer, created };
}

export { customerByExternalId, customerById };
