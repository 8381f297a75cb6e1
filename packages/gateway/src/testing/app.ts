import { Writable } from 'node:stream';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import type Stripe from 'stripe';
import { type App, type BuildOptions, buildApp } from '../app.js';
import { type Catalog, loadCatalog } from '../catalog/catalog.js';
import { type Context, type ContextOverrides, createContext, ownContext } from '../context.js';
import { createApiKey, type Scope } from '../platform/auth/api-keys.js';
import { signUserToken } from '../platform/auth/jwt.js';
import type { Clock } from '../platform/clock.js';
import { type Config, loadConfig } from '../platform/config.js';
import { migrate } from '../platform/db/migrate.js';
import type { Db } from '../platform/db/types.js';
import { createLogger } from '../platform/logger.js';
import { deleteTopology, rabbitmqEnv, testRabbitmqUrl } from './rabbitmq.js';
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
  /** The job queue's clock (testing/clock.ts: a ManualClock moves only when the test says). */
  clock?: Clock;
  /** The job queue's settings, over the tests' (a short poll and back-off). */
  queue?: ContextOverrides['queue'];
  /** The RabbitMQ transport's timing, when the app runs on RabbitMQ. */
  rabbitmq?: ContextOverrides['rabbitmq'];
}

export interface TestApp {
  app: App;
  logs: LogCapture;
  config: Config;
  context: Context;
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
  // With PAYDESK_TEST_RABBITMQ_URL every app runs its jobs over RabbitMQ, under a prefix of its own
  // (unless the test names the broker itself).
  const rabbit =
    testRabbitmqUrl && options.env?.RABBITMQ_URL === undefined ? rabbitmqEnv(testRabbitmqUrl) : undefined;
  const config = loadConfig({
    ...rabbit,
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
  const result = options.migrateFirst !== false ? await migrate(db) : undefined;
  const { loadMigrations } = await import('../platform/db/migrate.js');
  // The database is the test's (it closes it); the emulator is closed with the app unless shared.
  const context = await createContext(config, {
    logger,
    db,
    stripe: {
      stripe,
      mode: 'external-emulator',
      emulatorUrl: emulator.url,
      close: () => emulator.close(),
      owned: !options.emulator,
    },
    ...(options.catalogPath ? { catalog: await loadCatalog(options.catalogPath, config.instanceId) } : {}),
    secrets: { jwtSecret: config.jwtSecret, adminKey: config.adminKey },
    ...(options.now ? { now: options.now } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.rabbitmq ? { rabbitmq: options.rabbitmq } : {}),
    // Not started: a test that wants jobs to run calls context.queue.start(…) itself.
    queue: { pollMs: 20, retry: { baseMs: 10, factor: 2, maxMs: 200 }, ...options.queue },
    webhookSecrets: [TEST_WEBHOOK_SECRET],
    migrations: result?.migrations ?? (await loadMigrations()),
    syncCatalog: options.syncCatalog !== false,
  });
  const app = await buildApp(context, options);
  ownContext(app, context);
  if (rabbit) {
    app.addHook('onClose', async () => {
      const { jobKinds } = await import('../jobs.js');
      await deleteTopology(
        rabbit.RABBITMQ_URL,
        rabbit.PAYDESK_RABBITMQ_PREFIX,
        Object.keys(jobKinds(context)),
      );
    });
  }
  await app.ready();
  return {
    app,
    logs,
    config,
    context,
    emulator,
    stripe,
    catalog: context.catalog,
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
