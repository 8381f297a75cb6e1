import { Writable } from 'node:stream';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import type Stripe from 'stripe';
import { type App, type BuildOptions, buildApp } from '../app.js';
import { type Catalog, demoCatalogPath, loadCatalog } from '../catalog/catalog.js';
import { PriceResolver } from '../catalog/price-resolver.js';
import { applySync, planSync } from '../catalog/sync.js';
import type { AppContext } from '../context.js';
import { browserStripeFor } from '../pages/stripe-js.js';
import { createApiKey, type Scope } from '../platform/auth/api-keys.js';
import { signUserToken } from '../platform/auth/jwt.js';
import { type Config, loadConfig } from '../platform/config.js';
import { migrate } from '../platform/db/migrate.js';
import type { Db } from '../platform/db/types.js';
import { createLogger } from '../platform/logger.js';
import { DbJobQueue } from '../platform/queue/db-queue.js';
import { createStripeClient, EMULATOR_KEY_FOR_TESTS } from './stripe.js';

/** Collects log lines written by a logger, for assertions on what gets logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_ADMIN_KEY = 'pda_test_admin_key_0123456789abcdefghijkl';
export const TEST_WEBHOOK_SECRET = 'whsec_test_paydesk_webhook_secret_0123456789';

export interface TestAppOptions extends BuildOptions {
  env?: Record<string, string>;
  migrateFirst?: boolean;
  /** An emulator to share; by default each test app starts its own (and closes it with the app). */
  emulator?: RunningEmulator;
  /** Sync the catalog into the emulator first (default true). */
  syncCatalog?: boolean;
  catalogPath?: string;
  now?: () => Date;
}

export interface TestApp {
  app: App;
  logs: LogCapture;
  config: Config;
  context: AppContext;
  emulator: RunningEmulator;
  stripe: Stripe;
  catalog: Catalog;
  /** A signed user token for external id `sub` (valid an hour unless overridden). */
  userToken(
    sub: string,
    options?: { expiresIn?: string; audience?: string; issuer?: string; email?: string },
  ): Promise<string>;
  /** A new API key with the given scopes. */
  apiKey(scopes?: readonly Scope[], name?: string): Promise<string>;
}

/** An app on the given database and a real emulator, logging into a LogCapture (debug level). */
export async function createTestApp(db: Db, options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    PAYDESK_LOG_LEVEL: 'debug',
    PAYDESK_JWT_SECRET: TEST_JWT_SECRET,
    PAYDESK_ADMIN_KEY: TEST_ADMIN_KEY,
    PAYDESK_PUBLIC_URL: 'http://paydesk.test',
    PAYDESK_ALLOWED_ORIGINS: 'https://app.example.com',
    ...options.env,
  });
  const logs = new LogCapture();
  const logger = createLogger(config, logs);
  const emulator = options.emulator ?? (await startEmulator({ port: 0 }));
  const stripe = createStripeClient({
    secretKey: EMULATOR_KEY_FOR_TESTS,
    apiBase: emulator.url,
    maxNetworkRetries: 0,
  });
  const catalog = await loadCatalog(options.catalogPath ?? demoCatalogPath, config.instanceId);
  if (options.syncCatalog !== false) await applySync(stripe, await planSync(stripe, catalog));
  const result = options.migrateFirst !== false ? await migrate(db) : undefined;
  const { loadMigrations } = await import('../platform/db/migrate.js');
  const context: AppContext = {
    config,
    db,
    logger,
    migrations: result?.migrations ?? (await loadMigrations()),
    stripe,
    catalog,
    prices: new PriceResolver(stripe),
    secrets: { jwtSecret: config.jwtSecret, adminKey: config.adminKey },
    now: options.now ?? (() => new Date()),
    // Not started: a test that wants jobs to run calls context.queue.start(…) itself.
    queue: new DbJobQueue({ db, logger, pollMs: 20, retry: { baseMs: 10, factor: 2, maxMs: 200 } }),
    webhookSecrets: [TEST_WEBHOOK_SECRET],
    browserStripe: browserStripeFor(config, emulator.url),
  };
  const app = await buildApp(context, options);
  app.addHook('onClose', async () => {
    await context.queue.stop(5_000);
    if (!options.emulator) await emulator.close();
  });
  await app.ready();
  return {
    app,
    logs,
    config,
    context,
    emulator,
    stripe,
    catalog,
    userToken: (sub, o = {}) =>
      signUserToken(TEST_JWT_SECRET, {
        subject: sub,
        issuer: o.issuer ?? config.jwtIssuer,
        audience: o.audience ?? config.jwtAudience,
        expiresIn: o.expiresIn,
        email: o.email,
      }),
    apiKey: async (scopes = ['read', 'write'], name = 'test') =>
      (await createApiKey(db, { name, scopes })).key,
  };
}
