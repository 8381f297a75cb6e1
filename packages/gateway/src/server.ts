import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { App, BuildOptions } from './app.js';
import { demoCatalogPath, loadCatalog } from './catalog/catalog.js';
import { PriceResolver } from './catalog/price-resolver.js';
import { applySync, planSync } from './catalog/sync.js';
import type { AppContext } from './context.js';
import { jobKinds } from './jobs.js';
import { browserStripeFor } from './pages/stripe-js.js';
import type { Config } from './platform/config.js';
import { migrate } from './platform/db/migrate.js';
import { openDatabase, whenOpen } from './platform/db/open.js';
import type { Db } from './platform/db/types.js';
import { createLogger, type Logger } from './platform/logger.js';
import { DbJobQueue } from './platform/queue/db-queue.js';
import { resolveSecrets } from './platform/secrets.js';
import { connectStripe } from './platform/stripe/connect.js';
import { ensureWebhookEndpoint } from './webhooks/embedded-endpoint.js';

export interface RunningServer {
  app: App;
  url: string;
  db: Db;
  context: AppContext;
  /** The in-process emulator's URL in embedded mode. */
  emulatorUrl: string | undefined;
  /** Stops accepting, lets in-flight requests finish (bounded by the shutdown timeout), closes the database. */
  shutdown(reason?: string): Promise<void>;
  /** Resolves once shutdown has finished. */
  closed: Promise<void>;
}

export interface StartOptions extends BuildOptions {
  logger?: Logger;
  /** Listen for SIGTERM and SIGINT and shut down on either (the CLI does; tests usually don't). */
  handleSignals?: boolean;
  /** Where the migrations are; paydesk's own by default. */
  migrationsDir?: string;
}

/** What server.json says: the paydesk's URL, its process id, and its in-process emulator's URL. */
export interface ServerInfo {
  url: string;
  pid: number;
  emulator_url?: string;
}

/** Where a running embedded paydesk says how to reach it (for `paydesk keys …` in another terminal). */
export function serverInfoFile(dataDir: string): string {
  return join(resolve(dataDir), 'server.json');
}

