// What every console route needs, and the contract a console view is written against: rendering into
// the console layout, the session a page requires, and the checked session of an action (CSRF token,
// admin role) with its audit entry written in the action's own transaction.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { Html } from '../pages/html.js';
import type { AppInstance } from '../pages/kit.js';
import { sameToken } from '../pages/session.js';
import { type Tx, withTransaction } from '../platform/db/tx.js';
import type { Queryable } from '../platform/db/types.js';
import { AppError } from '../platform/errors.js';
import { recordAudit } from './audit.js';
import { type ConsoleEnv, consoleLayout, type NavEntry, sendConsolePage } from './layout.js';
import { actorOf, type ConsoleSession, consoleSessionOf } from './session.js';

export type { AppInstance, ConsoleSession, NavEntry };

/** A console view: an optional nav entry, and the routes it registers (GET pages, POST actions, all under /console/). */
export interface ConsoleView {
  nav?: NavEntry;
  register(app: AppInstance, kit: ConsoleKit): void;
}

/** What an action records in the audit log (the actor and time are filled in from the session and clock). */
export interface AuditFacts {
  action: string;
  target?: string | undefined;
  details?: Record<string, unknown>;
}

/** The `_csrf` field every console form posts. */
export const csrfBody = z.string().max(200).optional();

export interface ConsoleKit {
  s: AppContext;
  env: ConsoleEnv;
  /** Renders a page into the console layout (nav, signed-in role, sign-out) and sends it. */
  page(
    reply: FastifyReply,
    status: number,
    o: { title: string; current?: string; session: ConsoleSession | undefined; charts?: boolean; body: Html },
  ): FastifyReply;
  /**
   * The session a GET page needs. Without one the browser is sent to the sign-in form (303, coming
   * back here afterwards) and undefined is returned: the handler returns at once.
   */
  viewer(request: FastifyRequest, reply: FastifyReply): Promise<ConsoleSession | undefined>;
  /**
   * The session of a form post that changes something: a live session (else 401), its CSRF token
   * (else 403) and the admin role (a read-only sign-in gets 403). Throws, so nothing changes.
   */
  actor(request: FastifyRequest, csrf: string | undefined): Promise<ConsoleSession>;
  /**
   * An action in one transaction: checks as `actor`, runs `fn`, and writes the audit entry `fn`
   * returns in the same transaction (nothing is recorded if `fn` throws, nothing done if the entry
   * cannot be written). For an action that goes through a service which opens its own transaction
   * or calls Stripe, call the service first and then `audit` (on success only).
   */
  act<T>(
    request: FastifyRequest,
    csrf: string | undefined,
    fn: (tx: Tx, session: ConsoleSession) => Promise<{ result: T; audit: AuditFacts }>,
  ): Promise<T>;
  /** Writes an audit entry for `session` on `q` (a transaction, or the database). */
  audit(q: Queryable, session: ConsoleSession, facts: AuditFacts): Promise<string>;
}

export function createConsoleKit(s: AppContext, env: ConsoleEnv, nav: () => readonly NavEntry[]): ConsoleKit {
  const kit: ConsoleKit = {
    s,
    env,
    page(reply, status, o) {
      return sendConsolePage(
        reply,
        env,
        status,
        consoleLayout(env, {
          title: o.title,
          current: o.current,
          session: o.session,
          nav: nav(),
          charts: o.charts ?? false,
          body: o.body,
        }),
      );
    },
    async viewer(request, reply) {
      const session = await consoleSessionOf(s, request);
      if (session) return session;
      await reply
        .code(303)
        .header('location', `/console/sign-in?next=${encodeURIComponent(request.url)}`)
        .send();
      return undefined;
    },
    async actor(request, csrf) {
      const session = await consoleSessionOf(s, request);
      if (!session)
        throw new AppError('unauthorized', 'You are signed out of the console. Sign in and retry.');
      if (!sameToken(session.csrf, csrf))
        throw new AppError(
          'forbidden',
          'This form has expired or did not come from this console. Reload the page and try again.',
        );
      if (session.role !== 'admin')
        throw new AppError(
          'forbidden',
          'This sign-in is read-only: it can look at everything and change nothing.',
        );
      return session;
    },
    async act(request, csrf, fn) {
      const session = await kit.actor(request, csrf);
      return withTransaction(s, async (tx) => {
        const { result, audit } = await fn(tx, session);
        await kit.audit(tx, session, audit);
        return result;
      });
    },
    audit(q, session, facts) {
      return recordAudit(q, { ...facts, actor: actorOf(session), at: s.now() });
    },
  };
  return kit;
}
