import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { App, BuildOptions } from './app.js';
import { startRefundRequestConsumer } from './compat/refund-queue.js';
import { type Context, createContext, ownContext } from './context.js';
import { jobKinds } from './jobs.js';
import type { Config } from './platform/config.js';
import { migrate } from './platform/db/migrate.js';
import type { Db } from './platform/db/types.js';
import { createLogger, type Logger } from './platform/logger.js';
import { ensureWebhookEndpoint } from './webhooks/embedded-endpoint.js';

export interface RunningServer {
  app: App;
  url: string;
  db: Db;
  context: Context;
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
  // then starts PostgreSQL on it), so everything that does not need it runs meanwhile: createContext
  // loads the catalog, Stripe and the catalog sync while the database opens, and the app is built (it
  // runs no query: its Db waits for the open one). Migrations run once it is open, before listening.
  const appModule = import('./app.js');
  appModule.catch(() => {}); // awaited below
  const context = await createContext(config, { logger });
  const sinceStart = () => Math.round(performance.now() - started);
  context.opened().then(
    () => logger.debug({ at_ms: sinceStart() }, 'start-up: database open'),
    () => {},
  );
  phase('catalog, Stripe and HTTP stack ready');
  const { db } = context;
  // /readyz answers 503 until everything below is done: the server listens before the webhook
  // endpoint can be registered (its URL needs the port) and before the job queue starts.
  let startupDone = false;
  context.started = () => startupDone;
  let app: App;
  try {
    const [opened, built] = await Promise.allSettled([
      context.opened(),
      appModule.then(({ buildApp }) => buildApp(context, options)),
    ]);
    if (opened.status === 'rejected') {
      if (built.status === 'fulfilled') await built.value.close().catch(() => {});
      throw opened.reason;
    }
    if (built.status === 'rejected') throw built.reason;
    app = built.value;
    // The app owns the context from here: closing it (shutdown) closes the queue, Stripe, the database.
    ownContext(app, context);
    phase('app built; database open');
    const result = await migrate(db, options.migrationsDir);
    context.migrations = result.migrations;
    phase('migrations checked');
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'migrations applied');
    await app.listen({ port: config.port, host: config.host });
    phase('listening');
  } catch (err) {
    await context.close({ drainMs: 0 });
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const stripe = context.connection;
  if (stripe.mode !== 'stripe' && context.webhookSecrets.length === 0) {
    // An emulator (in-process or external): register our own endpoint and use its secret.
    const endpoint = `${url}/webhooks/stripe`;
    context.webhookSecrets.push(await ensureWebhookEndpoint(context.stripe, db, endpoint, config.instanceId));
    logger.info({ endpoint }, 'webhook endpoint registered in the emulator');
  }
  phase('webhook endpoint ready');
  const kinds = jobKinds(context);
  if (db.kind === 'pglite') {
    // A PGlite data directory is open in this one process only, so a job (or event) still held by a
    // worker was left by a process that died (kill -9, power loss): take it back now instead of after
    // its lease. On PostgreSQL other instances may be running it; the lease decides there.
    const orphans = await context.jobs.takeBackOrphans(kinds);
    if (orphans > 0) logger.warn({ jobs: orphans }, 'took back jobs left running by a stopped process');
  }
  context.queue.start(kinds);
  // RabbitMQ mode: refund requests published to the payment microservice's queue are served too.
  await startRefundRequestConsumer(context);
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
  const server: RunningServer = {
    app,
    url,
    db,
    context,
    emulatorUrl: stripe.emulatorUrl,
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
      // In order: stop taking requests and finish the in-flight ones, then (the app's onClose) close
      // the context: let running jobs finish, close Stripe and the database — within the timeout.
      const orderly = app.close().then(() => 'closed' as const);
      shuttingDown = Promise.race([orderly, deadline]).then(async (outcome) => {
        clearTimeout(timer);
        if (outcome === 'timeout') {
          logger.warn('shutdown timeout reached: closing remaining connections');
          app.server.closeAllConnections();
        }
        // After a timeout the context may still be closing (jobs running): it finishes its order.
        await context.close();
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
