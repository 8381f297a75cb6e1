// Console sign-in: the admin key (or the lesser read-only key) typed into a form becomes a
// server-side session held by an HttpOnly, SameSite=Strict cookie. Each sign-in makes a new random
// session id (a session id planted in the browser beforehand is never adopted: session fixation) and
// ends any session the browser presented. Only the id's sha256 is stored.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { addCookie, cookieHeader, newToken, readCookies, secureCookies } from '../pages/session.js';
import {
  type ConsoleRole,
  deleteConsoleSession,
  deleteExpiredConsoleSessions,
  insertConsoleSession,
  liveConsoleSession,
} from './store.js';

export const CONSOLE_COOKIE = 'paydesk_console';

export interface ConsoleSession {
  role: ConsoleRole;
  /** The name the operator gave at sign-in, if any (for the audit log). */
  operator: string | undefined;
  csrf: string;
  expiresAt: Date;
  idHash: string;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * The role a typed key grants, compared in constant time (both sides hashed first, so neither the
 * length nor the content of the configured keys leaks through timing).
 */
export function roleForKey(
  keys: { admin: string | undefined; readOnly: string | undefined },
  typed: string,
): ConsoleRole | undefined {
  const h = sha256(typed);
  // Both comparisons always run.
  const admin = keys.admin !== undefined && timingSafeEqual(h, sha256(keys.admin));
  const readOnly = keys.readOnly !== undefined && timingSafeEqual(h, sha256(keys.readOnly));
  return admin ? 'admin' : readOnly ? 'read_only' : undefined;
}

/** Who the audit log names for a session: the credential, and the operator's name if given. */
export function actorOf(session: ConsoleSession): string {
  const credential = session.role === 'admin' ? 'admin key' : 'read-only key';
  return session.operator ? `${session.operator} (${credential})` : credential;
}

function cookie(s: AppContext, value: string, maxAgeSeconds: number): string {
  return cookieHeader(CONSOLE_COOKIE, value, { maxAgeSeconds, secure: secureCookies(s), sameSite: 'Strict' });
}

/** The request's live console session, or undefined (no cookie, unknown, expired or signed out). */
export async function consoleSessionOf(
  s: AppContext,
  request: FastifyRequest,
): Promise<ConsoleSession | undefined> {
  const id = readCookies(request.headers.cookie).get(CONSOLE_COOKIE);
  if (!id || id.length > 100) return undefined;
  const row = await liveConsoleSession(s.db, sha256(id).toString('hex'), s.now());
  return row
    ? {
        role: row.role,
        operator: row.operator ?? undefined,
        csrf: row.csrf_token,
        expiresAt: new Date(row.expires_at),
        idHash: row.id_hash,
      }
    : undefined;
}

/** Signs in: a new session (new id, new CSRF token) replacing whatever the browser held. */
export async function startConsoleSession(
  s: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  role: ConsoleRole,
  operator: string | undefined,
): Promise<ConsoleSession> {
  const now = s.now();
  const previous = readCookies(request.headers.cookie).get(CONSOLE_COOKIE);
  if (previous && previous.length <= 100) await deleteConsoleSession(s.db, sha256(previous).toString('hex'));
  await deleteExpiredConsoleSessions(s.db, now);
  const id = newToken();
  const session: ConsoleSession = {
    role,
    operator,
    csrf: newToken(),
    expiresAt: new Date(now.getTime() + s.config.consoleSessionMinutes * 60_000),
    idHash: sha256(id).toString('hex'),
  };
  await insertConsoleSession(
    s.db,
    {
      id_hash: session.idHash,
      role,
      operator: operator ?? null,
      csrf_token: session.csrf,
      expires_at: session.expiresAt,
    },
    now,
  );
  addCookie(reply, cookie(s, id, s.config.consoleSessionMinutes * 60));
  return session;
}

export async function endConsoleSession(
  s: AppContext,
  reply: FastifyReply,
  session: ConsoleSession | undefined,
): Promise<void> {
  if (session) await deleteConsoleSession(s.db, session.idHash);
  addCookie(reply, cookie(s, '', 0));
}
