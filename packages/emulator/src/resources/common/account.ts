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

/**
 * Whether the account refuses card tokens and card sources on the Customers and Charges APIs, as Stripe
 * does for accounts that have not enabled them in their API policies settings (`startEmulator(
 * {cardTokensEndOfLife: true})`, CLI `--card-tokens-end-of-life`). Off by default: the emulator plays
 * an account whose older integration still uses them.
 */
const tokensEndOfLife = new WeakSet<App>();

export function setCardTokensEndOfLife(app: App, on: boolean): void {
  if (on) tokensEndOfLife.add(app);
  else tokensEndOfLife.delete(app);
}

export function cardTokensEndOfLife(app: App): boolean {
  return tokensEndOfLife.has(app);
}
