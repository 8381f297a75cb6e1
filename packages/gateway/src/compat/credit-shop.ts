// Compat: the credit shop's GET links for signed-in users. `?qty=N` buys N credits, as in the
// original: N units of the catalog's pack worth one credit (or, without one, N / credits units of the
// first pack, N a multiple of it; `pack=` names another). `?price_id=` subscribes to the plan that
// Stripe price stands for in this instance's catalog; `redirect` (a path resolves against
// PAYDESK_FRONTEND_URL) is where the browser goes once Stripe says it is paid (through
// /checkout/return). Answers 303 to Stripe Checkout, as the shop's front end expects.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ItemRequest } from '../checkout/items.js';
import { createCheckoutSession } from '../checkout/service.js';
import type { AppContext } from '../context.js';
import { principalOf } from '../platform/auth/plugin.js';
import { AppError } from '../platform/errors.js';
import { frontendRelative } from './frontend-url.js';
import { catalogPriceForId, itemForPrice, priceIdPattern } from './price-id.js';

/** The most credits one link buys. */
export const MAX_CREDITS = 1_000_000;

export const creditShopQuery = z.strictObject({
  qty: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_CREDITS)
    .optional()
    .describe(
      'How many credits to buy: that many of the catalog’s one-credit pack, or a multiple of the pack’s credits.',
    ),
  pack: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe('With qty: the credit pack id; default the catalog’s one-credit pack, else its first.'),
  price_id: z
    .string()
    .regex(priceIdPattern, 'expected a Stripe price id (price_…)')
    .optional()
    .describe('Subscribe: a Stripe price id of one of this paydesk’s catalog plans.'),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/, 'expected a lowercase ISO 4217 code such as usd')
    .optional()
    .describe('With qty: one of the pack’s currencies (default its first).'),
  redirect: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .describe(
      'Where the browser goes after payment: an allowed origin, or a path (joined to PAYDESK_FRONTEND_URL).',
    ),
  token: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe('The user JWT, for links a browser follows; prefer the Authorization header. Never logged.'),
});

type CreditShopQuery = z.infer<typeof creditShopQuery>;

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid querystring.${path}: ${message}`, {
    issues: [{ in: 'querystring', path, message }],
  });
}

async function itemOf(s: AppContext, q: CreditShopQuery): Promise<ItemRequest> {
  if ((q.qty === undefined) === (q.price_id === undefined))
    throw invalid('qty', 'send exactly one of qty (credits) or price_id (subscription)');
  if (q.price_id !== undefined) {
    if (q.pack !== undefined || q.currency !== undefined)
      throw invalid(q.pack !== undefined ? 'pack' : 'currency', 'only with qty');
    const price = await catalogPriceForId(s, q.price_id, { in: 'querystring', path: 'price_id' });
    if (price.kind !== 'plan')
      throw invalid('price_id', `${q.price_id} is a credit pack's price; buy it with qty`);
    return itemForPrice(price, 1);
  }
  const pack =
    q.pack !== undefined
      ? s.catalog.pack(q.pack)
      : (s.catalog.packs.find((p) => p.credits === 1) ?? s.catalog.packs[0]);
  if (pack === undefined) {
    throw new AppError(
      'not_found',
      q.pack === undefined ? 'This paydesk’s catalog sells no credit packs.' : `No such pack: ${q.pack}.`,
    );
  }
  const credits = q.qty!;
  if (credits % pack.credits !== 0) {
    throw invalid(
      'qty',
      `qty is a number of credits: pack ${pack.id} sells ${pack.credits} at a time, so send a multiple of ${pack.credits}`,
    );
  }
  return { kind: 'pack', pack: pack.id, quantity: credits / pack.credits, currency: q.currency };
}

export function creditShopRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/checkout/session',
      {
        config: { auth: { allow: ['user'] } },
        // A link a browser follows cannot carry a header: a `token` query parameter is moved into the
        // Authorization header before authentication, so the one auth path applies.
        onRequest: async (request) => {
          const token = (request.query as { token?: unknown }).token;
          if (request.headers.authorization === undefined && typeof token === 'string' && token !== '') {
            request.headers.authorization = `Bearer ${token}`;
          }
        },
        schema: {
          tags: ['compat'],
          summary: 'Credit shop: buy credits (qty) or subscribe (price_id), then 303 to Stripe Checkout.',
          description:
            'For a signed-in user (JWT in Authorization, or ?token=). `redirect` must be on an allowed ' +
            'origin; the browser is sent there by /checkout/return once Stripe says the session is paid.',
          security: [{ bearer: [] }],
          querystring: creditShopQuery,
          response: { 303: z.null().describe('Location: the Stripe Checkout page.') },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const result = await createCheckoutSession(s, principalOf(request), {
          item: await itemOf(s, q),
          redirect: frontendRelative(s.config, q.redirect),
        });
        return reply
          .code(303)
          .header('cache-control', 'no-store')
          .header('location', result.session.url ?? '')
          .send(null);
      },
    );
  };
}
