import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const acceptable = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Every request gets an id, echoed in the `request-id` response header and in every error body. A
 * well-formed `x-request-id` from a trusted proxy is kept so logs line up across services.
 */
export function genRequestId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  if (typeof incoming === 'string' && acceptable.test(incoming)) return incoming;
  return `req_${randomBytes(12).toString('base64url')}`;
}
