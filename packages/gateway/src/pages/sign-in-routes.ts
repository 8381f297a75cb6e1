// Sign-in routes: the host product's signed link, the demo sign-in, signing out.
import { z } from 'zod';
import { demoUsers } from '../customers/service.js';
import { AppError } from '../platform/errors.js';
import { type AppInstance, csrf, hide, type PageKit, safeNext } from './kit.js';
import { endSession, preSignInToken, preSignInTokenOk, sessionOf, startSession } from './session.js';
import { messageView } from './views/message.js';
import { signInView } from './views/sign-in.js';

export function signInRoutes(app: AppInstance, kit: PageKit): void {
  const { s, page, formSession, verifyJwt } = kit;
  app.get('/', { schema: hide }, async (_request, reply) =>
    reply.code(303).header('location', '/pricing').send(),
  );

  app.get(
    '/sign-in',
    {
      schema: {
        ...hide,
        querystring: z.object({
          token: z.string().max(8192).optional(),
          next: z.string().max(2000).optional(),
        }),
      },
    },
    async (request, reply) => {
      const next = safeNext(request.query.next);
      const token = request.query.token;
      if (token !== undefined) {
        // The signed link: exchanged at once for a session, then a redirect that drops the token.
        const check = verifyJwt
          ? await verifyJwt(token)
          : { ok: false as const, reason: 'end-user tokens are not enabled' };
        if (!check.ok) {
          request.log.info({ reason: check.reason }, 'billing link refused');
          const expired = check.reason.includes('expired');
          return page(reply, 401, {
            title: expired ? 'This link has expired' : 'This link is not valid',
            nav: 'sign-in',
            body: messageView(
              expired ? 'This link has expired' : 'This link is not valid',
              `Billing links work for a short time only. Go back to ${s.config.productName} and open billing again.`,
            ),
          });
        }
        const email = typeof check.payload.email === 'string' ? check.payload.email : undefined;
        await startSession(s, reply, { externalId: check.subject, email }, await sessionOf(s, request));
        return reply.code(303).header('cache-control', 'no-store').header('location', next).send();
      }
      const session = await sessionOf(s, request);
      if (session) return reply.code(303).header('location', next).send();
      const demo = s.config.pagesDemoSignIn
        ? { users: await demoUsers(s.db), csrf: preSignInToken(s, request, reply), next }
        : undefined;
      return page(reply, 200, {
        title: 'Sign in',
        nav: 'sign-in',
        body: signInView({ productName: s.config.productName, demo, problem: undefined }),
      });
    },
  );

  app.post(
    '/sign-in/demo',
    {
      schema: {
        ...hide,
        body: z.object({
          _csrf: csrf,
          user: z
            .string()
            .regex(/^demo-[a-z0-9._-]{1,40}$/, 'not a demo user')
            .optional(),
          name: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9 ._-]{1,40}$/, 'use letters, digits, spaces, . _ or -')
            .optional(),
          next: z.string().max(2000).optional(),
        }),
      },
    },
    async (request, reply) => {
      if (!s.config.pagesDemoSignIn)
        throw new AppError('not_found', 'The demo sign-in is not enabled on this paydesk.');
      if (!preSignInTokenOk(request, request.body._csrf)) {
        throw new AppError(
          'forbidden',
          'This form has expired or did not come from this site. Reload the page and try again.',
        );
      }
      const { user, name } = request.body;
      let externalId: string;
      let email: string | undefined;
      if (user) externalId = user;
      else if (name) {
        const slug =
          name
            .toLowerCase()
            .replace(/[^a-z0-9._-]+/g, '-')
            .replace(/^-+|-+$/g, '') || 'user';
        externalId = `demo-${slug}`;
        email = `${slug}@demo.paydesk.test`;
      } else throw new AppError('validation_failed', 'Pick a demo user or type a name for a new one.');
      await startSession(s, reply, { externalId, email }, await sessionOf(s, request));
      return reply.code(303).header('location', safeNext(request.body.next)).send();
    },
  );

  app.post('/sign-out', { schema: { ...hide, body: z.object({ _csrf: csrf }) } }, async (request, reply) => {
    const session = await formSession(request, request.body._csrf);
    await endSession(s, reply, session);
    return page(reply, 200, {
      title: 'Signed out',
      body: messageView('You are signed out', 'Your billing session has ended on this device.', {
        href: '/pricing',
        label: 'Back to pricing',
      }),
    });
  });
}
