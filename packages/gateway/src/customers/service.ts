// Customers: paydesk's record of each customer of the host product and its Stripe customer. Other
// features read and change customers through this module (never through store.ts).
import type { AppContext } from '../context.js';
import { randomToken } from '../platform/auth/api-keys.js';
import { Batcher } from '../platform/batcher.js';
import type { Db } from '../platform/db/types.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import {
  type CustomerRow,
  contactsByStripeIds,
  customerByExternalId,
  customerById,
  customerByStripeId,
  demoUsers,
  insertCustomer,
  markCustomerDeleted,
  setStripeCustomerId,
  updateCustomerContact,
} from './store.js';

export type { CustomerRow };

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
            // Only what is set: neither field can go back to empty through paydesk's API, and Stripe
            // refuses '' for a customer's name (parameter_invalid_empty).
            { ...(email !== null ? { email } : {}), ...(name !== null ? { name } : {}) },
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

export {
  customerByExternalId,
  customerById,
  customerByStripeId,
  demoUsers,
  insertCustomer,
  markCustomerDeleted,
  setStripeCustomerId,
  updateCustomerContact,
};

export type CustomerContact = Pick<CustomerRow, 'id' | 'email' | 'name'>;

/**
 * The local customers of many Stripe customers, one statement for the lookups made at once (the
 * events of one claim are applied together): at most as many statements in flight as ingest batches.
 * One per context (AppContext.customers).
 */
export class CustomerLookup {
  private readonly batcher: Batcher<string, CustomerContact | undefined>;

  constructor(db: Db) {
    this.batcher = new Batcher(
      async (ids) => {
        const found = new Map((await contactsByStripeIds(db, ids)).map((c) => [c.stripe_customer_id, c]));
        return ids.map((id) => {
          const c = found.get(id);
          return c ? { id: c.id, email: c.email, name: c.name } : undefined;
        });
      },
      // Applying waits on nobody: on PostgreSQL (64 apply-jobs at once) a few milliseconds gather a
      // steady stream of lookups into one statement; PGlite runs 4 at once, which would wait out
      // every linger.
      db.kind === 'postgres'
        ? { maxBatch: 500, maxInFlight: 2, linger: { ms: 5, fill: 32 } }
        : { maxBatch: 500, maxInFlight: 1 },
    );
  }

  byStripeId(stripeId: string): Promise<CustomerContact | undefined> {
    return this.batcher.submit(stripeId);
  }

  /** Resolves once every lookup made so far has been answered. */
  close(): Promise<void> {
    return this.batcher.settled();
  }
}