/** Opens the database, applies migrations, connects Stripe, builds the app and listens. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const started = performance.now();
  // Each start-up phase is logged at debug level with its duration, to see where start-up time goes.
  let mark = started;
  const phase = (name: string) => {
    const now = performance.now();
    logger.debug({ phase: name, ms: Math.round(now - mark) }, 'start-up phase');
    mark = now;
  };
  // Opening the database is the longest step (PGlite compiles its WebAssembly off the main thread,
  // then starts PostgreSQL on it), so everything that does not need it runs meanwhile: loading the
  // HTTP stack, the catalog, Stripe and the catalog sync, then building the app (which runs no
  // query: it gets a Db that waits for the open one). Migrations run once it is open, before listening.
  const sinceStart = () => Math.round(performance.now() - started);
  const opening = openDatabase(config).then((db) => {
    logger.debug({ at_ms: sinceStart() }, 'start-up: database open');
    return db;
  });
  opening.catch(() => {}); // handled below; this only keeps a failure from counting as unhandled meanwhile
  const preparing = (async () => {
    const appModule = import('./app.js');
    const catalog = await loadCatalog(config.catalogPath ?? demoCatalogPath, config.instanceId);
    const connection = await connectStripe(config, logger);
    try {
      if (connection.mode === 'embedded-emulator') {
        const plan = await planSync(connection.stripe, catalog);
        await applySync(connection.stripe, plan);
        if (plan.actions.length > 0)
          logger.info({ changes: plan.actions.length }, 'catalog synced into the emulator');
      }
      return {
        catalog,
        connection,
        buildApp: (await appModule).buildApp,
        secrets: await resolveSecrets(config),
      };
    } catch (err) {
      await connection.close().catch(() => {});
      throw err;
    }
  })();
  const prepared = await preparing.catch(async (err: unknown) => {
    const [opened] = await Promise.allSettled([opening]);
    if (opened.status === 'fulfilled') await opened.value.close().catch(() => {});
    throw opened.status === 'rejected' ? opened.reason : err;
  });
  const { catalog, connection: stripe, buildApp, secrets } = prepared;
  phase('catalog, Stripe and HTTP stack ready');
  // The same Db object from here on, everywhere (caches are kept per Db object, e.g. verified API
  // keys): calls wait until the database is open, then pass straight through.
  const db = whenOpen(config.databaseUrl ? 'postgres' : 'pglite', opening);
  // /readyz answers 503 until everything below is done: the server listens before the webhook
  // endpoint can be registered (its URL needs the port) and before the job queue starts.
  let startupDone = false;
  const queue = new DbJobQueue({ db, logger });
  const context: AppContext = {
    config,
    db,
    logger,
    migrations: [],
    stripe: stripe.stripe,
    catalog,
    prices: new PriceResolver(stripe.stripe),
    secrets,
    now: () => new Date(),
    queue,
    webhookSecrets: [...config.stripeWebhookSecrets],
    started: () => startupDone,
    browserStripe: browserStripeFor(config, stripe.emulatorUrl),
  };
  let app: App;
  try {
    const [opened, built] = await Promise.allSettled([opening, buildApp(context, options)]);
    if (opened.status === 'rejected') {
      if (built.status === 'fulfilled') await built.value.close().catch(() => {});
      throw opened.reason;
    }
    if (built.status === 'rejected') throw built.reason;
    app = built.value;
    phase('app built; database open');
    const result = await migrate(db, options.migrationsDir);
    context.migrations = result.migrations;
    phase('migrations checked');
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'migrations applied');
    await app.listen({ port: config.port, host: config.host });
    phase('listening');
  } catch (err) {
    await stripe.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (stripe.mode !== 'stripe' && context.webhookSecrets.length === 0) {
    // An emulator (in-process or external): register our own endpoint and use its secret.
    const endpoint = `${url}/webhooks/stripe`;
    context.webhookSecrets.push(await ensureWebhookEndpoint(stripe.stripe, db, endpoint, config.instanceId));
    logger.info({ endpoint }, 'webhook endpoint registered in the emulator');
  }
  phase('webhook endpoint ready');
  const kinds = jobKinds(context);
  if (db.kind === 'pglite') {
    // A PGlite data directory is open in this one process only, so a job (or event) still held by a
    // worker was left by a process that died (kill -9, power loss): take it back now instead of after
    // its lease. On PostgreSQL other instances may be running it; the lease decides there.
    const orphans = await queue.takeBackOrphans(kinds);
    if (orphans > 0) logger.warn({ jobs: orphans }, 'took back jobs left running by a stopped process');
  }
  queue.start(kinds);
  // Written when this process holds something of the data directory (the PGlite database or the
  // emulator's data file), so that `paydesk keys …` and `paydesk catalog sync` talk to it instead.
  const embeddedEmulator = stripe.mode === 'embedded-emulator';
  const infoFile = config.databaseUrl && !embeddedEmulator ? undefined : serverInfoFile(config.dataDir);
  if (infoFile) {
    await mkdir(resolve(config.dataDir), { recursive: true });
    const info: ServerInfo = {
      url,
      pid: process.pid,
      ...(embeddedEmulator && stripe.emulatorUrl ? { emulator_url: stripe.emulatorUrl } : {}),
    };
    await writeFile(infoFile, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  }
  logger.info(
    { url, database: db.kind, stripe: stripe.mode, ready_ms: Math.round(performance.now() - started) },
    `paydesk listening on ${url}`,
  );

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let shuttingDown: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    void server.shutdown(signal);
  };
  const connection = stripe;

  const server: RunningServer = {
    app,
    url,
    db,
    context,
    emulatorUrl: connection.emulatorUrl,
    closed,
    shutdown(reason = 'shutdown') {
      if (shuttingDown) return shuttingDown;
      logger.info(
        { reason, timeout_ms: config.shutdownTimeoutMs },
        'shutting down: finishing in-flight requests',
      );
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs);
        timer.unref();
      });
      // In order: stop taking requests and finish the in-flight ones, let running jobs finish, then
      // close the database — all within the shutdown timeout.
      const orderly = (async () => {
        await app.close();
        await context.queue.stop(config.shutdownTimeoutMs);
        return 'closed' as const;
      })();
      shuttingDown = Promise.race([orderly, deadline]).then(async (outcome) => {
        clearTimeout(timer);
        if (outcome === 'timeout') {
          logger.warn('shutdown timeout reached: closing remaining connections');
          app.server.closeAllConnections();
        }
        await db.close().catch(() => {});
        await connection.close().catch((err: unknown) => logger.warn({ err }, 'closing the emulator failed'));
        if (infoFile) await rm(infoFile, { force: true });
        logger.info({ outcome }, 'stopped');
        logger.flush();
        resolveClosed();
      });
      return shuttingDown;
    },
  };

  if (options.handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  startupDone = true;
  return server;
}
