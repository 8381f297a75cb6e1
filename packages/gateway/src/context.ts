// The context: everything paydesk talks to, built in one place (createContext) by the server, the CLI
// and the tests alike. Each resource is a typed member, opened here and closed by the context itself,
// in the reverse order of opening (the queue first, the database last); where the context lives in an
// app, the app's onClose hook closes it (contextPlugin).
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { type Catalog, demoCatalogPath, loadCatalog } from './catalog/catalog.js';
import { PriceResolver } from './catalog/price-resolver.js';
import { applySync, planSync } from './catalog/sync.js';
import { CustomerLookup } from './customers/service.js';
import { VerifiedKeys } from './platform/auth/api-keys.js';
import { type Clock, systemClock } from './platform/clock.js';
import type { Config } from './platform/config.js';
import type { Migration } from './platform/db/migrate.js';
import { openDatabase, whenOpen } from './platform/db/open.js';
import type { Db } from './platform/db/types.js';
import { createLogger, type Logger } from './platform/logger.js';
import type { RetryPolicy } from './platform/queue/backoff.js';
import { DbJobQueue } from './platform/queue/db/queue.js';
import type { JobTable } from './platform/queue/db/table.js';
import { Broker } from './platform/queue/rabbitmq/broker.js';
import { Outbox } from './platform/queue/rabbitmq/outbox.js';
import { RabbitJobQueue } from './platform/queue/rabbitmq/queue.js';
import {
  declareCompatQueue,
  declareJobTopology,
  type Topology,
  topology,
} from './platform/queue/rabbitmq/topology.js';
import type { JobQueue } from './platform/queue/types.js';
import { resolveSecrets, type Secrets } from './platform/secrets.js';
import { connectStripe, type StripeConnection } from './platform/stripe/connect.js';
import { type EventTally, newEventTally } from './webhooks/apply.js';
import { APPLY_EVENT_JOB, eventTable } from './webhooks/event-queue.js';
import { EventIngestor } from './webhooks/ingest.js';

/** Everything the app talks to, handed in from outside so that a test can choose each piece. */
export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  /** The database; while it is still opening, calls wait for it (start-up builds the app meanwhile). */
  readonly db: Db;
  /** The migrations this build ships (filled once the database is migrated); /readyz compares against them. */
  migrations: readonly Migration[];
  /** The Stripe SDK, pointed at Stripe or at an emulator (see platform/stripe/connect.ts). */
  readonly stripe: Stripe;
  /** Where Stripe calls go, and the in-process emulator's URL in embedded mode. */
  readonly connection: Pick<StripeConnection, 'mode' | 'emulatorUrl'>;
  readonly catalog: Catalog;
  readonly prices: PriceResolver;
  readonly secrets: Secrets;
  /** The current time (tests move it). */
  readonly now: () => Date;
  /** Durable jobs (webhook processing, notifications). */
  readonly queue: JobQueue;
  /**
   * RabbitMQ (RABBITMQ_URL): the connection, its outbox (messages written in a transaction, published
   * after the commit) and the names of paydesk's exchange and queues. Absent without RABBITMQ_URL.
   */
  readonly rabbitmq: RabbitMq | undefined;
  /** Stores verified webhook deliveries in batches (its pressure holds the apply-jobs back). */
  readonly ingestor: EventIngestor;
  /** The local customers of Stripe customers, looked up in batches while events are applied. */
  readonly customers: CustomerLookup;
  /** API keys verified recently (the embedded database only; see VerifiedKeys). */
  readonly verifiedKeys: VerifiedKeys;
  /** The outcomes of the events this process applied, for /metrics. */
  readonly applied: EventTally;
  /** Secrets Stripe signs webhooks with (several during rotation; in emulator mode, filled at start). */
  readonly webhookSecrets: string[];
  /**
   * Whether start-up has finished (server.ts: the webhook endpoint registered in an emulator, the
   * job queue started); /readyz answers 503 until it has. Absent: nothing left to start.
   */
  started?: () => boolean;
}

export interface RabbitMq {
  readonly broker: Broker;
  readonly outbox: Outbox;
  readonly topology: Topology;
}

