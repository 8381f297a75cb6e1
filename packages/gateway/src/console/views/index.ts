// The console's table views (console-tables owns this folder): each module exports a ConsoleView,
// listed here in nav order after the overview. See console/kit.ts for the contract.
import type { ConsoleView } from '../kit.js';
import { apiKeysView } from './api-keys.js';
import { creditsView, customersView } from './customers.js';
import { eventsView } from './events.js';
import { jobsView, notificationsView } from './jobs.js';
import { disputesView, refundsView, whmcsView } from './money-trail.js';
import { paymentsView } from './payments.js';
import { subscriptionsView } from './subscriptions.js';

export const consoleViews: readonly ConsoleView[] = [
  paymentsView,
  subscriptionsView,
  customersView,
  creditsView,
  refundsView,
  disputesView,
  eventsView,
  jobsView,
  notificationsView,
  whmcsView,
  apiKeysView,
];
