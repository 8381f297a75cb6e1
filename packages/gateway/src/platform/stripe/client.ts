// The one module that talks to Stripe: the official SDK with its API version pinned, bounded
// retries and timeouts, and a derived idempotency key on every POST.
import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import { version } from '../../version.js';
import { mapStripeError } from './errors.js';

/** The API version paydesk is written against (the SDK's own pinned version). */
export const STRIPE_API_VERSION = Stripe.API_VERSION;

export interface StripeClientOptions {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111 for the emulator; undefined for api.stripe.com. */
  apiBase?: string;
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

const IDEMPOTENCY_PREFIX = 'pd:';

/**
 * Derives the idempotency key for one paydesk operation: the same operation (same kind, same
 * paydesk ids) always gets the same key, so a retry, a crash or a second instance never creates a
 * second object in Stripe. Keys are hashed to stay under Stripe's 255-character limit.
 */
export function idempotencyKey(operation: string, ...ids: readonly (string | number)[]): string {
  const digest = createHash('sha256')
    .update([operation, ...ids].join('\u001f'))
    .digest('base64url');
  return `${IDEMPOTENCY_PREFIX}${operation}:${digest.slice(0, 32)}`;
}

class MissingIdempotencyKeyError extends Error {
  constructor(path: string) {
    super(`paydesk bug: POST ${path} sent to Stripe without a derived idempotency key`);
    this.name = 'MissingIdempotencyKeyError';
  }
}

/**
 * The SDK's own HTTP client, checked: a POST whose Idempotency-Key was not derived by
 * idempotencyKey() is refused before it leaves the process (the SDK would otherwise invent a random
 * one, which protects a retry but not a crash or a second instance).
 */
function guardedHttpClient(): Stripe.HttpClient {
  const inner = Stripe.createNodeHttpClient();
  return {
    getClientName: () => `paydesk+${inner.getClientName()}`,
    makeRequest(host, port, path, method, headers, data, protocol, timeout) {
      if (method === 'POST') {
        const key = headers['Idempotency-Key'];
        if (typeof key !== 'string' || !key.startsWith(IDEMPOTENCY_PREFIX)) {
          return Promise.reject(new MissingIdempotencyKeyError(path));
        }
      }
      return inner.makeRequest(host, port, path, method, headers, data, protocol, timeout);
    },
  } as Stripe.HttpClient;
}

export function createStripeClient(options: StripeClientOptions): Stripe {
  const base = options.apiBase ? new URL(options.apiBase) : undefined;
  return new Stripe(options.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 20_000,
    httpClient: guardedHttpClient(),
    appInfo: { name: 'paydesk', version },
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? ('https' as const) : ('http' as const),
        }
      : {}),
  });
}

/** Runs a Stripe call and maps its failure into the error catalog. */
export async function callStripe<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapStripeError(err);
  }
}
