import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import { FastPathServer } from '../platform/http/fast-path.js';
import { readEventHead } from './event-head.js';
import type { IngestOutcome } from './ingest.js';
import { MAX_EVENT_DEPTH, nestsDeeperThan } from './nesting.js';
import type { ReceivedEvent } from './store.js';

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
 * Verifies the signature against each configured secret (rotation) and reads the event's head.
 * Nothing is parsed into state before this succeeds. Stripe's scheme, computed over the bytes as
 * received (no string round trip): `Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>…]`, where
 * each v1 may be HMAC-SHA256(secret, "<t>." + body), compared in constant time; the time must be
 * within the tolerance on either side of now. The body must be shaped like a Stripe event (an object
 * with an `evt_` id, a type, an integer `created` and a `data.object`); it is not parsed here (see
 * event-head.ts), and the database checks that it is JSON when it is stored.
 */
export function verifyDelivery(
  raw: Buffer,
  header: string | undefined,
  secrets: readonly string[],
  now: Date,
): ReceivedEvent {
  if (!header) throw new AppError('invalid_signature', 'The Stripe-Signature header is missing.');
  // No secret yet: paydesk is starting and has not registered its endpoint in the emulator. The
  // delivery may well be valid, so 503 (Stripe retries) rather than a 400 it would give up on.
  if (secrets.length === 0)
    throw new AppError(
      'not_ready',
      'The webhook secret is not known yet (starting up); retry shortly.',
      undefined,
      {
        'retry-after': '1',
      },
    );
  let signedAt: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') signedAt = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (signedAt === undefined || !/^\d{1,12}$/.test(signedAt) || candidates.length === 0)
    throw new AppError('invalid_signature', 'The Stripe-Signature header is not in Stripe’s format.');
  const matches = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${signedAt}.`).update(raw).digest();
    return candidates.some((c) => timingSafeEqual(c, expected));
  });
  if (!matches) throw new AppError('invalid_signature', 'The signature does not match.');
  if (Math.abs(Number(signedAt) - now.getTime() / 1000) > SIGNATURE_TOLERANCE_SECONDS)
    throw new AppError('invalid_signature', 'The signature timestamp is outside the tolerance.');
  // One walk over the body reads its head and checks its depth; only a body refused goes over its
  // bytes again, to give the refusal it always got (too deep is said first).
  const head = readEventHead(raw, MAX_EVENT_DEPTH);
  if (head) return { head, raw };
  if (nestsDeeperThan(raw, MAX_EVENT_DEPTH))
    throw new AppError(
      'invalid_json',
      `The webhook body nests deeper than ${MAX_EVENT_DEPTH} levels; not a Stripe event.`,
    );
  throw notAnEvent();
}

const notAnEvent = () => new AppError('invalid_json', 'The webhook body is not a Stripe event.');

const ackSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });

/**
 * POST /webhooks/stripe (and the seed systems' aliases): raw body → signature → stored with its
 * apply-job (group commit) → 200. Processing happens later, in a job. 400 only for a bad signature or
 * body; 503 when the event could not be stored, so Stripe retries.
 */
export function webhookRoutes(s: AppContext): FastifyPluginAsync {
  return async (app) => {
    const { ingestor } = s;
    // This plugin's own body parsing: the raw bytes, whatever the content type, for the signature.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    /** The `webhook stored` line (with Fastify's request logger, or the fast path's request id). */
    const logStored = (
      log: FastifyBaseLogger,
      event: ReceivedEvent,
      outcome: IngestOutcome,
      requestId?: string,
    ) =>
      log.info(
        {
          request_id: requestId,
          event_id: event.head.id,
          event_type: event.head.type,
          duplicate: outcome === 'duplicate',
        },
        'webhook stored',
      );

    /** Verify, store, acknowledge: the outcome, or the error to answer. */
    const ingest = async (raw: Buffer, header: string | undefined, log: FastifyBaseLogger) => {
      const event = verifyDelivery(raw, header, s.webhookSecrets, s.now());
      let outcome: IngestOutcome;
      try {
        outcome = await ingestor.submit(event);
      } catch (err) {
        log.error(
          { err, event_id: event.head.id },
          'could not store a webhook event; answering 503 so Stripe retries',
        );
        throw new AppError('storage_unavailable');
      }
      if (outcome === 'invalid') {
        log.warn({ event_id: event.head.id }, 'a signed webhook body is not JSON; refused');
        throw notAnEvent();
      }
      logStored(log, event, outcome);
      return outcome;
    };

    // Deliveries on a connection that carries nothing else are served by the fast path. What it
    // declines — before it has logged anything: a bad signature or body, a body the database refuses,
    // a failed store — is answered below instead, from the start (verified and stored again), so every
    // error answer and its log lines are Fastify's.
    if (app.server instanceof FastPathServer) {
      const answers = {
        new: JSON.stringify({ received: true, duplicate: false }),
        duplicate: JSON.stringify({ received: true, duplicate: true }),
      };
      // The fast path's own answers are logged without Fastify's per-request child logger.
      const fastLog = s.logger as FastifyBaseLogger;
      for (const url of webhookPaths) {
        app.server.addRoute(url, ['stripe-signature'], async (request) => {
          let event: ReceivedEvent;
          try {
            event = verifyDelivery(
              request.body,
              request.headers['stripe-signature'],
              s.webhookSecrets,
              s.now(),
            );
          } catch {
            return undefined;
          }
          const outcome = await ingestor.submit(event).catch(() => undefined);
          if (outcome === undefined || outcome === 'invalid') return undefined;
          request.logIncoming();
          logStored(fastLog, event, outcome, request.id);
          return { status: 200, body: answers[outcome] };
        });
      }
    }

    for (const url of webhookPaths) {
      app.post(
        url,
        {
          // Raw bytes, checked by signature and by the database (no unstorable-text hook, no rate
          // limit: Stripe delivers in bursts and retries what it is refused).
          config: { rawBody: true, rateLimit: false },
          schema: {
            tags: ['webhooks'],
            summary:
              url === '/webhooks/stripe'
                ? 'Stripe webhook endpoint: verify, store, acknowledge; applied asynchronously.'
                : `Alias of /webhooks/stripe for a seed system (${url}).`,
            response: { 200: ackSchema },
          },
        },
        async (request) => {
          const raw = request.body;
          if (!Buffer.isBuffer(raw) || raw.length === 0)
            throw new AppError('invalid_body', 'The webhook body is empty.');
          const header = request.headers['stripe-signature'];
          const outcome = await ingest(raw, typeof header === 'string' ? header : undefined, request.log);
          return { received: true as const, duplicate: outcome === 'duplicate' };
        },
      );
    }
  };
}
