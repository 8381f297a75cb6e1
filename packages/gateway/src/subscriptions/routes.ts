import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { customerFor } from '../customers/access.js';
import { principalOf } from '../platform/auth/plugin.js';
import {
  cancelSubscription,
  changePlan,
  createSubscription,
  listSubscriptions,
  previewChange,
  readSubscription,
  resumeSubscription,
  subscriptionFor,
} from './service.js';
import { previewSchema, subscriptionSchema, subscriptionView } from './view.js';

const customerRef = z
  .string()
  .min(1)
  .max(100)
  .describe('paydesk customer id (cust_…). Required with an API key; users may omit it or say `me`.');
const plan = z.string().min(1).max(40).describe('catalog plan id');
const interval = z.enum(intervals);
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO currency code')
  .transform((c) => c.toLowerCase());
const prorationBehavior = z
  .enum(['create_prorations', 'always_invoice'])
  .default('create_prorations')
  .describe(
    'create_prorations (default): the difference is added to the next invoice; always_invoice: it is invoiced and charged now.',
  );
const prorationDate = z
  .number()
  .int()
  .positive()
  .describe('Unix seconds to prorate at (from a preview), inside the current period; default now.');

const params = z.object({ id: z.string().min(1).max(100) });
const auth = (scopes: 'read' | 'write') => ({
  auth: { allow: ['api_key', 'user'] as const, scopes: [scopes] },
});
const security = [{ bearer: [] }];

export function subscriptionRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/subscriptions',
      {
        config: auth('write'),
        schema: {
          tags: ['subscriptions'],
          summary:
            'Subscribe a customer to a catalog plan. Created default_incomplete: confirm the first payment with client_secret. One subscription per customer (409 conflict if one exists).',
          security,
          body: z.strictObject({ customer: customerRef.optional(), plan, interval, currency }),
          response: { 200: subscriptionSchema, 201: subscriptionSchema },
        },
      },
      async (request, reply) => {
        const { customer: ref, ...choice } = request.body;
        const customer = await customerFor(s, principalOf(request), ref, { create: true });
        const { details, created } = await createSubscription(s, customer, choice);
        return reply.code(created ? 201 : 200).send(subscriptionView(s, details));
      },
    );

    app.get(
      '/v1/subscriptions',
      {
        config: auth('read'),
        schema: {
          tags: ['subscriptions'],
          summary: 'A customer’s subscriptions (newest first, ended ones included), read from Stripe.',
          security,
          querystring: z.strictObject({ customer: customerRef.optional() }),
          response: { 200: z.object({ data: z.array(subscriptionSchema) }) },
        },
      },
      async (request) => {
        const customer = await customerFor(s, principalOf(request), request.query.customer);
        const list = await listSubscriptions(s, customer);
        return { data: list.map((d) => subscriptionView(s, d)) };
      },
    );

    app.get(
      '/v1/subscriptions/:id',
      {
        config: auth('read'),
        schema: {
          tags: ['subscriptions'],
          summary: 'A subscription, read from Stripe.',
          security,
          params,
          response: { 200: subscriptionSchema },
        },
      },
      async (request) => {
        const row = await subscriptionFor(s, principalOf(request), request.params.id);
        return subscriptionView(s, await readSubscription(s, row));
      },
    );

    app.get(
      '/v1/subscriptions/:id/preview',
      {
        config: auth('read'),
        schema: {
          tags: ['subscriptions'],
          summary:
            'Preview a plan change: the proration and the invoice amounts, from Stripe. Nothing changes.',
          security,
          params,
          querystring: z.strictObject({
            plan,
            interval,
            proration_behavior: prorationBehavior,
            proration_date: z.coerce.number().pipe(prorationDate).optional(),
          }),
          response: { 200: previewSchema },
        },
      },
      async (request) => {
        const row = await subscriptionFor(s, principalOf(request), request.params.id);
        return previewChange(s, await readSubscription(s, row), request.query, 'querystring');
      },
    );

    app.post(
      '/v1/subscriptions/:id/change',
      {
        config: auth('write'),
        schema: {
          tags: ['subscriptions'],
          summary: 'Move the subscription to another plan or interval (same currency), prorated.',
          security,
          params,
          body: z.strictObject({
            plan,
            interval,
            proration_behavior: prorationBehavior,
            proration_date: prorationDate.optional(),
          }),
          response: { 200: subscriptionSchema },
        },
      },
      async (request) => {
        const row = await subscriptionFor(s, principalOf(request), request.params.id);
        return subscriptionView(s, await changePlan(s, await readSubscription(s, row), request.body));
      },
    );

    app.post(
      '/v1/subscriptions/:id/cancel',
      {
        config: auth('write'),
        schema: {
          tags: ['subscriptions'],
          summary:
            'Cancel now (at_period_end: false) or at the end of the current period (at_period_end: true).',
          security,
          params,
          body: z.strictObject({ at_period_end: z.boolean() }),
          response: { 200: subscriptionSchema },
        },
      },
      async (request) => {
        const row = await subscriptionFor(s, principalOf(request), request.params.id);
        const details = await readSubscription(s, row);
        return subscriptionView(s, await cancelSubscription(s, details, request.body.at_period_end));
      },
    );

    app.post(
      '/v1/subscriptions/:id/resume',
      {
        config: auth('write'),
        schema: {
          tags: ['subscriptions'],
          summary: 'Undo a cancellation at period end, or resume a paused subscription.',
          security,
          params,
          response: { 200: subscriptionSchema },
        },
      },
      async (request) => {
        const row = await subscriptionFor(s, principalOf(request), request.params.id);
        return subscriptionView(s, await resumeSubscription(s, await readSubscription(s, row)));
      },
    );
  };
}
