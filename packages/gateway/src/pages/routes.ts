// The billing pages' HTTP layer: read the session, check the CSRF token, call the pages' service,
// render. Errors become HTML pages here (the API's JSON error handler stays for the API).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { demoUsers } from '../customers/store.js';
import { createJwtVerifier } from '../platform/auth/jwt.js';
import { AppError } from '../platform/errors.js';
import { toAppError } from '../platform/http/error-handler.js';
import { type PageAssets, registerAssets } from './assets.js';
import { finishCardUpdate, startCardUpdate } from './card.js';
import { type Html, html } from './html.js';
import {
  type BrowserStripe,
  csrfField,
  layout,
  type Nav,
  type PageEnv,
  type PageUser,
  sendPage,
} from './layout.js';
import * as svc from './service.js';
import {
  endSession,
  type PageSession,
  preSignInToken,
  preSignInTokenOk,
  sameToken,
  sessionOf,
  startSession,
} from './session.js';
import { accountView } from './views/account.js';
import { changeView } from './views/change.js';
import { messageView, noticeFor } from './views/message.js';
import { cardView, subscribeView } from './views/pay.js';
import { pricingView } from './views/pricing.js';
import { resultView } from './views/result.js';
import { signInView } from './views/sign-in.js';

export interface PagesOptions {
  assets: PageAssets;
  stripe: BrowserStripe | undefined;
}

const interval = z.enum(intervals);
const currency = z.string().regex(/^[a-z]{3}$/, 'expected a three-letter currency code');
const id = z.string().min(1).max(100);
const csrf = z.string().max(200).optional();
const hide = { hide: true };

