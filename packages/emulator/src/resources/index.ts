import type { Resource } from '../core/resource.js';
import { webhookEndpoints } from '../webhooks/endpoints.js';
import { balance } from './balance.js';
import { balanceTransactions } from './balance-transactions.js';
import { mandates } from './bank-debits.js';
import { billingPortal } from './billing-portal.js';
import { charges } from './charges.js';
import { checkoutSessions } from './checkout-sessions.js';
import { coupons } from './coupons.js';
import { creditNotes } from './credit-notes.js';
import { customerBalance } from './customer-balance.js';
import { customers } from './customers.js';
import { disputes } from './disputes.js';
import { events } from './events.js';
import { invoiceItems } from './invoice-items.js';
import { invoices } from './invoices.js';
import { legacyCharges } from './legacy-charges.js';
import { paymentIntents } from './payment-intents.js';
import { paymentLinks } from './payment-links.js';
import { paymentMethods } from './payment-methods.js';
import { plans } from './plans.js';
import { prices } from './prices.js';
import { products } from './products.js';
import { promotionCodes } from './promotion-codes.js';
import { quotes } from './quotes.js';
import { refunds } from './refunds.js';
import { searchRoutes } from './search.js';
import { setupIntents } from './setup-intents.js';
import { subscriptionItems } from './subscription-items.js';
import { subscriptionSchedules } from './subscription-schedules.js';
import { subscriptions } from './subscriptions.js';
import { taxIds } from './tax-ids.js';
import { taxRates } from './tax-rates.js';
import { testClocks } from './test-clocks.js';
import { tokens } from './tokens.js';

/** Every resource the emulator serves. Add a new resource module here (one line). */
export const allResources: readonly Resource[] = [
  customers,
  products,
  prices,
  coupons,
  promotionCodes,
  events,
  paymentMethods,
  paymentIntents,
  charges,
  setupIntents,
  refunds,
  disputes,
  checkoutSessions,
  billingPortal,
  invoiceItems,
  invoices,
  subscriptions,
  subscriptionItems,
  subscriptionSchedules,
  testClocks,
  webhookEndpoints,
  searchRoutes,
  taxRates,
  creditNotes,
  customerBalance,
  taxIds,
  balance,
  balanceTransactions,
  mandates,
  // emulegacy: the legacy surface (tokens and card sources, charges from sources, plans, payment links, quotes)
  tokens,
  legacyCharges,
  plans,
  paymentLinks,
  quotes,
];
