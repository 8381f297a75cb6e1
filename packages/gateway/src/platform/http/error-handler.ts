import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isStorageUnavailable } from '../db/errors.js';
import { AppError, errorBody } from '../errors.js';
import { stripeCauseOf } from '../stripe/errors.js';

/**
 * Statement errors a value in the request caused, should one get past the checks made before the
 * database (platform/http/storable-text.ts, the schemas' bounds): text PostgreSQL cannot store, a
 * number out of its column's range. A client error, never a 500.
 */
const REFUSED_VALUE: Readonly<Record<string, string>> = {
  '22021': 'contains a character that cannot be stored',
  '22P05': 'contains a character that cannot be stored',
  '22003': 'a number is out of range',
};

/** Turns any thrown value into the AppError the client sees; unexpected errors become internal_error. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isStorageUnavailable(err))
    return new AppError('storage_unavailable', undefined, undefined, { 'retry-after': '1' });
  const refused = REFUSED_VALUE[(err as { code?: string } | null)?.code ?? ''];
  if (refused) return new AppError('validation_failed', `Invalid request: ${refused}.`);
  const e = err as Partial<FastifyError> & { status?: number };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      in: err.validationContext ?? 'body',
      path: v.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: v.message ?? 'invalid',
    }));
    const first = issues[0];
    const where = first?.path ? `${first.in}.${first.path}` : (first?.in ?? 'request');
    return new AppError('validation_failed', `Invalid ${where}: ${first?.message ?? 'invalid value'}`, {
      issues,
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new AppError('invalid_body');
    case 'FST_ERR_VALIDATION':
      return new AppError('validation_failed', e.message ?? undefined);
  }
  // A JSON body that fails to parse surfaces as a SyntaxError carrying status 400.
  if (err instanceof SyntaxError && (e.statusCode === 400 || e.status === 400))
    return new AppError('invalid_json');
  if (e.statusCode === 400) return new AppError('bad_request');
  if (e.statusCode === 413) return new AppError('payload_too_large');
  if (e.statusCode === 415) return new AppError('unsupported_media_type');
  return new AppError('internal_error');
}

function send(reply: FastifyReply, request: FastifyRequest, err: AppError) {
  if (err.headers) reply.headers(err.headers);
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err, request.id));
}

/** Compiles a route pattern (`/v1/things/:id`, `/files/*`) into a matcher for 405 detection. */
function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('/')
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${body}/?$`);
}

export function registerErrorHandling(app: FastifyInstance): void {
  const routes: { method: string; match: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      routes.push({ method: method.toUpperCase(), match: patternToRegExp(route.url) });
  });

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    const stripe = stripeCauseOf(error);
    if (stripe) {
      // Stripe's own fields (type, code, param, decline code, request id and log URL), for whoever
      // reads the log after a 502 stripe_error or another answer mapped from a Stripe error.
      request.log[appError.status >= 500 ? 'error' : 'info'](
        { code: appError.code, stripe },
        `Stripe refused a request: ${stripe.type}${stripe.code ? ` (${stripe.code})` : ''}`,
      );
    } else if (appError.code === 'storage_unavailable') {
      request.log.warn({ err: error }, 'the database is unavailable; answered 503');
    } else if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: appError.code, reason: (error as Error).message }, 'request rejected');
    }
    return send(reply, request, appError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = [...new Set(routes.filter((r) => r.match.test(path)).map((r) => r.method))];
    if (allowed.length > 0) {
      return send(
        reply,
        request,
        new AppError(
          'method_not_allowed',
          `${request.method} is not allowed here; use ${allowed.join(', ')}.`,
          undefined,
          {
            allow: allowed.join(', '),
          },
        ),
      );
    }
    return send(reply, request, new AppError('not_found', `No route for ${request.method} ${path}.`));
  });
}
