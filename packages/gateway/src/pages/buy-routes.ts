// Pricing, subscribing (Payment Element or Checkout), buying credit packs and the truthful result pages.
import { z } from 'zod';
import { AppError } from '../platform/errors.js';
import { html } from './html.js';
import {
  type AppInstance,
  CSRF_SLOT,
  csrf,
  currency,
  hide,
  id,
  interval,
  type PageKit,
  withCsrf,
} from './kit.js';
import { csrfField } from './layout.js';
import * as svc from './service.js';
import { sessionOf } from './session.js';
import { noticeFor } from './views/message.js';
import { subscribeView } from './views/pay.js';
import { pricingView } from './views/pricing.js';
import { resultView } from './views/result.js';

export function buyRoutes(app: AppInstance, kit: PageKit): void {
  const { s, page, requireSession, formSession, onPage, stripe, cached } = kit;
  const planBody = z.object({ _csrf: csrf, plan: z.string().min(1).max(40), interval, currency });
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
      const notice = noticeFor(request.query.notice) ? request.query.notice : undefined;
      // The page depends on the catalog and on these few choices only (each from a small set): it is
      // rendered once per combination and kept, with the session's CSRF token put in per request.
      const key = [choice.interval, choice.currency, current ?? '', session ? 'in' : 'out', notice ?? ''];
      const body = cached(key.join('|'), () =>
        pricingView({
          choice,
          currencies: svc.catalogCurrencies(s),
          plans: s.catalog.plans,
          packs: s.catalog.packs,
          user: session ? { csrf: CSRF_SLOT } : undefined,
          currentPlan: current,
          onPage,
          notice: noticeFor(notice),
        }),
      );
      return page(reply, 200, {
        title: 'Pricing',
        nav: 'pricing',
        session,
        body: session ? withCsrf(body, session.csrf) : body,
      });
    },
  );

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
          secret && stripe?.publishableKey
            ? {
                mode: 'payment',
                publishableKey: stripe.publishableKey,
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
}
