// The Stripe.js stand-in served at <emulator>/v3/: `Stripe(pk)` with Elements (iframes served by the
// emulator), confirmations with 3-D Secure in a modal, intent retrieval and redirectToCheckout. Its
// surface is checked against @stripe/stripe-js's types in type-check.ts.
import type * as StripeJs from '@stripe/stripe-js';
import { Api, IntegrationError, intentIdOf } from './api.js';
import { type Element, ElementsGroup } from './elements.js';
import { type IntentResult, Intents, NEVER } from './intents.js';

type PaymentResult = StripeJs.PaymentIntentResult;
type SetupResult = StripeJs.SetupIntentResult;

/** Options of `confirmPayment` / `confirmSetup` (the union of Stripe.js's overloads). */
interface ConfirmOptions<P> {
  elements?: StripeJs.StripeElements;
  clientSecret?: string;
  confirmParams?: Partial<P>;
  redirect?: 'always' | 'if_required';
}

/** The script's own origin: where the emulator (API, element iframes, 3-D Secure page) is. */
const scriptOrigin = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  return src ? new URL(src).origin : location.origin;
})();

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key === '') {
    throw new IntegrationError('Please call Stripe() with your publishable key. You used an empty string.');
  }
  if (/^(sk|rk)_/.test(key)) {
    throw new IntegrationError(
      'You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.',
    );
  }
  if (key.startsWith('pk_live_')) {
    throw new IntegrationError('The paydesk Stripe emulator accepts test keys only: pass a pk_test_… key.');
  }
  if (!/^pk_test_[A-Za-z0-9_]+$/.test(key)) {
    throw new IntegrationError(
      `Invalid value for Stripe(): apiKey should be a publishable key (pk_test_…). You specified: ${key}.`,
    );
  }
  return key;
}

function groupOf(elements: StripeJs.StripeElements | undefined, method: string): ElementsGroup | undefined {
  if (elements === undefined) return undefined;
  if (!(elements instanceof ElementsGroup)) {
    throw new IntegrationError(
      `${method}: elements should be an Elements group created by stripe.elements().`,
    );
  }
  return elements;
}

/** The card element given to confirmCardPayment/confirmCardSetup (`payment_method.card`). */
function cardElementOf(card: unknown, method: string): Element {
  const el = card as Element | undefined;
  if (
    !el ||
    typeof el.request !== 'function' ||
    (el.elementType !== 'card' && el.elementType !== 'payment')
  ) {
    throw new IntegrationError(
      `${method}: payment_method.card should be a card Element created by elements.create('card').`,
    );
  }
  return el;
}

