// Signing in to the console with the admin key (or the read-only key), and signing out.
import { z } from 'zod';
import { html } from '../pages/html.js';
import { csrfField } from '../pages/layout.js';
import { preSignInToken, preSignInTokenOk, sameToken } from '../pages/session.js';
import { withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import { type AppInstance, type ConsoleKit, csrfBody } from './kit.js';
import { consoleSessionOf, endConsoleSession, roleForKey, startConsoleSession } from './session.js';
import { notice } from './ui.js';

const hide = { hide: true };

/** A console path to go to after sign-in (nothing else: no open redirect). */
export function consoleNext(next: string | undefined): string {
  return next &&
    /^\/console(?:[/?][^\s\\]*)?$/.test(next) &&
    !next.startsWith('/console//') &&
    next.length <= 500
    ? next
    : '/console';
}

function signInView(o: {
  csrf: string;
  next: string;
  enabled: boolean;
  problem: string | undefined;
  signedOut: boolean;
  readOnly: boolean;
}) {
  return html`<section class="card sign-in">
<h1>Operator console</h1>
<p class="lead">Sign in with the admin key${o.readOnly ? ' or the read-only key' : ''}. It is checked here and never kept in the browser: a session cookie is.</p>
${o.problem ? notice('bad', o.problem) : o.signedOut ? notice('ok', 'You are signed out of the console.') : ''}
${
  o.enabled
    ? html`<form method="post" action="/console/sign-in">
${csrfField(o.csrf)}<input type="hidden" name="next" value="${o.next}">
<div class="field"><label for="key">Key</label><input id="key" name="key" type="password" required autocomplete="current-password" spellcheck="false" maxlength="500"></div>
<div class="field"><label for="operator">Your name <span class="muted">(optional, for the audit log)</span></label><input id="operator" name="operator" type="text" autocomplete="name" maxlength="80"></div>
<div class="actions"><button type="submit">Sign in</button></div>
</form>`
    : notice('warn', 'The console is off: no admin key is configured (set PAYDESK_ADMIN_KEY).')
}
</section>`;
}

export function signInRoutes(app: AppInstance, kit: ConsoleKit): void {
  const { s } = kit;
  const keys = () => ({ admin: s.secrets.adminKey, readOnly: s.config.consoleReadonlyKey });

  app.get(
    '/console/sign-in',
    {
      schema: {
        ...hide,
        querystring: z.object({
          next: z.string().max(2000).optional(),
          'signed-out': z.string().max(10).optional(),
        }),
      },
    },
    async (request, reply) => {
      // The form is shown even to a signed-in browser: signing in again replaces its session.
      const next = consoleNext(request.query.next);
      return kit.page(reply, 200, {
        title: 'Sign in',
        session: undefined,
        body: signInView({
          csrf: preSignInToken(s, request, reply),
          next,
          enabled: keys().admin !== undefined,
          problem: undefined,
          signedOut: request.query['signed-out'] !== undefined,
          readOnly: keys().readOnly !== undefined,
        }),
      });
    },
  );

  app.post(
    '/console/sign-in',
    {
      schema: {
        ...hide,
        body: z.object({
          _csrf: csrfBody,
          key: z.string().max(500).optional(),
          operator: z
            .string()
            .trim()
            .max(80)
            .regex(/^[^\p{C}]*$/u, 'no control characters')
            .optional(),
          next: z.string().max(2000).optional(),
        }),
      },
    },
    async (request, reply) => {
      if (!preSignInTokenOk(request, request.body._csrf))
        throw new AppError(
          'forbidden',
          'This form has expired or did not come from this console. Reload the page and try again.',
        );
      const next = consoleNext(request.body.next);
      const role = keys().admin === undefined ? undefined : roleForKey(keys(), request.body.key ?? '');
      if (!role) {
        request.log.info('console sign-in refused: wrong key');
        return kit.page(reply, 401, {
          title: 'Sign in',
          session: undefined,
          body: signInView({
            csrf: preSignInToken(s, request, reply),
            next,
            enabled: keys().admin !== undefined,
            problem: 'That key was not accepted.',
            signedOut: false,
            readOnly: keys().readOnly !== undefined,
          }),
        });
      }
      const operator = request.body.operator || undefined;
      const session = await startConsoleSession(s, request, reply, role, operator);
      await withTransaction(s, (tx) =>
        kit.audit(tx, session, { action: 'console.sign_in', details: { role } }),
      );
      return reply.code(303).header('location', next).send();
    },
  );

  app.post(
    '/console/sign-out',
    { schema: { ...hide, body: z.object({ _csrf: csrfBody }) } },
    async (request, reply) => {
      const session = await consoleSessionOf(s, request);
      if (!session) throw new AppError('unauthorized', 'You are already signed out of the console.');
      if (!sameToken(session.csrf, request.body._csrf))
        throw new AppError(
          'forbidden',
          'This form has expired or did not come from this console. Reload the page and try again.',
        );
      await withTransaction(s, (tx) => kit.audit(tx, session, { action: 'console.sign_out' }));
      await endConsoleSession(s, reply, session);
      return reply.code(303).header('location', '/console/sign-in?signed-out=1').send();
    },
  );
}
