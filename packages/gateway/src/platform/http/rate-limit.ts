// Rate limits on the routes the public and end users reach (@fastify/rate-limit): per client address
// on public routes, per end user on routes that accept user tokens, each route counted on its own. Server-to-server callers (API
// keys, the admin key), the operations probes and Stripe's webhook deliveries are not limited.
// Counters live in memory (one instance) or in Redis when REDIS_URL is set (shared by all).
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

type LimitConfig = Pick<
  Config,
  'rateLimitPublic' | 'rateLimitUser' | 'rateLimitWindowSeconds' | 'redisUrl' | 'instanceId'
>;

/** Routes never limited: probes and metrics scrapers (health checks must not be throttled). */
const UNLIMITED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

interface AuthRequirement {
  allow: readonly string[];
}

/** The class of a route for rate limiting, from its configuration. */
export function limitClass(route: Pick<RouteOptions, 'url' | 'config'>): 'public' | 'user' | 'none' {
  const config = (route.config ?? {}) as { auth?: AuthRequirement; rateLimit?: unknown; rawBody?: boolean };
  if (config.rateLimit === false || config.rawBody || UNLIMITED_PATHS.has(route.url)) return 'none';
  if (route.url.startsWith('/docs')) return 'public';
  if (!config.auth) return 'public';
  return config.auth.allow.includes('user') ? 'user' : 'none';
}

function rateLimited(windowSeconds: number) {
  return (_request: FastifyRequest, context: { max: number; ttl: number }) => {
    const retryAfter = Math.max(1, Math.ceil(context.ttl / 1000));
    return new AppError(
      'rate_limited',
      `Too many requests; retry in ${retryAfter} s.`,
      { limit: context.max, window_seconds: windowSeconds, retry_after_seconds: retryAfter },
      { 'retry-after': String(retryAfter) },
    );
  };
}

/**
 * Registers the limits. Each route gets its own hook when it is registered (a route-level hook, not
 * an app-wide one): the webhook routes and the others that are not limited carry none.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  config: LimitConfig,
  logger: Logger,
): Promise<void> {
  if (config.rateLimitPublic === 0 && config.rateLimitUser === 0) return;
  const windowMs = config.rateLimitWindowSeconds * 1000;
  const builder = rateLimited(config.rateLimitWindowSeconds);
  // Routes are classed before the plugin's own onRoute hook sees them (hooks run in order).
  app.addHook('onRoute', (route) => {
    const kind = limitClass(route);
    const max = kind === 'public' ? config.rateLimitPublic : kind === 'user' ? config.rateLimitUser : 0;
    const base = (route.config ?? {}) as Record<string, unknown>;
    if (kind === 'none' || max === 0) {
      route.config = { ...base, rateLimit: false } as typeof route.config;
      return;
    }
    const limit =
      kind === 'public'
        ? { max, timeWindow: windowMs, hook: 'onRequest' as const }
        : {
            max,
            timeWindow: windowMs,
            // After authentication (the app's preHandler), so the key is the verified user; API keys
            // and the admin key on routes that also accept users pass unlimited.
            hook: 'preHandler' as const,
            keyGenerator: (request: FastifyRequest) =>
              request.principal?.kind === 'user'
                ? `user:${request.principal.externalId}`
                : `ip:${request.ip}`,
            allowList: (request: FastifyRequest) =>
              request.principal?.kind === 'api_key' || request.principal?.kind === 'admin',
          };
    route.config = { ...base, rateLimit: limit } as typeof route.config;
  });

  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, {
      // Fail a command at once while disconnected: the limit is skipped (skipOnError) rather than
      // requests waiting on Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      lazyConnect: false,
    });
    let lastWarning = 0;
    redis.on('error', (err: Error) => {
      if (Date.now() - lastWarning < 30_000) return;
      lastWarning = Date.now();
      logger.warn({ err }, 'Redis (rate limits) unavailable; requests pass unlimited meanwhile');
    });
    app.addHook('onClose', async () => {
      await redis?.quit().catch(() => redis?.disconnect());
    });
  }

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPublic,
    timeWindow: windowMs,
    // A Redis outage must not take paydesk down with it.
    skipOnError: true,
    ...(redis ? { redis, nameSpace: `paydesk:${config.instanceId}:rate:` } : {}),
    errorResponseBuilder: builder,
    addHeadersOnExceeding: {
      'x-ratelimit-limit': true,
      'x-ratelimit-remaining': true,
      'x-ratelimit-reset': true,
    },
    addHeaders: {
      'x-ratelimit-limit': true,
      'x-ratelimit-remaining': true,
      'x-ratelimit-reset': true,
      'retry-after': true,
    },
  });
}