/** A local path to go to after sign-in (never another origin: no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) && next.length <= 500 ? next : '/pricing';
}

function userOf(session: PageSession): PageUser {
  return { email: session.principal.email, externalId: session.principal.externalId, csrf: session.csrf };
}

export function pageRoutes(s: AppContext, options: PagesOptions): FastifyPluginAsyncZod {
  const env: PageEnv = { productName: s.config.productName, assets: options.assets, stripe: options.stripe };
  const onPage = Boolean(options.stripe?.publishableKey);
  const verifyJwt = createJwtVerifier({
    secret: s.secrets.jwtSecret,
    jwksUrl: s.config.jwtJwksUrl,
    issuer: s.config.jwtIssuer,
    audience: s.config.jwtAudience,
  });

  function page(
    reply: FastifyReply,
    status: number,
    o: { title: string; nav?: Nav; session?: PageSession | undefined; payment?: boolean; body: Html },
  ) {
    return sendPage(
      reply,
      env,
      status,
      layout(env, {
        title: o.title,
        nav: o.nav,
        user: o.session ? userOf(o.session) : undefined,
        payment: o.payment ?? false,
        body: o.body,
      }),
    );
  }

  /** The session a page needs; without one, a GET is sent to sign in and come back, anything else refused. */
  async function requireSession(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<PageSession | undefined> {
    const session = await sessionOf(s, request);
    if (session) return session;
    if (request.method === 'GET') {
      await reply
        .code(303)
        .header('location', `/sign-in?next=${encodeURIComponent(request.url)}`)
        .send();
      return undefined;
    }
    throw new AppError('unauthorized', 'You are signed out. Open the billing link again and retry.');
  }

  /** A form post: a live session and its CSRF token, else 403. */
  async function formSession(request: FastifyRequest, token: string | undefined): Promise<PageSession> {
    const session = await sessionOf(s, request);
    if (!session)
      throw new AppError('unauthorized', 'You are signed out. Open the billing link again and retry.');
    if (!sameToken(session.csrf, token)) {
      throw new AppError(
        'forbidden',
        'This form has expired or did not come from this site. Reload the page and try again.',
      );
    }
    return session;
  }

  return async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const e = toAppError(error);
      if (e.status >= 500) request.log.error({ err: error }, 'page failed');
      else request.log.info({ code: e.code, reason: e.message }, 'page request refused');
      const title =
        e.status === 404
          ? 'Not found'
          : e.status === 403
            ? 'Not allowed'
            : e.status === 401
              ? 'Please sign in'
              : e.status >= 500
                ? 'Something went wrong'
                : 'That did not work';
      const action =
        e.status === 401
          ? { href: '/sign-in', label: 'Sign in' }
          : { href: '/pricing', label: 'Back to pricing' };
      return page(reply, e.status, { title, body: messageView(title, e.message, action) });
    });

    registerAssets(app, options.assets);

    app.get('/', { schema: hide }, async (_request, reply) =>
      reply.code(303).header('location', '/pricing').send(),
    );

    app.get(
      '/pricing',
      {
        schema: {
          ...hide,
          querystring: z.object({
            interval: z.string().optional(),
            currency: z.string().optional(),
            notice: z.string().optional(),
          }),
        },
      },
      async (request, reply) => {
        const session = await sessionOf(s, request);
        const choice = svc.pricingChoice(s, request.query);
        const entitlement = await svc.currentEntitlement(s, session);
        const current =
          entitlement && ['active', 'trialing', 'past_due'].includes(entitlement.status ?? '')
            ? (entitlement.plan ?? undefined)
            : undefined;
        return page(reply, 200, {
          title: 'Pricing',
          nav: 'pricing',
          session,
          body: pricingView({
            choice,
            currencies: svc.catalogCurrencies(s),
            plans: s.catalog.plans,
            packs: s.catalog.packs,
            user: session ? userOf(session) : undefined,
            currentPlan: current,
            onPage,
            notice: noticeFor(request.query.notice),
          }),
        });
      },
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

    app.post(
      '/sign-out',
      { schema: { ...hide, body: z.object({ _csrf: csrf }) } },
      async (request, reply) => {
        const session = await formSession(request, request.body._csrf);
        await endSession(s, reply, session);
        return page(reply, 200, {
          title: 'Signed out',
          body: messageView('You are signed out', 'Your billing session has ended on this device.', {
            href: '/pricing',
            label: 'Back to pricing',
          }),
        });
      },
    );

    const planBody = z.object({ _csrf: csrf, plan: z.string().min(1).max(40), interval, currency });

    app.post('/subscribe', { schema: { ...hide, body: planBody } }, async (request, reply) => {
      const session = await formSession(request, request.body._csrf);
      const { plan, interval: i, currency: c } = request.body;
      const details = await svc.startSubscription(s, session, { plan, interval: i, currency: c });
      return reply.code(303).header('location', `/subscribe/${details.record.id}`).send();
    });

    app.get('/subscribe/:id', { schema: { ...hide, params: z.object({ id }) } }, async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      const d = await svc.ownSubscription(s, session, request.params.id);
      const sub = d.subscription;
      if (sub.status !== 'incomplete') {
        return reply
          .code(303)
          .header('location', svc.resultUrl(s, `subscription=${d.record.id}`))
          .send();
      }
      const secret = svc.paymentSecretOf(d);
      const item = sub.items.data[0];
      const planId = item?.price.metadata?.paydesk_id;
      const plan = planId ? s.catalog.plan(planId) : undefined;
      const i = item?.price.recurring?.interval === 'year' ? 'year' : 'month';
      const fields = html`${csrfField(session.csrf)}<input type="hidden" name="plan" value="${plan?.id ?? ''}"><input type="hidden" name="interval" value="${i}"><input type="hidden" name="currency" value="${sub.currency}">`;
      return page(reply, 200, {
        title: `Subscribe to ${plan?.name ?? 'a plan'}`,
        nav: 'pricing',
        session,
        payment: true,
        body: subscribeView({
          planName: plan?.name ?? 'your plan',
          amount: item?.price.unit_amount ?? 0,
          currency: sub.currency,
          interval: i,
          trialDays: plan?.trial_days,
          form:
            secret && options.stripe?.publishableKey
              ? {
                  mode: 'payment',
                  publishableKey: options.stripe.publishableKey,
                  clientSecret: secret,
                  returnUrl: svc.resultUrl(s, `subscription=${d.record.id}`),
                  button: 'Subscribe',
                }
              : undefined,
          checkoutFields: fields,
        }),
      });
    });

    app.post('/subscribe/checkout', { schema: { ...hide, body: planBody } }, async (request, reply) => {
      const session = await formSession(request, request.body._csrf);
      const { plan, interval: i, currency: c } = request.body;
      const url = await svc.openCheckout(s, session, { kind: 'plan', plan, interval: i, currency: c });
      return reply.code(303).header('location', url).send();
    });

    app.post(
      '/buy',
      {
        schema: {
          ...hide,
          body: z.object({
            _csrf: csrf,
            pack: z.string().min(1).max(40),
            quantity: z.coerce.number().int().min(1).max(100),
            currency,
          }),
        },
      },
      async (request, reply) => {
        const session = await formSession(request, request.body._csrf);
        const { pack, quantity, currency: c } = request.body;
        const url = await svc.openCheckout(s, session, { kind: 'pack', pack, quantity, currency: c });
        return reply.code(303).header('location', url).send();
      },
    );

    app.get(
      '/payment/result',
      {
        schema: {
          ...hide,
          querystring: z.object({
            session_id: z
              .string()
              .regex(/^cs_[A-Za-z0-9_]{1,200}$/)
              .optional(),
            subscription: id.optional(),
            payment_intent: z
              .string()
              .regex(/^pi_[A-Za-z0-9_]{1,200}$/)
              .optional(),
            payment_intent_client_secret: z.string().max(300).optional(),
            redirect_status: z.string().max(40).optional(),
          }),
        },
      },
      async (request, reply) => {
        const session = await requireSession(request, reply);
        if (!session) return reply;
        const q = request.query;
        let outcome: svc.Outcome;
        if (q.session_id) outcome = await svc.checkoutOutcome(s, session, q.session_id);
        else if (q.subscription)
          outcome = await svc.subscriptionOutcome(s, session, q.subscription, q.payment_intent);
        else throw new AppError('validation_failed', 'This page needs the payment it reports on.');
        return page(reply, 200, { title: outcome.title, session, body: resultView(outcome) });
      },
    );

    app.get('/payment/cancelled', { schema: hide }, async (request, reply) => {
      const session = await sessionOf(s, request);
      return page(reply, 200, {
        title: 'Payment cancelled',
        session,
        body: resultView({
          kind: 'cancelled',
          title: 'Payment cancelled',
          detail: 'You left the payment page. Nothing was charged.',
        }),
      });
    });

    app.get(
      '/account',
      { schema: { ...hide, querystring: z.object({ notice: z.string().max(40).optional() }) } },
      async (request, reply) => {
        const session = await requireSession(request, reply);
        if (!session) return reply;
        const model = await svc.accountModel(s, session);
        return page(reply, 200, {
          title: 'Your account',
          nav: 'account',
          session,
          body: accountView(model, s.catalog, userOf(session), {
            onPage,
            notice: noticeFor(request.query.notice),
          }),
        });
      },
    );

    app.get(
      '/account/change',
      {
        schema: {
          ...hide,
          querystring: z.object({
            subscription: id.optional(),
            to: z
              .string()
              .regex(/^[a-z0-9][a-z0-9_-]{0,39}:(month|year)$/, 'expected plan:interval')
              .optional(),
            plan: z.string().max(40).optional(),
            interval: interval.optional(),
          }),
        },
      },
      async (request, reply) => {
        const session = await requireSession(request, reply);
        if (!session) return reply;
        const q = request.query;
        const [planId, i] = q.to
          ? (q.to.split(':') as [string, 'month' | 'year'])
          : [q.plan, q.interval ?? 'month'];
        if (!planId) throw new AppError('validation_failed', 'Choose the plan to change to.');
        let subId = q.subscription;
        if (!subId) {
          const main = await svc.currentSubscription(s, session);
          if (!main)
            throw new AppError(
              'conflict',
              'You have no subscription to change; choose a plan on the pricing page.',
            );
          subId = main.record.id;
        }
        const { details, preview } = await svc.previewPlanChange(s, session, subId, {
          plan: planId,
          interval: i,
        });
        const fromId = details.subscription.items.data[0]?.price.metadata?.paydesk_id;
        return page(reply, 200, {
          title: 'Change plan',
          nav: 'account',
          session,
          body: changeView({
            fromName: (fromId && s.catalog.plan(fromId)?.name) || 'your current plan',
            toName: s.catalog.plan(planId)?.name ?? planId,
            preview,
            csrf: session.csrf,
            subscriptionId: details.record.id,
          }),
        });
      },
    );

    app.post(
      '/account/change',
      {
        schema: {
          ...hide,
          body: z.object({
            _csrf: csrf,
            subscription: id,
            plan: z.string().min(1).max(40),
            interval,
            proration_date: z.coerce.number().int().positive(),
          }),
        },
      },
      async (request, reply) => {
        const session = await formSession(request, request.body._csrf);
        const b = request.body;
        await svc.confirmPlanChange(s, session, b.subscription, {
          plan: b.plan,
          interval: b.interval,
          proration_date: b.proration_date,
        });
        return reply.code(303).header('location', '/account?notice=changed').send();
      },
    );

    const subBody = z.object({ _csrf: csrf, subscription: id });
    app.post('/account/cancel', { schema: { ...hide, body: subBody } }, async (request, reply) => {
      const session = await formSession(request, request.body._csrf);
      await svc.cancelAtPeriodEnd(s, session, request.body.subscription);
      return reply.code(303).header('location', '/account?notice=cancelled').send();
    });
    app.post('/account/resume', { schema: { ...hide, body: subBody } }, async (request, reply) => {
      const session = await formSession(request, request.body._csrf);
      await svc.resume(s, session, request.body.subscription);
      return reply.code(303).header('location', '/account?notice=resumed').send();
    });

    app.post(
      '/account/portal',
      { schema: { ...hide, body: z.object({ _csrf: csrf }) } },
      async (request, reply) => {
        const session = await formSession(request, request.body._csrf);
        return reply
          .code(303)
          .header('location', await svc.portalUrl(s, session))
          .send();
      },
    );

    app.get('/account/card', { schema: hide }, async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      if (!options.stripe?.publishableKey) {
        throw new AppError('not_found', 'Update your card in the billing portal (from your account page).');
      }
      const intent = await startCardUpdate(s, session);
      return page(reply, 200, {
        title: 'Update your card',
        nav: 'account',
        session,
        payment: true,
        body: cardView(
          {
            mode: 'setup',
            publishableKey: options.stripe.publishableKey,
            clientSecret: intent.clientSecret,
            returnUrl: `${s.config.publicUrl}/account/card/result`,
            button: 'Save card',
          },
          undefined,
        ),
      });
    });

    app.get(
      '/account/card/result',
      {
        schema: {
          ...hide,
          querystring: z.object({
            setup_intent: z.string().regex(/^seti_[A-Za-z0-9_]{1,200}$/),
            setup_intent_client_secret: z.string().max(300).optional(),
            redirect_status: z.string().max(40).optional(),
          }),
        },
      },
      async (request, reply) => {
        const session = await requireSession(request, reply);
        if (!session) return reply;
        const outcome = await finishCardUpdate(s, session, request.query.setup_intent);
        if (outcome.ok) return reply.code(303).header('location', '/account?notice=card').send();
        return page(reply, 200, {
          title: 'Card not saved',
          nav: 'account',
          session,
          body: resultView({
            kind: 'failed',
            title: 'Card not saved',
            detail: outcome.message,
            retry: '/account/card',
          }),
        });
      },
    );
  };
}
