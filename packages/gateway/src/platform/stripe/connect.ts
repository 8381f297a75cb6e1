// Chooses where Stripe calls go: real Stripe (STRIPE_SECRET_KEY), an emulator started elsewhere
// (STRIPE_API_BASE), or — embedded mode — the emulator started here, in-process.
import { join, resolve } from 'node:path';
import type Stripe from 'stripe';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createStripeClient } from './client.js';

export interface StripeConnection {
  stripe: Stripe;
  mode: 'stripe' | 'external-emulator' | 'embedded-emulator';
  /** Where the in-process emulator listens (embedded mode), for its hosted pages. */
  emulatorUrl: string | undefined;
  close(): Promise<void>;
}

/** The key paydesk uses with an emulator: any test key works there. */
export const EMULATOR_KEY = 'sk_test_paydesk_embedded';

export async function connectStripe(config: Config, logger: Logger): Promise<StripeConnection> {
  if (config.stripeSecretKey) {
    return {
      stripe: createStripeClient({ secretKey: config.stripeSecretKey, apiBase: config.stripeApiBase }),
      mode: config.stripeApiBase ? 'external-emulator' : 'stripe',
      emulatorUrl: config.stripeApiBase,
      close: async () => {},
    };
  }
  if (config.stripeApiBase) {
    return {
      stripe: createStripeClient({ secretKey: EMULATOR_KEY, apiBase: config.stripeApiBase }),
      mode: 'external-emulator',
      emulatorUrl: config.stripeApiBase,
      close: async () => {},
    };
  }
  const { startEmulator } = await import('@paydesk/emulator');
  const emulator = await startEmulator({
    port: config.emulatorPort,
    host: config.host,
    dataFile: join(resolve(config.dataDir), 'emulator.json'),
  });
  logger.info(
    { url: emulator.url },
    `Stripe emulator listening on ${emulator.url} (embedded mode, no STRIPE_SECRET_KEY)`,
  );
  return {
    stripe: createStripeClient({ secretKey: EMULATOR_KEY, apiBase: emulator.url }),
    mode: 'embedded-emulator',
    emulatorUrl: emulator.url,
    close: () => emulator.close(),
  };
}
