import type { App } from '../../core/app.js';

/**
 * The account's business name, shown on the hosted Checkout page, the portal and the 3-D Secure page
 * (Stripe shows the account's public business name there). Set through `startEmulator({merchantName})`
 * or the CLI's `--merchant-name`; kept per App.
 */
const names = new WeakMap<App, string>();

export const DEFAULT_MERCHANT_NAME = 'paydesk test store';

export function setMerchantName(app: App, name: string): void {
  names.set(app, name);
}

export function merchantName(app: App): string {
  return names.get(app) ?? DEFAULT_MERCHANT_NAME;
}
