import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const acceptable = /^[A-Za-z0-9._:-]{8,128}$/;

const ID_BYTES = 12;
/** Random bytes for 512 ids, drawn from the system's generator in one call instead of one per request. */
const pool = Buffer.alloc(ID_BYTES * 512);
let offset = pool.length;

function nextId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return `req_${id}`;
}

/**
 * Every request gets an id, echoed in the `request-id` response header and in every error body. A
 * well-formed `x-request-id` from a trusted proxy is kept so logs line up across services.
 */
export function genRequestId(req: IncomingMessage): string {
  return requestIdFor(req.headers['x-request-id']);
}

/** The id for a request whose `x-request-id` header is `incoming` (the fast path's genRequestId). */
export function requestIdFor(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && acceptable.test(incoming)) return incoming;
  return nextId();
}
