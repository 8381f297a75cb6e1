// Sign-in to the billing pages: a host product's signed link (`?token=` with paydesk's end-user JWT)
// or, where enabled, the demo sign-in, becomes a server-side session held by an HttpOnly cookie. Every
// form carries the session's CSRF token (synchronizer token); the demo form, shown before there is a
// session, carries a double-submit token instead.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { ensureCustomer } from '../customers/service.js';
import type { Principal } from '../platform/auth/principal.js';
import {
  deleteExpiredSessions,
  deleteSession,
  insertSession,
  liveSession,
  type PageSessionRow,
} from './store.js';

export const SESSION_COOKIE = 'paydesk_session';
export const PRE_CSRF_COOKIE = 'paydesk_csrf';

export interface PageSession {
  customerId: string;
  principal: Extract<Principal, { kind: 'user' }>;
  csrf: string;
  expiresAt: Date;
  idHash: string;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Cookies of a request (first value of each name wins; malformed pairs are skipped). */
export function readCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      // A value that is not valid percent-encoding is no cookie of ours.
    }
  }
  return out;
}

export function secureCookies(s: Pick<AppContext, 'config'>): boolean {
  return s.config.publicUrl.startsWith('https://');
}

export function cookieHeader(
  name: string,
  value: string,
  options: { maxAgeSeconds: number; secure: boolean; sameSite?: 'Lax' | 'Strict' },
): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    `SameSite=${options.sameSite ?? 'Lax'}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

export function addCookie(reply: FastifyReply, cookie: string): void {
  const existing = reply.getHeader('set-cookie');
  const list =
    existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}

/** Constant-time comparison of two tokens (false for any length mismatch or absence). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function fromRow(row: PageSessionRow): PageSession {
  return {
    customerId: row.customer_id,
    principal: { kind: 'user', externalId: row.external_id, email: row.email ?? undefined },
    csrf: row.csrf_token,
    expiresAt: new Date(row.expires_at),
    idHash: row.id_hash,
  };
}

/** The request's live session, or undefined (no cookie, unknown, expired or signed out). */
export async function sessionOf(s: AppContext, request: FastifyRequest): Promise<PageSession | undefined> {
  const id = readCookies(request.headers.cookie).get(SESSION_COOKIE);
  if (!id || id.length > 100) return undefined;
  const row = await liveSession(s.db, sha256(id), s.now());
  return row ? fromRow(row) : undefined;
}

/**
 * Signs a user in: their paydesk customer (and Stripe customer) made if new, a session row stored,
 * the cookie set. Returns the new session.
 */
export async function startSession(
  s: AppContext,
  reply: FastifyReply,
  user: { externalId: string; email: string | undefined },
  replacing: PageSession | undefined,
): Promise<PageSession> {
  const { customer } = await ensureCustomer(s, { external_id: user.externalId, email: user.email });
  const now = s.now();
  if (replacing) await deleteSession(s.db, replacing.idHash);
  await deleteExpiredSessions(s.db, now);
  const id = newToken();
  const row = {
    id_hash: sha256(id),
    customer_id: customer.id,
    external_id: user.externalId,
    email: user.email ?? customer.email,
    csrf_token: newToken(),
    expires_at: new Date(now.getTime() + s.config.pagesSessionMinutes * 60_000),
  };
  await insertSession(s.db, row);
  addCookie(
    reply,
    cookieHeader(SESSION_COOKIE, id, {
      maxAgeSeconds: s.config.pagesSessionMinutes * 60,
      secure: secureCookies(s),
    }),
  );
  return fromRow({ ...row, created_at: now });
}

export async function endSession(
  s: AppContext,
  reply: FastifyReply,
  session: PageSession | undefined,
): Promise<void> {
  if (session) await deleteSession(s.db, session.idHash);
  addCookie(reply, cookieHeader(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secureCookies(s) }));
}

/** The double-submit token for forms shown before sign-in: the cookie's, or a new one set now. */
export function preSignInToken(s: AppContext, request: FastifyRequest, reply: FastifyReply): string {
  const existing = readCookies(request.headers.cookie).get(PRE_CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = newToken();
  addCookie(reply, cookieHeader(PRE_CSRF_COOKIE, token, { maxAgeSeconds: 3600, secure: secureCookies(s) }));
  return token;
}

export function preSignInTokenOk(request: FastifyRequest, submitted: string | undefined): boolean {
  return sameToken(readCookies(request.headers.cookie).get(PRE_CSRF_COOKIE), submitted);
}
