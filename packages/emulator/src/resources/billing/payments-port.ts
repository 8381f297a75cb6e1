import type { App } from '../../core/app.js';
import type { Ctx } from '../../core/context.js';

/**
 * How the billing engine reaches PaymentIntents without depending on the payments resource module
 * (which registers itself here; see `billing/payments-wiring.ts`). Without a registered
 * implementation (an emulator built without payment resources) invoices still work: they just have
 * no PaymentIntent and can only be paid out of band.
 */
export interface PaymentOutcome {
  status: 'succeeded' | 'failed' | 'requires_action' | 'requires_payment_method' | 'processing';
  /** The decline, when `failed` (or an authentication error for `requires_action` off-session). */
  error?: { code: string; declineCode?: string | undefined; message: string } | undefined;
  paymentMethod: string | null;
}

export interface InvoicePaymentsPort {
  /** Creates an unconfirmed PaymentIntent for an invoice; returns its id and client secret. */
  create(
    ctx: Ctx,
    init: {
      amount: number;
      currency: string;
      customer: string;
      description: string | null;
      metadata: Record<string, string>;
      setupFutureUsage: boolean;
    },
  ): { id: string; clientSecret: string };
  /** Confirms it with a payment method. Never throws on a decline: the outcome says what happened. */
  confirm(ctx: Ctx, paymentIntent: string, paymentMethod: string, offSession: boolean): PaymentOutcome;
  /** Cancels it (voided invoices, expired subscriptions). */
  cancel(ctx: Ctx, paymentIntent: string): void;
  clientSecret(ctx: Ctx, paymentIntent: string): string | null;
}

const ports = new WeakMap<App, InvoicePaymentsPort>();
let defaultPort: InvoicePaymentsPort | undefined;

/** The payments module calls this once at import time; apps then all use it. */
export function registerInvoicePayments(port: InvoicePaymentsPort, app?: App): void {
  if (app) ports.set(app, port);
  else defaultPort = port;
}

export function invoicePayments(app: App): InvoicePaymentsPort | undefined {
  return ports.get(app) ?? defaultPort;
}

/** Reactions to a PaymentIntent outcome, set by the invoice engine (PI id → invoice). */
export type PaymentIntentReaction = (ctx: Ctx, paymentIntent: string, outcome: PaymentOutcome) => void;
