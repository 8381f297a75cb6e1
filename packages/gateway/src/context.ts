import type Stripe from 'stripe';
import type { Catalog } from './catalog/catalog.js';
import type { PriceResolver } from './catalog/price-resolver.js';
import type { BrowserStripe } from './pages/layout.js';
import type { Config } from './platform/config.js';
import type { Migration } from './platform/db/migrate.js';
import type { Db } from './platform/db/types.js';
import type { Logger } from './platform/logger.js';
import type { JobQueue } from './platform/queue/types.js';
import type { Secrets } from './platform/secrets.js';

/** Everything the app talks to, handed in from outside so that a test can choose each piece. */
export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** The migrations this build ships; /readyz compares the database against them. */
  migrations: readonly Migration[];
  /** The Stripe SDK, pointed at Stripe or at the emulator (see platform/stripe/client.ts). */
  stripe: Stripe;
  catalog: Catalog;
  prices: PriceResolver;
  secrets: Secrets;
  /** The current time (tests move it). */
  now: () => Date;
  /** Durable jobs (webhook processing, notifications, queued refunds). */
  queue: JobQueue;
  /** Secrets Stripe signs webhooks with (several during rotation). */
  webhookSecrets: string[];
  /**
   * Whether start-up has finished (server.ts: the webhook endpoint registered in an emulator, the
   * job queue started); /readyz answers 503 until it has. Absent: nothing left to start.
   */
  started?: () => boolean;
  /**
   * Stripe.js for the billing pages (URL, publishable key, CSP origins): pages/stripe-js.ts builds it
   * from the settings and the emulator's URL. Absent: derived from the settings alone.
   */
  browserStripe?: BrowserStripe;
}
