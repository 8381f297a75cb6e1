import type { FastifyPluginAsync } from 'fastify';
import Stripe from 'stripe';
import { z } from 'zod';
import { AppError } from '../platform/errors.js';
import type { Services } from '../services.js';
import { EventIngestor } from './ingest.js';

/** paydesk's own path, and the seed systems' paths for the same endpoint. */
export const webhookPaths = [
  '/webhooks/stripe',
  '/webhook',
  '/api/checkout/webhook',
  '/billing/stripe/webhook/',
] as const;

/** Stripe's default: a signature older (or newer) than this many seconds is refused. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Verifies the signature against each configured secret (rotation) and returns the event. Nothing
 * is parsed into state before this succeeds.
 */
export function verifyEvent(
  raw: Buffer,
  header: string | undefined,
  secrets: readonly string[],
  now: Date,
): Stripe.Event {
  if (!header) throw new AppError('invalid_signature', 'The Stripe-Signature header is missing.');
  if (secrets.length === 0)
    throw new AppError('invalid_signature', 'No webhook secret is configured (STRIPE_WEBHOOK_SECRET).');
  // The SDK refuses only signatures that are too old; one from further in the future than the
  // tolerance is refused here, as the tolerance is a window on both sides.
  const signedAt = Number(/(?:^|,)t=(\d+)(?:,|$)/.exec(header)?.[1]);
  if (Number.isFinite(signedAt) && signedAt - now.getTime() / 1000 > SIGNATURE_TOLERANCE_SECONDS)
    throw new AppError('invalid_signature', 'The signature timestamp is outside the tolerance.');
  let lastError: unknown;
  for (const secret of secrets) {
    try {
      return Stripe.webhooks.constructEvent(
        raw,
        header,
        secret,
        SIGNATURE_TOLERANCE_SECONDS,
        undefined,
        now.getTime(), // milliseconds: the SDK divides by 1000
      );
    } catch (err) {
      lastError = err;
    }
  }
  if (lastError instanceof Stripe.errors.StripeSignatureVerificationError) {
    throw new AppError(
      'invalid_signature',
      /timestamp/i.test(lastError.message)
        ? 'The signature timestamp is outside the tolerance.'
        : 'The signature does not match.',
    );
  }
  throw new AppError('invalid_json', 'The webhook body is not a Stripe event.');
}

function looksLikeEvent(value: unknown): value is Stripe.Event {
  const e = value as Partial<Stripe.Event> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    e.id.startsWith('evt_') &&
    typeof e.type === 'string' &&
    typeof e.created === 'number' &&
    typeof e.data === 'object' &&
    e.data !== null &&
    typeof e.data.object === 'object'
  );
}

const ackSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });

/**
 * POST /webhooks/stripe (and the seed systems' aliases): raw body → signature → stored with its
 * apply-job (group commit) → 200. Processing happens later, in a job. 400 only for a bad signature or
 * body; 503 when the event could not be stored, so Stripe retries.
 */
export function webhookRoutes(s: Services): FastifyPluginAsync {
  return async (app) => {
    const ingestor = new EventIngestor(s.db, () => s.queue.poke());
    // This plugin's own body parsing: the raw bytes, whatever the content type, for the signature.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    for (const url of webhookPaths) {
      app.post(
        url,
        {
          schema: {
            tags: ['webhooks'],
            summary:
              url === '/webhooks/stripe'
                ? 'Stripe webhook endpoint: verify, store, acknowledge; applied asynchronously.'
                : `Alias of /webhooks/stripe for a seed system (${url}).`,
            hide: url !== '/webhooks/stripe',
            response: { 200: ackSchema },
          },
        },
        async (request) => {
          const raw = request.body;
          if (!Buffer.isBuffer(raw) || raw.length === 0)
            throw new AppError('invalid_body', 'The webhook body is empty.');
          const header = request.headers['stripe-signature'];
          const event = verifyEvent(
            raw,
            typeof header === 'string' ? header : undefined,
            s.webhookSecrets,
            s.now(),
          );
          if (!looksLikeEvent(event))
            throw new AppError('invalid_json', 'The webhook body is not a Stripe event.');
          let outcome: 'new' | 'duplicate';
          try {
            outcome = await ingestor.submit(event, raw);
          } catch (err) {
            request.log.error(
              { err, event_id: event.id },
              'could not store a webhook event; answering 503 so Stripe retries',
            );
            throw new AppError('storage_unavailable');
          }
          request.log.info(
            { event_id: event.id, event_type: event.type, duplicate: outcome === 'duplicate' },
            'webhook stored',
          );
          return { received: true as const, duplicate: outcome === 'duplicate' };
        },
      );
    }
  };
}
