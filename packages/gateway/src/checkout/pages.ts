// The link flow for signed-in users in a browser: GET /checkout?… opens a session and 303s to Stripe;
// Stripe sends the browser back to /checkout/return (verified with Stripe, then the stored redirect or
// a small page) or to /checkout/cancelled.
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { principalOf } from '../platform/auth/plugin.js';
import { itemFromBody } from './routes.js';
import { createCheckoutSession, returnFromCheckout } from './service.js';

const style =
  'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}' +
  'h1{font-size:1.5rem}';
const styleHash = createHash('sha256').update(style).digest('base64');
/** Pages run no script, load nothing, and cannot be framed; the one inline style is allowed by hash. */
const pagePolicy =
  `default-src 'none'; style-src 'sha256-${styleHash}'; frame-ancestors 'none'; base-uri 'none'; ` +
  "form-action 'none'";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Minor units as a decimal string in the currency's own exponent (integer arithmetic only). */
export function formatAmount(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
  } catch {
    // An unknown code: keep two decimals.
  }
  const unit = 10 ** digits;
  const major = Math.trunc(amount / unit);
  const minor = String(amount % unit).padStart(digits, '0');
  return `${major}${digits > 0 ? `.${minor}` : ''} ${currency.toUpperCase()}`;
}

function sendPage(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', pagePolicy)
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${style}</style></head>` +
        `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

const linkQuery = z.strictObject({
  pack: z.string().min(1).max(40).optional(),
  qty: z.coerce.number().int().min(1).max(1000).optional().describe('Number of packs (default 1).'),
  plan: z.string().min(1).max(40).optional(),
  interval: z.enum(intervals).optional(),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/)
    .optional(),
  redirect: z.string().min(1).max(2048).optional().describe('Allowed origins only; applied after payment.'),
  token: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe(
      'The user JWT, for links a browser follows (it cannot send a header). Prefer the Authorization header; ' +
        'only user tokens are accepted here, and paydesk never logs it.',
    ),
});

export function checkoutPageRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/checkout',
      {
        config: { auth: { allow: ['user'] } },
        // A browser following a link cannot send a header: the token may come as ?token= instead. It is
        // moved into the Authorization header before authentication, so the one auth path applies.
        onRequest: async (request) => {
          const token = (request.query as { token?: unknown }).token;
          if (request.headers.authorization === undefined && typeof token === 'string' && token !== '') {
            request.headers.authorization = `Bearer ${token}`;
          }
        },
        schema: {
          tags: ['checkout'],
          summary: 'Link flow: open a Checkout session for the signed-in user and 303 to Stripe.',
          security: [{ bearer: [] }],
          querystring: linkQuery,
        },
      },
      async (request, reply) => {
        const q = request.query;
        const result = await createCheckoutSession(s, principalOf(request), {
          item: itemFromBody({
            pack: q.pack,
            quantity: q.qty,
            plan: q.plan,
            interval: q.interval,
            currency: q.currency,
            line_items: undefined,
          }),
          redirect: q.redirect,
        });
        return reply
          .code(303)
          .header('cache-control', 'no-store')
          .header('location', result.session.url ?? '')
          .send();
      },
    );

    app.get(
      '/checkout/return',
      {
        schema: {
          tags: ['checkout'],
          summary: 'Where Stripe sends the browser after payment: verified with Stripe, then the redirect.',
          description:
            'Paid: 303 to the session’s `redirect`, or a small "payment received" page. Not (yet) paid: a page saying so.',
          querystring: z.strictObject({ session_id: z.string().regex(/^cs_[A-Za-z0-9_]{1,200}$/) }),
        },
      },
      async (request, reply) => {
        const r = await returnFromCheckout(s, request.query.session_id);
        if (r.paid && r.redirect) {
          return reply.code(303).header('cache-control', 'no-store').header('location', r.redirect).send();
        }
        if (r.paid) {
          const amount =
            r.session.amount_total !== null && r.session.currency
              ? `<p>Amount: ${escapeHtml(formatAmount(r.session.amount_total, r.session.currency))}</p>`
              : '';
          return sendPage(
            reply,
            200,
            'Payment received',
            `<p>Thank you. You can close this page.</p>${amount}`,
          );
        }
        return sendPage(
          reply,
          200,
          r.session.status === 'expired' ? 'Payment not completed' : 'Payment pending',
          r.session.status === 'expired'
            ? '<p>This checkout expired before it was paid. Nothing was charged.</p>'
            : '<p>Stripe has not confirmed the payment yet. Reload this page in a moment.</p>',
        );
      },
    );

    app.get(
      '/checkout/cancelled',
      {
        schema: {
          tags: ['checkout'],
          summary: 'Where Stripe sends the browser when the customer cancels.',
        },
      },
      async (_request, reply) =>
        sendPage(reply, 200, 'Payment cancelled', '<p>Nothing was charged. You can close this page.</p>'),
    );
  };
}
