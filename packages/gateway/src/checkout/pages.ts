// The link flow for signed-in users in a browser: GET /checkout?… opens a session and 303s to Stripe;
// Stripe sends the browser back to /checkout/return (verified with Stripe, then the stored redirect or
// a small page) or to /checkout/cancelled.
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { principalOf } from '../platform/auth/plugin.js';
import { itemFromBody } from './routes.js';
import { createCheckoutSession, returnFromCheckout } from './service.js';

const style =
  ':root{color-scheme:light dark;--text:#1a1f36;--muted:#5b6478;--line:#d5dbe3;--bg:#fff;--ok:#0e7a4b;' +
  '--bad:#c0123c;--info:#8a5300;--accent:#4f46e5}' +
  '@media (prefers-color-scheme:dark){:root{--text:#e8ebf3;--muted:#a3abbe;--line:#30384d;--bg:#0f1320;' +
  '--ok:#5fd39b;--bad:#ff7a93;--info:#ffc266;--accent:#8b85ff}}' +
  'body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:4rem 1rem;' +
  'color:var(--text);background:var(--bg)}' +
  'main{max-width:28rem;margin:0 auto;border:1px solid var(--line);border-radius:12px;padding:28px}' +
  'h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.5rem 0;color:var(--muted)}' +
  '.mark{font-weight:700;font-size:1.3rem;width:44px;height:44px;border-radius:50%;display:grid;' +
  'place-items:center;border:2px solid currentColor;margin-bottom:1rem}' +
  '.ok{color:var(--ok)}.bad{color:var(--bad)}.info{color:var(--info)}' +
  '.reason{color:var(--bad);font-weight:600}a{color:var(--accent);font-weight:600}' +
  'a:focus-visible{outline:3px solid var(--accent);outline-offset:2px;border-radius:4px}';
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

type Tone = 'ok' | 'bad' | 'info';
const MARKS: Record<Tone, string> = { ok: '✓', bad: '✕', info: '…' };

function sendPage(reply: FastifyReply, status: number, title: string, body: string, tone: Tone = 'info') {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', pagePolicy)
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
        `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${style}</style></head>` +
        `<body><main><div class="mark ${tone}" aria-hidden="true">${MARKS[tone]}</div>` +
        `<h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
    );
}

/**
 * What an unpaid return tells the customer, from Stripe's own state (never a guess): a completed
 * session still settling is processing; an open one whose last attempt was declined says so, with
 * the reason and a way back to pay; an expired one charged nothing.
 */
export function returnPage(session: Stripe.Checkout.Session): { title: string; body: string; tone: Tone } {
  const retry = session.url
    ? `<p><a href="${escapeHtml(session.url)}">Return to checkout</a> to try again.</p>`
    : '';
  if (session.status === 'complete') {
    return {
      title: 'Payment processing',
      body: '<p>Your payment was submitted and is still being processed. You will be notified when it completes; nothing more to do here.</p>',
      tone: 'info',
    };
  }
  if (session.status === 'expired') {
    return {
      title: 'Payment not completed',
      body: '<p>This checkout expired before it was paid. Nothing was charged.</p>',
      tone: 'bad',
    };
  }
  const pi = typeof session.payment_intent === 'object' ? session.payment_intent : null;
  const error = pi?.last_payment_error;
  if (pi && error && pi.status === 'requires_payment_method') {
    return {
      title: 'Payment failed',
      body: `<p class="reason">${escapeHtml(error.message ?? 'Your card was declined.')}</p><p>Nothing was charged.</p>${retry}`,
      tone: 'bad',
    };
  }
  if (pi?.status === 'requires_action') {
    return {
      title: 'Payment not completed',
      body: `<p>Your bank asked to confirm this payment and it was not confirmed. Nothing was charged.</p>${retry}`,
      tone: 'bad',
    };
  }
  return {
    title: 'Payment not completed',
    body: `<p>This checkout has not been paid yet. Nothing was charged.</p>${retry}`,
    tone: 'info',
  };
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
            'ok',
          );
        }
        const page = returnPage(r.session);
        return sendPage(reply, 200, page.title, page.body, page.tone);
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
