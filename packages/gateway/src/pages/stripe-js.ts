// Where the billing pages load Stripe.js from, with which publishable key, and which origins their
// CSP must allow for it: STRIPE_JS_URL / STRIPE_PUBLISHABLE_KEY, else the emulator's /v3/ and a
// pk_test_ key in embedded mode, else Stripe's own https://js.stripe.com/v3/.
import { type Config, EMULATOR_PUBLISHABLE_KEY } from '../platform/config.js';
import type { BrowserStripe } from './layout.js';

/** Stripe's own origins: Stripe.js, its API and frames, hosted Checkout and the customer portal. */
const STRIPE_ORIGINS = [
  'https://js.stripe.com',
  'https://api.stripe.com',
  'https://hooks.stripe.com',
  'https://m.stripe.network',
  'https://checkout.stripe.com',
  'https://billing.stripe.com',
];

/**
 * `emulatorUrl`: the emulator paydesk talks to (embedded, or STRIPE_API_BASE), undefined with real
 * Stripe.
 */
export function browserStripeFor(
  config: Pick<Config, 'stripeJsUrl' | 'stripePublishableKey' | 'stripeSecretKey'>,
  emulatorUrl: string | undefined,
): BrowserStripe {
  const onEmulator = emulatorUrl !== undefined;
  const jsUrl =
    config.stripeJsUrl ??
    (onEmulator ? `${emulatorUrl.replace(/\/$/, '')}/v3/` : 'https://js.stripe.com/v3/');
  const publishableKey = config.stripePublishableKey ?? (onEmulator ? EMULATOR_PUBLISHABLE_KEY : undefined);
  const origins = new Set<string>([new URL(jsUrl).origin]);
  if (onEmulator) origins.add(new URL(emulatorUrl).origin);
  else for (const o of STRIPE_ORIGINS) origins.add(o);
  return { jsUrl, publishableKey, origins: [...origins] };
}
