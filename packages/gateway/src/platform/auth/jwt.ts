// End users authenticate with a JWT from the host product: HS256 with a shared secret, or any
// asymmetric algorithm through a JWKS URL. Issuer and audience are checked; `sub` is the user's
// external_id in the host product.
import type { JWTPayload } from 'jose';

// jose is loaded on the first token, not at start-up: its module loading is a visible part of a warm
// start (docs/benchmarks.md, "Figures behind choices in the code").
let joseModule: Promise<typeof import('jose')> | undefined;
const jose = () => {
  joseModule ??= import('jose');
  return joseModule;
};

export interface JwtOptions {
  secret?: string;
  jwksUrl?: string;
  issuer: string;
  audience: string;
}

export type JwtCheck = { ok: true; subject: string; payload: JWTPayload } | { ok: false; reason: string };

export type JwtVerifier = (token: string) => Promise<JwtCheck>;

export function createJwtVerifier(options: JwtOptions): JwtVerifier | undefined {
  if (!options.jwksUrl && !options.secret) return undefined;
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  let jwks: ReturnType<typeof import('jose')['createRemoteJWKSet']> | undefined;
  const claims = { issuer: options.issuer, audience: options.audience };
  return async (token) => {
    const { jwtVerify, createRemoteJWKSet, errors } = await jose();
    try {
      let payload: JWTPayload;
      if (options.jwksUrl) {
        jwks ??= createRemoteJWKSet(new URL(options.jwksUrl));
        ({ payload } = await jwtVerify(token, jwks, claims));
      } else {
        ({ payload } = await jwtVerify(token, secret!, { ...claims, algorithms: ['HS256'] }));
      }
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) {
        return { ok: false, reason: 'the token has no subject (sub)' };
      }
      return { ok: true, subject: payload.sub, payload };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'the token has expired' };
      if (err instanceof errors.JWTClaimValidationFailed) {
        return { ok: false, reason: `the token's ${err.claim} claim is not accepted` };
      }
      if (err instanceof errors.JOSEError) return { ok: false, reason: 'the token is not valid' };
      throw err;
    }
  };
}

/** Signs a token for a user (paydesk dev token, tests). */
export async function signUserToken(
  secret: string,
  options: { subject: string; issuer: string; audience: string; expiresIn?: string; email?: string },
): Promise<string> {
  const { SignJWT } = await jose();
  return new SignJWT(options.email ? { email: options.email } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(new TextEncoder().encode(secret));
}