/** A context and what its owner does with it: wait until it is open, and close it. */
export interface Context extends AppContext {
  /** The queue's own interface, for the owner that starts it (takeBackOrphans is database-only). */
  readonly jobs: DbJobQueue;
  /** Resolves once every resource is open (the database is the last to be); rejects if one failed. */
  opened(): Promise<void>;
  /**
   * Closes what the context opened, in reverse order: stops the queue (running jobs get `drainMs`),
   * lets the batchers settle, then closes Stripe's connection (an in-process emulator) and the
   * database. Resources handed in through overrides are not closed. Calling it again waits for the first.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

export interface ContextOverrides {
  logger?: Logger;
  /** A database to use instead of opening the configured one (its owner closes it, not the context). */
  db?: Db;
  /** Stripe to use instead of connecting as configured; closed with the context unless `owned: false`. */
  stripe?: StripeConnection & { owned?: boolean };
  catalog?: Catalog;
  secrets?: Secrets;
  now?: () => Date;
  /** The job queue's clock (polls, leases, back-off). */
  clock?: Clock;
  queue?: {
    pollMs?: number;
    retry?: RetryPolicy;
    leaseMs?: number;
    /** Tables of kinds, over the defaults (the database backend's; tests count claims with them). */
    tables?: Readonly<Record<string, JobTable>>;
    handOffLimits?: Readonly<Record<string, number>>;
  };
  /** The RabbitMQ transport's timing (tests make a lost message come back sooner). */
  rabbitmq?: { staleMs?: number; sweepEveryMs?: number; recoverAfterMs?: number; recoverEveryMs?: number };
  webhookSecrets?: readonly string[];
  migrations?: readonly Migration[];
  /** Creates the catalog's products and prices in Stripe first (default: with an in-process emulator only). */
  syncCatalog?: boolean;
}

/** What a resource needs from its owner: a name (for logs) and a close. */
interface Opened {
  name: string;
  close(): Promise<void>;
}

/**
 * Builds the context for `config`. The database opens in the background while Stripe, the catalog
 * and the secrets load (the longest step of a start: PGlite compiles its WebAssembly); `db` can be
 * used at once, and `opened()` says when it is open. A failure closes whatever was opened already.
 */
