// Compiled by tsc only (never bundled): proves that the stand-in's objects fit @stripe/stripe-js's
// types, so code written against Stripe.js runs against the stand-in unchanged. Each function below
// returns its argument as the Stripe.js type; tsc fails the build when a method is missing or its
// parameters or results do not match.
import type * as StripeJs from '@stripe/stripe-js';
import type { Element, ElementsGroup } from './elements.js';
import type { StripeStandIn } from './stripe.js';

/** The Stripe object's methods the stand-in implements. */
export type SupportedStripeMethods =
  | 'elements'
  | 'confirmPayment'
  | 'confirmSetup'
  | 'confirmCardPayment'
  | 'confirmCardSetup'
  | 'retrievePaymentIntent'
  | 'retrieveSetupIntent'
  | 'handleNextAction'
  | 'handleCardAction'
  | 'redirectToCheckout';

export const stripeFits = (s: StripeStandIn): Pick<StripeJs.Stripe, SupportedStripeMethods> => s;

/** The whole Elements interface: update, on('update-end'), fetchUpdates, submit, every create/getElement. */
export const elementsFit = (e: ElementsGroup): StripeJs.StripeElements => e;

export const paymentElementFits = (e: Element): StripeJs.StripePaymentElement => e;
export const cardElementFits = (e: Element): StripeJs.StripeCardElement => e;
export const addressElementFits = (e: Element): StripeJs.StripeAddressElement => e;

/** `Stripe(pk, options)` fits the constructor's parameters. */
export const constructorFits = (
  make: (pk: string, options?: StripeJs.StripeConstructorOptions) => StripeStandIn,
): ((...args: Parameters<StripeJs.StripeConstructor>) => Pick<StripeJs.Stripe, SupportedStripeMethods>) =>
  make;
