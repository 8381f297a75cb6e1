import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Queryable } from '../db/types.js';
import { AppError } from '../errors.js';
import { looksLikeApiKey, type VerifiedKeys, verifyApiKey } from './api-keys.js';
import type { JwtVerifier } from './jwt.js';
import type { Principal } from './principal.js';

export interface Authenticator {
  db: Queryable;
  /** The app's cache of verified API keys (embedded database only; see VerifiedKeys). */
  verifiedKeys: VerifiedKeys;
  verifyJwt: JwtVerifier | undefined;
  adminKey: string | undefined;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

const challenge = { 'www-authenticate': 'Bearer realm="paydesk"' };

function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message, undefined, challenge);
}

async function identify(
  auth: Authenticator,
  adminKeyHash: Buffer | undefined,
  token: string,
): Promise<Principal> {
  if (adminKeyHash && timingSafeEqual(sha256(token), adminKeyHash)) return { kind: 'admin' };
  if (looksLikeApiKey(token)) {
    const check = await verifyApiKey(auth.db, token, auth.verifiedKeys);
    if (!check.ok)
      throw unauthorized(
        check.reason === 'revoked' ? 'This API key has been revoked.' : 'The API key is not valid.',
      );
    return { kind: 'api_key', keyId: check.record.id, scopes: check.record.scopes };
  }
  if (!auth.verifyJwt)
    throw unauthorized('End-user tokens are not enabled on this paydesk (no JWT secret or JWKS URL).');
  const check = await auth.verifyJwt(token);
  if (!check.ok) throw unauthorized(`The token was refused: ${check.reason}.`);
  const email = typeof check.payload.email === 'string' ? check.payload.email : undefined;
  return { kind: 'user', externalId: check.subject, email };
}

/**
 * Authenticates every request to a route that declares `config.auth`, and authorizes its kind and
 * scopes. Routes without `config.auth` are public.
 */
export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.decorateRequest('principal', undefined);
  // Hashed once here rather than on every request.
  const adminKeyHash = auth.adminKey ? sha256(auth.adminKey) : undefined;
  app.addHook('preHandler', async (request) => {
    const requirement = request.routeOptions.config.auth;
    if (!requirement) return;
    const token = bearer(request);
    if (!token) throw unauthorized('Send an API key or user token as "Authorization: Bearer …".');
    const principal = await identify(auth, adminKeyHash, token);
    if (!requirement.allow.includes(principal.kind)) {
      throw new AppError(
        'forbidden',
        `This route does not accept ${principal.kind === 'api_key' ? 'API keys' : principal.kind === 'user' ? 'user tokens' : 'the admin key'}.`,
      );
    }
    if (principal.kind === 'api_key') {
      const missing = (requirement.scopes ?? []).filter((s) => !principal.scopes.includes(s));
      if (missing.length > 0)
        throw new AppError('forbidden', `This API key lacks the scope(s): ${missing.join(', ')}.`);
    }
    request.principal = principal;
  });
}

/** The authenticated principal of a route that declared `config.auth` (throws if misused on a public route). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal)
    throw new Error(`route ${request.routeOptions.url} reads the principal but declares no auth`);
  return request.principal;
}
