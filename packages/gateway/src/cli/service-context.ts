// Where the recovery commands (reconcile, subscriptions check, webhooks replay) do their work.
//
// - When a running embedded paydesk holds the PGlite database (named in <dataDir>/server.json), the
//   work is handed to it through its admin API: it stores the events and its own queue applies them.
// - Otherwise (PostgreSQL, or an embedded database no process holds) the command opens the database
//   and Stripe itself and runs the apply-jobs in this process until they are done. On PostgreSQL,
//   running paydesk instances work the same queue alongside it (jobs are claimed with SKIP LOCKED).
import { join, resolve } from 'node:path';
import { type Context, createContext } from '../context.js';
import { jobKinds } from '../jobs.js';
import type { Config } from '../platform/config.js';
import { migrate } from '../platform/db/migrate.js';
import { createLogger } from '../platform/logger.js';
import { resolveSecrets } from '../platform/secrets.js';
import { createStripeClient } from '../platform/stripe/client.js';
import { connectStripe, EMULATOR_KEY, type StripeConnection } from '../platform/stripe/connect.js';
import { emulatorUrlOf, runningServer } from './running-server.js';

export interface LocalTarget {
  kind: 'local';
  context: Context;
  /** Said to the person running the command. */
  description: string;
  close(): Promise<void>;
}

export interface RemoteTarget {
  kind: 'remote';
  description: string;
  /** Calls the running paydesk's admin API; `json` is the parsed body. */
  call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<{ status: number; json: unknown }>;
}

export type Target = LocalTarget | RemoteTarget;

async function remote(config: Config, url: string, pid: number): Promise<RemoteTarget> {
  const adminKey = config.adminKey ?? (await resolveSecrets(config, { create: false })).adminKey;
  if (!adminKey) {
    throw new Error(
      `a paydesk is running on ${config.dataDir} (pid ${pid}) and holds its database, but there is no admin key to call it with: set PAYDESK_ADMIN_KEY to the server's.`,
    );
  }
  return {
    kind: 'remote',
    description: `the running paydesk at ${url} (pid ${pid}), through its admin API`,
    async call(method, path, body, timeoutMs) {
      let res: Response;
      try {
        res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${adminKey}`,
            ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
          },
          ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new Error(
          `server.json names a running paydesk (pid ${pid}) at ${url}, but it does not answer (${(err as Error).message}).`,
        );
      }
      if (res.status === 401 || res.status === 403)
        throw new Error(
          `the running paydesk at ${url} refused the admin key (PAYDESK_ADMIN_KEY must match).`,
        );
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, json };
    },
  };
}

/** The error message of an admin API answer that is not a success. */
export function remoteFailure(what: string, r: { status: number; json: unknown }): Error {
  const message = (r.json as { error?: { message?: string } } | undefined)?.error?.message;
  return new Error(`${what} failed: HTTP ${r.status}${message ? `: ${message}` : ''}`);
}

/** Opens what the command needs, as described at the top of this file. */
export async function openTarget(config: Config): Promise<Target> {
  const running = config.databaseUrl ? undefined : await runningServer(config);
  if (running) return remote(config, running.url, running.pid);
  // Embedded without STRIPE_SECRET_KEY/STRIPE_API_BASE: the running paydesk's emulator if one runs
  // (PostgreSQL with an embedded emulator), else the emulator's data file started here on port 0.
  const emulatorOwner =
    config.stripeSecretKey || config.stripeApiBase ? undefined : await runningServer(config);
  const logger = createLogger({ logLevel: 'silent' });
  let stripe: StripeConnection;
  let stripeDescription: string;
  if (emulatorOwner) {
    const url = emulatorUrlOf(emulatorOwner, config);
    stripe = {
      stripe: createStripeClient({ secretKey: EMULATOR_KEY, apiBase: url }),
      mode: 'external-emulator',
      emulatorUrl: url,
      close: async () => {},
    };
    stripeDescription = `the emulator of the paydesk running at ${emulatorOwner.url}`;
  } else if (config.stripeSecretKey || config.stripeApiBase) {
    stripe = await connectStripe(config, logger);
    stripeDescription = stripe.mode === 'stripe' ? 'Stripe' : `the Stripe API at ${config.stripeApiBase}`;
  } else {
    const { startEmulator } = await import('@paydesk/emulator');
    const dataFile = join(resolve(config.dataDir), 'emulator.json');
    const emulator = await startEmulator({ port: 0, host: '127.0.0.1', dataFile });
    stripe = {
      stripe: createStripeClient({ secretKey: EMULATOR_KEY, apiBase: emulator.url }),
      mode: 'external-emulator',
      emulatorUrl: emulator.url,
      close: () => emulator.close(),
    };
    stripeDescription = `the embedded emulator (data in ${dataFile})`;
  }
  let context: Context;
  try {
    context = await createContext(config, {
      logger,
      stripe,
      secrets: await resolveSecrets(config, { create: false }),
      queue: { pollMs: 100 },
      webhookSecrets: [],
      syncCatalog: false,
    });
  } catch (err) {
    await stripe.close().catch(() => {});
    throw err;
  }
  // The context closes in its order: the queue first (its running jobs need Stripe and the
  // database), Stripe, the database last.
  const close = () => context.close({ drainMs: 10_000 });
  try {
    await context.opened();
    if (config.databaseUrl) {
      const r = await context.db.query<{ ok: boolean }>(
        `SELECT to_regclass('stripe_events') IS NOT NULL AS ok`,
      );
      if (!r.rows[0]?.ok)
        throw new Error('the database has no stripe_events table yet: run `paydesk migrate` first.');
    } else {
      await migrate(context.db);
    }
    // This process works the queue while the command runs (apply-jobs and the notifications they cause).
    context.queue.start(jobKinds(context));
    return {
      kind: 'local',
      context,
      description: `${config.databaseUrl ? 'the PostgreSQL database' : `the embedded database in ${config.dataDir}`} and ${stripeDescription}`,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
