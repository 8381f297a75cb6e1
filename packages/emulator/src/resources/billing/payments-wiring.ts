import type { Ctx } from '../../core/context.js';
import { invoicePaymentMethodTypes } from '../bank-debits.js';
import type { EngineCtx } from '../common/engine.js';
import {
  cancelPaymentIntent,
  confirmPaymentIntentInternal,
  createPaymentIntentInternal,
  onPaymentIntent,
  type PaymentIntent,
} from '../payment-intents.js';
import { onPaymentIntentOutcome } from './collect.js';
import { ctxFor, systemCtx } from './context.js';
import { type PaymentOutcome, registerInvoicePayments } from './payments-port.js';

/** Plugs the payments resource into the billing engine: invoices' PaymentIntents and their outcomes. */

function outcomeOf(pi: PaymentIntent): PaymentOutcome {
  const pm = typeof pi.payment_method === 'string' ? pi.payment_method : (pi.payment_method?.id ?? null);
  const err = pi.last_payment_error;
  const error = err
    ? {
        code: String(err.code ?? 'card_declined'),
        declineCode: err.decline_code,
        message: err.message ?? 'Your card was declined.',
      }
    : undefined;
  switch (pi.status) {
    case 'succeeded':
      return { status: 'succeeded', paymentMethod: pm };
    case 'requires_action':
      return {
        status: 'requires_action',
        paymentMethod: pm,
        error: error ?? { code: 'authentication_required', message: 'This payment requires authentication.' },
      };
    case 'processing':
      return { status: 'processing', paymentMethod: pm };
    default:
      return error
        ? { status: 'failed', paymentMethod: pm, error }
        : { status: 'requires_payment_method', paymentMethod: pm };
  }
}

function isCtx(ctx: EngineCtx): ctx is Ctx {
  return 'requestId' in ctx;
}

function fullCtx(ctx: EngineCtx): Ctx {
  return isCtx(ctx) ? ctx : systemCtx(ctx.app, ctx.now());
}

function requirePi(ctx: Ctx, id: string): PaymentIntent {
  return ctx.store.c('payment_intent').require(id, 'payment_intent');
}

registerInvoicePayments({
  create(ctx, init) {
    const pi = createPaymentIntentInternal(ctx, {
      amount: init.amount,
      currency: init.currency,
      customer: init.customer,
      description: init.description,
      metadata: init.metadata,
      setup_future_usage: init.setupFutureUsage ? 'off_session' : null,
      // Cards and the currency's bank debit (no redirect-based methods, so no return_url needed).
      payment_method_types: invoicePaymentMethodTypes(init.currency),
    });
    return { id: pi.id, clientSecret: pi.client_secret ?? '' };
  },
  confirm(ctx, id, paymentMethod, offSession) {
    const pi = requirePi(ctx, id);
    confirmPaymentIntentInternal(ctx, pi, {
      payment_method: paymentMethod,
      off_session: offSession,
      off_session_awaits_action: true,
    });
    return outcomeOf(pi);
  },
  cancel(ctx, id) {
    const pi = ctx.store.c('payment_intent').get(id);
    if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') cancelPaymentIntent(ctx, pi);
  },
  clientSecret(ctx, id) {
    return ctx.store.c('payment_intent').get(id)?.client_secret ?? null;
  },
});

function react(ctx: EngineCtx, pi: PaymentIntent): void {
  const link = ctx.store.c('_invoice_by_pi').get(pi.id);
  if (link === undefined) return;
  const inv = ctx.store.c('invoice').get(link.invoice);
  const c = ctxFor(fullCtx(ctx), (inv?.customer as string | undefined) ?? null);
  onPaymentIntentOutcome(c, pi.id, outcomeOf(pi));
}

onPaymentIntent('succeeded', react);
onPaymentIntent('failed', react);
onPaymentIntent('requires_action', react);
