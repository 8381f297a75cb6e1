// Text PostgreSQL cannot store, refused once for every route: a NUL character (text columns refuse
// 0x00; json refuses \u0000 once parsed) or a lone UTF-16 surrogate (no UTF-8 form: it would be
// stored as U+FFFD, silently changed). Bytes that are not UTF-8 are already U+FFFD once decoded.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../errors.js';

/** A NUL, a high surrogate not followed by a low one, or a low surrogate not after a high one. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/**
 * The path (`name`, `items.0.name`) of the first string in `value`, or key of an object in it, that
 * PostgreSQL cannot store; undefined when there is none. Walks without recursion: a body may be
 * nested far deeper than the call stack allows.
 */
export function findUnstorable(value: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0) {
    const { value: v, path } = stack.pop() as { value: unknown; path: string };
    if (typeof v === 'string') {
      if (!isStorableText(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, String(i)) });
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, inner] = entries[i] as [string, unknown];
        if (!isStorableText(key)) return join(path, JSON.stringify(key).slice(1, -1));
        stack.push({ value: inner, path: join(path, key) });
      }
    }
  }
  return undefined;
}

/** Request headers whose values some route stores. */
const DATA_HEADERS = ['idempotency-key'] as const;

/** The first unstorable field of a request as `<where>.<path>`, e.g. `body.customer.name`. */
export function unstorableField(request: FastifyRequest): string | undefined {
  const parts: [string, unknown][] = [
    ['params', request.params],
    ['query', request.query],
    ['body', request.body],
  ];
  for (const [where, value] of parts) {
    const path = findUnstorable(value);
    if (path !== undefined) return path ? `${where}.${path}` : where;
  }
  for (const name of DATA_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string' && !isStorableText(value)) return `headers.${name}`;
  }
  return undefined;
}

/** Route config: `{ rawBody: true }` routes (webhooks) take bytes as they came and are not checked. */
export interface StorableTextRouteConfig {
  rawBody?: boolean;
}

async function refuseUnstorable(request: FastifyRequest): Promise<void> {
  const field = unstorableField(request);
  if (field === undefined) return;
  throw new AppError(
    'validation_failed',
    `Invalid ${field}: contains a character that cannot be stored (NUL or an unpaired surrogate).`,
    {
      issues: [
        {
          in: field.split('.')[0],
          path: field.split('.').slice(1).join('.'),
          message: 'unstorable character',
        },
      ],
    },
  );
}

/**
 * Adds the check to every route registered after this call, before its schema validation: one
 * place, not per route. It is a route-level hook (not an app-wide one) so that the webhook routes,
 * marked `config: { rawBody: true }`, carry no hook at all (the fast path serves those without
 * Fastify's hooks, platform/http/fast-path.ts).
 */
export function registerStorableText(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if ((route.config as StorableTextRouteConfig | undefined)?.rawBody) return;
    const existing = route.preValidation;
    route.preValidation = existing
      ? [refuseUnstorable, ...(Array.isArray(existing) ? existing : [existing])]
      : [refuseUnstorable];
  });
}
