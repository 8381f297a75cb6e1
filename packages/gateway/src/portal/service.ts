// The Stripe customer portal: a short-lived URL where the customer manages payment methods, invoices
// and subscriptions, coming back to a checked return URL.

import type { AppContext } from '../context.js';
import { withStripeCustomer } from '../customers/access.js';
import type { CustomerRow } from '../customers/service.js';
import { randomToken } from '../platform/auth/api-keys.js';
import { checkRedirect } from '../platform/redirects.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';

export interface PortalSession {
  id: string;
  url: string;
  return_url: string;
}

/**
 * Opens a portal session for the customer. `returnUrl` must point to an allowed origin (else
 * invalid_redirect naming return_url); by default the customer comes back to PAYDESK_PUBLIC_URL.
 */
export async function createPortalSession(
  s: AppContext,
  customerRow: CustomerRow,
  returnUrl?: string,
): Promise<PortalSession> {
  const checked =
    returnUrl === undefined ? s.config.publicUrl : checkRedirect(s.config, returnUrl, 'return_url');
  const customer = await withStripeCustomer(s, customerRow);
  // Each request is its own operation: a portal session is a short-lived link with no side effect.
  const operation = `ps_${randomToken(16)}`;
  const session = await callStripe(() =>
    s.stripe.billingPortal.sessions.create(
      { customer: customer.stripe_customer_id, return_url: checked },
      { idempotencyKey: idempotencyKey('portal.session', s.config.instanceId, customer.id, operation) },
    ),
  );
  return { id: session.id, url: session.url, return_url: session.return_url ?? checked };
}
