// The account: the plan with its change (preview, then confirm), cancel and resume, the card, the portal.
import { z } from 'zod';
import { AppError } from '../platform/errors.js';
import { finishCardUpdate, startCardUpdate } from './card.js';
import { type AppInstance, csrf, hide, id, interval, type PageKit, userOf } from './kit.js';
import * as svc from './service.js';
import { accountView } from './views/account.js';
import { changeView } from './views/change.js';
import { invoicesView } from './views/invoices.js';
import { noticeFor } from './views/message.js';
import { cardView } from './views/pay.js';
import { resultView } from './views/result.js';

export function accountRoutes(app: AppInstance, kit: PageKit): void {
  const { s, page, requireSession, formSession, onPage, stripe } = kit;
  app.get(
    '/account',
    {
      schema: {
        ...hide,
        querystring: z.object({
          notice: z.string().max(40).optional(),
          // Back from the customer portal: what may have changed there is read from Stripe once.
          from: z.enum(['portal']).optional(),
        }),
      },
    },
    async (request, reply) => {
      const session = await requireSession(request, reply);
      if (!session) return reply;
      if (request.query.from === 'portal') await svc.refreshAfterPortal(s, session);
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

  app.get('/account/invoices', { schema: hide }, async (request, reply) => {
    const session = await requireSession(request, reply);
    if (!session) return reply;
    return page(reply, 200, {
      title: 'Invoices',
      nav: 'account',
      session,
      body: invoicesView(await svc.invoicesOf(s, session)),
    });
  });

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
        subId = main.id;
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
    if (!stripe?.publishableKey) {
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
          publishableKey: stripe.publishableKey,
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
}
