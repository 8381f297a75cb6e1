import type { FastifyInstance, onSendHookHandler } from 'fastify';

const always: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** API answers may not be framed, sniffed or run as a page. Pages set their own, looser policy. */
const apiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Every header an API answer carries from here (the fast path writes the same ones). */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...always,
  'content-security-policy': apiPolicy,
};

/** The same headers in the order they are set, the API policy last (pages set their own first). */
const defaults: readonly (readonly [string, string])[] = Object.entries(API_SECURITY_HEADERS);

/** Adds the headers to every answer; returns the onSend hook that does. */
export function registerSecurityHeaders(app: FastifyInstance): onSendHookHandler {
  // A callback hook rather than an async one: no promise per response.
  const onSend: onSendHookHandler = (_request, reply, payload, done) => {
    for (const [name, value] of defaults) {
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
    done(null, payload);
  };
  app.addHook('onSend', onSend);
  return onSend;
}
