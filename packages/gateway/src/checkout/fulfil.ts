// What a paid checkout gives the customer: the payment in the history and, for a credit pack, its
// credits — in one transaction, once (keyed by the payment intent and the checkout), with the
// notifications in the same transaction. The webhook handler and the verified return page (the
// "stale success page") both come through here, so whichever comes first applies it.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { grantPackCredits } from '../credits/service.js';
import { recordPaymentAndNotify } from '../payments/service.js';
import { withTransaction } from '../platform/db/tx.js';
import type { CheckoutRow } from './store.js';

export function isPaid(session: Pick<Stripe.Checkout.Session, 'status' | 'payment_status'>): boolean {
  return (
    session.status === 'complete' &&
    (session.payment_status === 'paid' || session.payment_status === 'no_payment_required')
  );
}

/** Applies a paid checkout session (idempotent). `pi` is the session's payment intent, expanded. */
export async function fulfilCheckout(
  s: AppContext,
  record: CheckoutRow,
  session: Stripe.Checkout.Session,
  pi: Stripe.PaymentIntent | null,
): Promise<void> {
  if (!isPaid(session)) return;
  await withTransaction(s, async (tx) => {
    if (pi) {
      await recordPaymentAndNotify(
        s,
        tx,
        pi,
        {
          source: 'checkout',
          customer_id: record.customer_id,
          checkout_session_id: record.id,
          item_kind: record.kind,
          item_id: record.item_id,
          quantity: record.quantity,
        },
        {
          checkout: record.id,
          item: record.item_id ? { kind: record.kind, id: record.item_id, quantity: record.quantity } : null,
        },
      );
    }
    if (record.kind === 'pack' && record.item_id && record.customer_id) {
      await grantPackCredits(
        s,
        tx,
        {
          customerId: record.customer_id,
          packId: record.item_id,
          quantity: record.quantity,
          cause: `checkout:${record.id}`,
        },
        { checkout: record.id },
      );
    }
  });
}
