import type { App } from '../../core/app.js';

/**
 * Emulator-wide billing settings, the stand-in for the Dashboard's "Subscriptions and emails"
 * settings: when failed payments are retried (Smart Retries stand-in) and what happens to the
 * subscription after the last retry fails.
 */
export interface BillingSettings {
  /** Days after each failed automatic attempt before the next one (one entry per retry). */
  retryDays: number[];
  /** Subscription status once every retry has failed (Stripe's default: cancel). */
  afterRetries: 'cancel' | 'unpaid' | 'past_due';
  /** Days before a trial ends at which `customer.subscription.trial_will_end` is sent. */
  trialWillEndDays: number;
  /** Hours an `incomplete` subscription waits for its first payment before `incomplete_expired`. */
  incompleteExpiryHours: number;
  /**
   * Days before an automatically charged renewal at which `invoice.upcoming` is sent (the Dashboard's
   * "upcoming renewal events"); null sends none.
   */
  upcomingRenewalDays: number | null;
  /**
   * Days before an open or draft quote's `expires_at` at which `quote.will_expire` is sent (on Stripe
   * the X of a Billing automation set up in the Dashboard); null sends none.
   */
  quoteWillExpireDays: number | null;
}

export const DEFAULT_BILLING_SETTINGS: Readonly<BillingSettings> = Object.freeze({
  retryDays: [3, 5, 7],
  afterRetries: 'cancel',
  trialWillEndDays: 3,
  incompleteExpiryHours: 23,
  upcomingRenewalDays: 3,
  quoteWillExpireDays: 7,
});

const settings = new WeakMap<App, BillingSettings>();

export function billingSettings(app: App): BillingSettings {
  let s = settings.get(app);
  if (s === undefined) {
    s = { ...DEFAULT_BILLING_SETTINGS, retryDays: [...DEFAULT_BILLING_SETTINGS.retryDays] };
    settings.set(app, s);
  }
  return s;
}

/** Changes the billing settings of one emulator (tests, the control API). Returns the result. */
export function configureBilling(app: App, next: Partial<BillingSettings>): BillingSettings {
  const s = billingSettings(app);
  if (next.retryDays !== undefined) {
    if (!next.retryDays.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error('retryDays must be positive whole days');
    }
    s.retryDays = [...next.retryDays];
  }
  if (next.afterRetries !== undefined) s.afterRetries = next.afterRetries;
  if (next.trialWillEndDays !== undefined) s.trialWillEndDays = next.trialWillEndDays;
  if (next.incompleteExpiryHours !== undefined) s.incompleteExpiryHours = next.incompleteExpiryHours;
  if (next.upcomingRenewalDays !== undefined) s.upcomingRenewalDays = next.upcomingRenewalDays;
  if (next.quoteWillExpireDays !== undefined) s.quoteWillExpireDays = next.quoteWillExpireDays;
  return s;
}
