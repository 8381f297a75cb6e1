// Confirming PaymentIntents and SetupIntents from the browser and handling what follows: 3-D Secure in
// the modal, the redirect to `return_url` with the parameters Stripe.js adds.
import type { PaymentIntent, SetupIntent, StripeError } from '@stripe/stripe-js';
import { type Api, intentIdOf, type Params } from './api.js';
import type { Element, ElementsGroup } from './elements.js';
import { threeDSecureModal } from './three-ds.js';

export type IntentKind = 'payment' | 'setup';
type Intent = PaymentIntent | SetupIntent;
export type IntentResult =
  | { paymentIntent: PaymentIntent; error?: undefined }
  | { setupIntent: SetupIntent; error?: undefined }
  | { error: StripeError; paymentIntent?: undefined; setupIntent?: undefined };

/** A promise that never settles: the page is navigating away. */
export const NEVER = new Promise<never>(() => {});

const PREFIX = { payment: 'pi', setup: 'seti' } as const;
const PATH = { payment: 'payment_intents', setup: 'setup_intents' } as const;

export class Intents {
  constructor(
    readonly api: Api,
    readonly origin: string,
  ) {}

  result(kind: IntentKind, intent: Intent): IntentResult {
    return kind === 'payment'
      ? { paymentIntent: intent as PaymentIntent }
      : { setupIntent: intent as SetupIntent };
  }

  async retrieve(kind: IntentKind, clientSecret: string, method: string): Promise<IntentResult> {
    const id = intentIdOf(clientSecret, method, PREFIX[kind]);
    const r = await this.api.get<Intent>(`/v1/${PATH[kind]}/${id}`, { client_secret: clientSecret });
    return r.ok ? this.result(kind, r.body) : { error: r.error };
  }

  /** Creates the PaymentMethod inside the element's iframe (the card never reaches this page). */
  async paymentMethodFrom(
    element: Element,
    billingDetails: unknown,
    metadata?: Record<string, string>,
  ): Promise<{ id: string } | { error: StripeError }> {
    const r = (await element.request({
      type: 'create-payment-method',
      billingDetails: billingDetails as Record<string, unknown> | undefined,
      metadata,
    })) as { paymentMethod?: { id: string }; error?: StripeError };
    if (r.paymentMethod) return { id: r.paymentMethod.id };
    return { error: r.error ?? { type: 'api_error', message: 'The card could not be saved.' } };
  }

  /**
   * Confirms with the given parameters, then runs 3-D Secure in the modal when asked. With
   * `redirectTo`, a successful confirmation navigates there (and the promise never settles).
   */
  async confirm(
    kind: IntentKind,
    clientSecret: string,
    method: string,
    params: Params,
    options: { handleActions: boolean; redirectTo?: string | undefined; group?: ElementsGroup | undefined },
  ): Promise<IntentResult> {
    const id = intentIdOf(clientSecret, method, PREFIX[kind]);
    options.group?.setBusy(true);
    try {
      const r = await this.api.post<Intent>(`/v1/${PATH[kind]}/${id}/confirm`, {
        ...params,
        client_secret: clientSecret,
        use_stripe_sdk: true,
      });
      if (!r.ok) return { error: r.error };
      let intent = r.body;
      if (intent.status === 'requires_action' && options.handleActions) {
        const handled = await this.#nextAction(kind, intent, clientSecret);
        if ('error' in handled && handled.error) return handled;
        intent = handled.intent;
      }
      if (options.redirectTo !== undefined && isDone(intent)) {
        location.assign(returnUrl(kind, options.redirectTo, intent));
        return NEVER;
      }
      return this.result(kind, intent);
    } finally {
      options.group?.setBusy(false);
    }
  }

  /** `handleNextAction` / `handleCardAction`: the intent's pending action, then its state. */
  async handle(kind: IntentKind, clientSecret: string, method: string): Promise<IntentResult> {
    const current = await this.retrieve(kind, clientSecret, method);
    if (current.error) return current;
    const intent = intentOf(current);
    if (intent.status !== 'requires_action') {
      return {
        error: {
          type: 'invalid_request_error',
          code: kind === 'payment' ? 'payment_intent_unexpected_state' : 'setup_intent_unexpected_state',
          message: `${method}: the ${kind === 'payment' ? 'PaymentIntent' : 'SetupIntent'} has a status of ${intent.status}; it has no next action to handle.`,
        },
      };
    }
    const handled = await this.#nextAction(kind, intent, clientSecret);
    return 'error' in handled && handled.error ? handled : this.result(kind, handled.intent);
  }

  async #nextAction(
    kind: IntentKind,
    intent: Intent,
    clientSecret: string,
  ): Promise<{ intent: Intent; error?: undefined } | { error: StripeError }> {
    const action = intent.next_action as {
      type: string;
      redirect_to_url?: { url: string };
      use_stripe_sdk?: { stripe_js?: string };
    } | null;
    if (action?.type === 'redirect_to_url' && action.redirect_to_url?.url) {
      location.assign(action.redirect_to_url.url);
      return NEVER;
    }
    const url = action?.use_stripe_sdk?.stripe_js;
    if (action?.type !== 'use_stripe_sdk' || typeof url !== 'string') {
      return { intent };
    }
    await threeDSecureModal(url, intent.id, this.origin);
    const after = await this.retrieve(kind, clientSecret, 'handleNextAction');
    if (after.error) return { error: after.error };
    const next = intentOf(after);
    const last =
      kind === 'payment'
        ? (next as PaymentIntent).last_payment_error
        : (next as SetupIntent).last_setup_error;
    if (next.status === 'requires_payment_method' && last) {
      return {
        error: {
          ...(last as StripeError),
          ...(kind === 'payment'
            ? { payment_intent: next as PaymentIntent }
            : { setup_intent: next as SetupIntent }),
        },
      };
    }
    return { intent: next };
  }
}

function intentOf(r: IntentResult): Intent {
  return ('paymentIntent' in r ? r.paymentIntent : 'setupIntent' in r ? r.setupIntent : undefined) as Intent;
}

function isDone(intent: Intent): boolean {
  return (
    intent.status === 'succeeded' || intent.status === 'processing' || intent.status === 'requires_capture'
  );
}

/** `return_url` with the parameters Stripe.js adds after a confirmation. */
export function returnUrl(kind: IntentKind, base: string, intent: Intent): string {
  const url = new URL(base, location.href);
  const name = kind === 'payment' ? 'payment_intent' : 'setup_intent';
  url.searchParams.set(name, intent.id);
  url.searchParams.set(`${name}_client_secret`, intent.client_secret ?? '');
  url.searchParams.set('redirect_status', intent.status === 'requires_capture' ? 'succeeded' : intent.status);
  return url.toString();
}
