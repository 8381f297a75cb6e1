// Who is calling the subscription prototype's routes. The prototype "signed in" by a `customer`
// cookie holding the Stripe customer id, which anyone could forge. paydesk keeps the cookie but puts a
// paydesk user token (JWT, signed with PAYDESK_JWT_SECRET) in it: `POST /create-customer` signs a new
// user up and sets it; every other route reads it — or, in a real product, the user's own token in
// the Authorization header, which always wins. The cookie is HttpOnly, SameSite=Lax, and Secure when
// paydesk is served over https.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { randomToken } from '../platform/auth/api-keys.js';
import { createJwtVerifier, signUserToken } from '../platform/auth/jwt.js';
import { AppError } from '../platform/errors.js';

export const COOKIE = 'customer';
/** The sample's cookie lived 900,000 ms; so does this one (and the token in it). */
export const COOKIE_SECONDS = 900;

/** The `customer` cookie's value, if the request has one. */
export function cookieToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9._-]{1,4096}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * An onRequest hook for routes that declare user auth: without an Authorization header, the cookie's
 * token is moved into one, so the one authentication path applies (and a forged cookie is a 401).
 */
export async function cookieAsBearer(request: FastifyRequest): Promise<void> {
  if (request.headers.authorization !== undefined) return;
  const token = cookieToken(request);
  if (token) request.headers.authorization = `Bearer ${token}`;
}

/** A new prototype user: a fresh external id and a token for it, valid as long as the cookie. */
export async function signUpToken(s: AppContext): Promise<{ externalId: string; token: string }> {
  const secret = s.secrets.jwtSecret;
  if (!secret) {
    throw new AppError(
      'forbidden',
      'Cookie sign-up needs PAYDESK_JWT_SECRET; with JWKS, send your user’s token as "Authorization: Bearer …" instead.',
    );
  }
  const externalId = `prototype:${randomToken(16)}`;
  const token = await signUserToken(secret, {
    subject: externalId,
    issuer: s.config.jwtIssuer,
    audience: s.config.jwtAudience,
    expiresIn: `${COOKIE_SECONDS}s`,
  });
  return { externalId, token };
}

export function setSessionCookie(s: AppContext, reply: FastifyReply, token: string): void {
  const secure = s.config.publicUrl.startsWith('https:') ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${COOKIE}=${token}; Max-Age=${COOKIE_SECONDS}; Path=/; HttpOnly; SameSite=Lax${secure}`,
  );
}

/**
 * The external id of the user whose token is in the Authorization header (sign-up of a product's
 * signed-in user): verified as every user route verifies it; anything else is a 401.
 */
export async function userOfAuthorization(s: AppContext, header: string): Promise<string> {
  const unauthorized = (why: string) =>
    new AppError('unauthorized', why, undefined, { 'www-authenticate': 'Bearer realm="paydesk"' });
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m)
    throw unauthorized('Send the user’s token as "Authorization: Bearer …", or no Authorization to sign up.');
  const verify = createJwtVerifier({
    secret: s.secrets.jwtSecret,
    jwksUrl: s.config.jwtJwksUrl,
    issuer: s.config.jwtIssuer,
    audience: s.config.jwtAudience,
  });
  if (!verify)
    throw unauthorized('End-user tokens are not enabled on this paydesk (no JWT secret or JWKS URL).');
  const check = await verify(m[1]!);
  if (!check.ok) throw unauthorized(`The token was refused: ${check.reason}.`);
  return check.subject;
}