export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<Context> {
  const logger = overrides.logger ?? createLogger(config);
  const opened: Opened[] = [];
  const closeOpened = async () => {
    for (const r of [...opened].reverse())
      await r.close().catch((err: unknown) => logger.warn({ err, resource: r.name }, 'closing failed'));
  };

  // The database: opened here unless handed in; calls wait for it meanwhile.
  const opening = overrides.db ? Promise.resolve(overrides.db) : openDatabase(config);
  opening.catch(() => {}); // awaited in opened(); this only keeps a failure from counting as unhandled meanwhile
  const db = overrides.db ?? whenOpen(config.databaseUrl ? 'postgres' : 'pglite', opening);
  if (!overrides.db)
    opened.push({
      name: 'database',
      close: () =>
        opening.then(
          (d) => d.close(),
          () => {},
        ),
    });

  let stripe: StripeConnection;
  let catalog: Catalog;
  let secrets: Secrets;
  try {
    [catalog, stripe, secrets] = await Promise.all([
      overrides.catalog ?? loadCatalog(config.catalogPath ?? demoCatalogPath, config.instanceId),
      overrides.stripe ?? connectStripe(config, logger),
      overrides.secrets ?? resolveSecrets(config),
    ]);
  } catch (err) {
    await closeOpened();
    throw err;
  }
  if (overrides.stripe?.owned !== false) opened.push({ name: 'stripe', close: () => stripe.close() });
  if (overrides.syncCatalog ?? stripe.mode === 'embedded-emulator') {
    try {
      const plan = await planSync(stripe.stripe, catalog);
      await applySync(stripe.stripe, plan);
      if (plan.actions.length > 0 && stripe.mode === 'embedded-emulator')
        logger.info({ changes: plan.actions.length }, 'catalog synced into the emulator');
    } catch (err) {
      await closeOpened();
      throw err;
    }
  }

  const leaseMs = overrides.queue?.leaseMs;
  const jobs = new DbJobQueue({
    db,
    logger,
    ...(overrides.queue?.pollMs !== undefined ? { pollMs: overrides.queue.pollMs } : {}),
    ...(overrides.queue?.retry ? { retry: overrides.queue.retry } : {}),
    ...(leaseMs !== undefined ? { leaseMs } : {}),
    clock: overrides.clock ?? systemClock,
    // A stored webhook event is its own apply-job (no second row per event).
    tables: { [APPLY_EVENT_JOB]: eventTable, ...overrides.queue?.tables },
    // Events this process received wait here (leased to it) until a slot is free, instead of being
    // claimed back from the table; beyond this many, they wait in the table for any worker.
    handOffLimits: {
      [APPLY_EVENT_JOB]: db.kind === 'postgres' ? 4_000 : 500,
      ...overrides.queue?.handOffLimits,
    },
  });
  let queue: JobQueue = jobs;
  let rabbitmq: RabbitMq | undefined;
  if (config.rabbitmqUrl) {
    const t = topology(config.rabbitmqPrefix);
    const broker = new Broker({
      url: config.rabbitmqUrl,
      name: `paydesk ${t.prefix}`,
      logger,
      setup: async (ch) => {
        await declareJobTopology(ch, t);
        if (config.refundQueues) {
          await declareCompatQueue(ch, config.refundQueues.requests);
          await declareCompatQueue(ch, config.refundQueues.responses);
        }
      },
    });
    try {
      await broker.start();
    } catch (err) {
      await closeOpened();
      throw err;
    }
    opened.push({ name: 'rabbitmq', close: () => broker.close() });
    const clock = overrides.clock ?? systemClock;
    const r = overrides.rabbitmq ?? {};
    const outbox = new Outbox({
      db,
      broker,
      topology: t,
      logger,
      clock,
      ...(r.recoverAfterMs !== undefined ? { recoverAfterMs: r.recoverAfterMs } : {}),
      ...(r.recoverEveryMs !== undefined ? { recoverEveryMs: r.recoverEveryMs } : {}),
    });
    queue = new RabbitJobQueue({
      db,
      logger,
      clock,
      broker,
      outbox,
      topology: t,
      local: jobs,
      tableKinds: new Set([APPLY_EVENT_JOB, ...Object.keys(overrides.queue?.tables ?? {})]),
      ...(overrides.queue?.retry ? { retry: overrides.queue.retry } : {}),
      ...(leaseMs !== undefined ? { leaseMs } : {}),
      ...(r.staleMs !== undefined ? { staleMs: r.staleMs } : {}),
      ...(r.sweepEveryMs !== undefined ? { sweepEveryMs: r.sweepEveryMs } : {}),
    });
    rabbitmq = { broker, outbox, topology: t };
  }
  const ingestor = new EventIngestor(db, jobs);
  const customers = new CustomerLookup(db);
  // Closed before Stripe and the database: the queue stops (its running jobs need both), then the
  // batchers' last writes settle.
  opened.push({ name: 'customer lookups', close: () => customers.close() });
  opened.push({ name: 'webhook ingest', close: () => ingestor.close() });
  let drainMs = config.shutdownTimeoutMs;
  const running = queue;
  opened.push({ name: 'job queue', close: () => running.stop(drainMs) });

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    db,
    migrations: overrides.migrations ?? [],
    stripe: stripe.stripe,
    connection: { mode: stripe.mode, emulatorUrl: stripe.emulatorUrl },
    catalog,
    prices: new PriceResolver(stripe.stripe),
    secrets,
    now: overrides.now ?? (() => new Date()),
    queue,
    jobs,
    rabbitmq,
    ingestor,
    customers,
    applied: newEventTally(),
    verifiedKeys: new VerifiedKeys(),
    webhookSecrets: [...(overrides.webhookSecrets ?? config.stripeWebhookSecrets)],
    async opened() {
      await opening;
    },
    close(options = {}) {
      if (options.drainMs !== undefined) drainMs = options.drainMs;
      closing ??= closeOpened();
      return closing;
    },
  };
}

/** Makes `app` the owner of `ctx`: closing the app (after its in-flight requests) closes the context. */
export function ownContext(app: FastifyInstance, ctx: Pick<Context, 'close'>): void {
  app.addHook('onClose', async () => {
    await ctx.close();
  });
}