export function createStripe(publishableKey: string, options: StripeJs.StripeConstructorOptions = {}) {
  const key = checkKey(publishableKey);
  const api = new Api(scriptOrigin, key);
  const intents = new Intents(api, scriptOrigin);
  const host = { origin: scriptOrigin, publishableKey: key, locale: options.locale };

  /** The PaymentMethod for a confirmation: an id given, or one the element's iframe creates. */
  async function paymentMethodParams(
    group: ElementsGroup | undefined,
    params: Record<string, unknown>,
    method: string,
  ): Promise<{ params: Record<string, unknown> } | { error: StripeJs.StripeError }> {
    const {
      payment_method: pm,
      payment_method_data: data,
      ...rest
    } = params as {
      payment_method?: unknown;
      payment_method_data?: { billing_details?: unknown; metadata?: Record<string, string> };
    };
    if (typeof pm === 'string') return { params: { ...rest, payment_method: pm } };
    const element = group?.cardElement();
    if (element === undefined) {
      throw new IntegrationError(
        `${method}: pass elements (with a mounted Payment Element) or confirmParams.payment_method.`,
      );
    }
    const submitted = (await element.request({ type: 'submit' })) as { error?: StripeJs.StripeError };
    if (submitted.error) return { error: submitted.error };
    const created = await intents.paymentMethodFrom(element, data?.billing_details, data?.metadata);
    if ('error' in created) return { error: created.error };
    return { params: { ...rest, payment_method: created.id } };
  }

  async function confirmWithElements(
    kind: 'payment' | 'setup',
    method: string,
    opts: ConfirmOptions<Record<string, unknown>>,
  ): Promise<IntentResult> {
    if (typeof opts !== 'object' || opts === null)
      throw new IntegrationError(`${method}: expected an options object.`);
    const group = groupOf(opts.elements, method);
    const clientSecret = opts.clientSecret ?? group?.clientSecret;
    if (clientSecret === undefined) {
      throw new IntegrationError(`${method}: pass clientSecret, or elements created with a clientSecret.`);
    }
    const redirect = opts.redirect ?? 'always';
    if (redirect !== 'always' && redirect !== 'if_required') {
      throw new IntegrationError(`${method}: redirect should be 'always' or 'if_required'.`);
    }
    const confirmParams = { ...(opts.confirmParams ?? {}) };
    const returnTo = confirmParams.return_url;
    if (redirect === 'always' && (typeof returnTo !== 'string' || returnTo === '')) {
      throw new IntegrationError(
        `${method}(): the \`confirmParams.return_url\` argument is required unless passing \`redirect: 'if_required'\``,
      );
    }
    // A wrong client secret is an integration mistake: refused before the card is sent anywhere.
    intentIdOf(clientSecret, method, kind === 'payment' ? 'pi' : 'seti');
    const pm = await paymentMethodParams(group, confirmParams, method);
    if ('error' in pm) return { error: pm.error };
    return intents.confirm(kind, clientSecret, method, pm.params, {
      handleActions: true,
      redirectTo: redirect === 'always' ? (returnTo as string) : undefined,
      group,
    });
  }

  async function confirmCard(
    kind: 'payment' | 'setup',
    method: string,
    clientSecret: string,
    data: Record<string, unknown> | undefined,
    handleActions: boolean,
  ): Promise<IntentResult> {
    intentIdOf(clientSecret, method, kind === 'payment' ? 'pi' : 'seti');
    const { payment_method: pm, ...rest } = (data ?? {}) as { payment_method?: unknown };
    let params: Record<string, unknown> = rest;
    if (typeof pm === 'string') params = { ...rest, payment_method: pm };
    else if (pm !== undefined && pm !== null) {
      const { card, billing_details, metadata } = pm as {
        card?: unknown;
        billing_details?: unknown;
        metadata?: Record<string, string>;
      };
      const element = cardElementOf(card, method);
      const created = await intents.paymentMethodFrom(element, billing_details, metadata);
      if ('error' in created) return { error: created.error };
      params = { ...rest, payment_method: created.id };
    }
    return intents.confirm(kind, clientSecret, method, params, { handleActions });
  }

  function confirmPayment(options: {
    elements: StripeJs.StripeElements;
    confirmParams?: Partial<StripeJs.ConfirmPaymentData>;
    redirect: 'if_required';
  }): Promise<PaymentResult>;
  function confirmPayment(options: {
    elements?: StripeJs.StripeElements;
    clientSecret: string;
    confirmParams?: Partial<StripeJs.ConfirmPaymentData>;
    redirect: 'if_required';
  }): Promise<PaymentResult>;
  function confirmPayment(options: {
    elements: StripeJs.StripeElements;
    confirmParams: StripeJs.ConfirmPaymentData;
    redirect?: 'always';
  }): Promise<never | { error: StripeJs.StripeError }>;
  function confirmPayment(options: {
    elements?: StripeJs.StripeElements;
    clientSecret: string;
    confirmParams: StripeJs.ConfirmPaymentData;
    redirect?: 'always';
  }): Promise<never | { error: StripeJs.StripeError }>;
  function confirmPayment(options: ConfirmOptions<StripeJs.ConfirmPaymentData>): Promise<PaymentResult> {
    return confirmWithElements(
      'payment',
      'stripe.confirmPayment',
      options as ConfirmOptions<Record<string, unknown>>,
    ) as Promise<PaymentResult>;
  }

  function confirmSetup(options: {
    elements: StripeJs.StripeElements;
    confirmParams?: Partial<StripeJs.ConfirmPaymentData>;
    redirect: 'if_required';
  }): Promise<SetupResult>;
  function confirmSetup(options: {
    elements?: StripeJs.StripeElements;
    clientSecret: string;
    confirmParams?: Partial<StripeJs.ConfirmPaymentData>;
    redirect: 'if_required';
  }): Promise<SetupResult>;
  function confirmSetup(options: {
    elements: StripeJs.StripeElements;
    confirmParams: StripeJs.ConfirmPaymentData;
    redirect?: 'always';
  }): Promise<never | { error: StripeJs.StripeError }>;
  function confirmSetup(options: {
    elements?: StripeJs.StripeElements;
    clientSecret: string;
    confirmParams: StripeJs.ConfirmPaymentData;
    redirect?: 'always';
  }): Promise<never | { error: StripeJs.StripeError }>;
  function confirmSetup(options: ConfirmOptions<StripeJs.ConfirmPaymentData>): Promise<SetupResult> {
    return confirmWithElements(
      'setup',
      'stripe.confirmSetup',
      options as ConfirmOptions<Record<string, unknown>>,
    ) as Promise<SetupResult>;
  }

  function elements(options?: StripeJs.StripeElementsOptionsClientSecret): ElementsGroup;
  function elements(options?: StripeJs.StripeElementsOptionsMode): ElementsGroup;
  function elements(
    options: StripeJs.StripeElementsOptionsClientSecret | StripeJs.StripeElementsOptionsMode = {},
  ): ElementsGroup {
    return new ElementsGroup(host, options as Record<string, unknown>);
  }

  return {
    elements,
    confirmPayment,
    confirmSetup,
    confirmCardPayment(
      clientSecret: string,
      data?: StripeJs.ConfirmCardPaymentData,
      opts?: StripeJs.ConfirmCardPaymentOptions,
    ): Promise<PaymentResult> {
      return confirmCard(
        'payment',
        'stripe.confirmCardPayment',
        clientSecret,
        data as Record<string, unknown> | undefined,
        opts?.handleActions !== false,
      ) as Promise<PaymentResult>;
    },
    confirmCardSetup(
      clientSecret: string,
      data?: StripeJs.ConfirmCardSetupData,
      opts?: StripeJs.ConfirmCardSetupOptions,
    ): Promise<SetupResult> {
      return confirmCard(
        'setup',
        'stripe.confirmCardSetup',
        clientSecret,
        data as Record<string, unknown> | undefined,
        opts?.handleActions !== false,
      ) as Promise<SetupResult>;
    },
    retrievePaymentIntent(clientSecret: string): Promise<PaymentResult> {
      return intents.retrieve(
        'payment',
        clientSecret,
        'stripe.retrievePaymentIntent',
      ) as Promise<PaymentResult>;
    },
    retrieveSetupIntent(clientSecret: string): Promise<SetupResult> {
      return intents.retrieve('setup', clientSecret, 'stripe.retrieveSetupIntent') as Promise<SetupResult>;
    },
    handleNextAction(options: { clientSecret: string }): Promise<StripeJs.PaymentIntentOrSetupIntentResult> {
      const secret = options?.clientSecret;
      const kind = typeof secret === 'string' && secret.startsWith('seti_') ? 'setup' : 'payment';
      return intents.handle(
        kind,
        secret,
        'stripe.handleNextAction',
      ) as Promise<StripeJs.PaymentIntentOrSetupIntentResult>;
    },
    handleCardAction(clientSecret: string): Promise<PaymentResult> {
      return intents.handle('payment', clientSecret, 'stripe.handleCardAction') as Promise<PaymentResult>;
    },
    async redirectToCheckout(
      options: StripeJs.RedirectToCheckoutOptions,
    ): Promise<never | { error: StripeJs.StripeError }> {
      const sessionId = (options as { sessionId?: unknown })?.sessionId;
      if (typeof sessionId !== 'string' || !/^cs_(test_)?[A-Za-z0-9]+$/.test(sessionId)) {
        throw new IntegrationError(
          'stripe.redirectToCheckout: pass { sessionId } with the id of a Checkout Session (cs_test_…); ' +
            'the emulator does not create sessions from line items in the browser.',
        );
      }
      const r = await api.get<{ url?: string | null }>(`/v1/payment_pages/${sessionId}`);
      if (!r.ok) return { error: r.error };
      if (!r.body.url)
        return { error: { type: 'invalid_request_error', message: 'This Checkout Session has no URL.' } };
      location.assign(r.body.url);
      return NEVER;
    },
  };
}

export type StripeStandIn = ReturnType<typeof createStripe>;

/** `Stripe(pk, options)` as the page calls it (also with `new`). */
function Stripe(publishableKey: string, options?: StripeJs.StripeConstructorOptions): StripeStandIn {
  return createStripe(publishableKey, options);
}
Stripe.version = 3;

(globalThis as unknown as { Stripe: typeof Stripe }).Stripe = Stripe;
