// What every billing-page route needs: the rendering of a page into the layout, the session a page
// requires, the CSRF-checked session of a form post, and the request schemas they share.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { createJwtVerifier, type JwtVerifier } from '../platform/auth/jwt.js';
import { AppError } from '../platform/errors.js';
import type { PageAssets } from './assets.js';
import { fillSlot, type Html } from './html.js';
import { type BrowserStripe, layout, type Nav, type PageEnv, type PageUser, sendPage } from './layout.js';
import { type PageSession, sameToken, sessionOf } from './session.js';

export interface PagesOptions {
  assets: PageAssets;
  stripe: BrowserStripe | undefined;
}

/** The Fastify instance a pages plugin registers its routes on (zod type provider). */
export type AppInstance = Parameters<FastifyPluginAsyncZod>[0];

export const interval = z.enum(intervals);
export const currency = z.string().regex(/^[a-z]{3}$/, 'expected a three-letter currency code');
export const id = z.string().min(1).max(100);
export const csrf = z.string().max(200).optional();
/** Pages are not API: they stay out of the OpenAPI document. */
export const hide = { hide: true };

/** A local path to go to after sign-in (never another origin: no open redirect). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) && next.length <= 500 ? next : '/pricing';
}

export function userOf(session: PageSession): PageUser {
  return { email: session.principal.email, externalId: session.principal.externalId, csrf: session.csrf };
}

export interface PageKit {
  s: AppContext;
  env: PageEnv;
  stripe: BrowserStripe | undefined;
  /** The Payment Element can be offered (a publishable key is configured). */
  onPage: boolean;
  verifyJwt: JwtVerifier | undefined;
  page(
    reply: FastifyReply,
    status: number,
    o: { title: string; nav?: Nav; session?: PageSession | undefined; payment?: boolean; body: Html },
  ): FastifyReply;
  /** The session a page needs; without one, a GET is sent to sign in and come back, anything else refused. */
  requireSession(request: FastifyRequest, reply: FastifyReply): Promise<PageSession | undefined>;
  /** A form post: a live session and its CSRF token, else 403. */
  formSession(request: FastifyRequest, token: string | undefined): Promise<PageSession>;
  /**
   * A fragment that depends only on the catalog (fixed for the app's life) and on `key`, rendered once
   * and kept. `key` must come from a small set (the catalog's intervals, currencies, plans…), never
   * from free user input. The session's CSRF token, where the fragment needs one, is rendered as
   * CSRF_SLOT and put in with `withCsrf`.
   */
  cached(key: string, render: () => Html): Html;
}

/** Stands for the session's CSRF token in a cached fragment (no real token has these characters). */
export const CSRF_SLOT = '\u0001csrf\u0001';

/** A cached fragment with the session's CSRF token in place of CSRF_SLOT. */
export function withCsrf(f: Html, token: string): Html {
  return fillSlot(f, CSRF_SLOT, token);
}

export function createKit(s: AppContext, options: PagesOptions): PageKit {
  const env: PageEnv = { productName: s.config.productName, assets: options.assets, stripe: options.stripe };
  const fragments = new Map<string, Html>();
  return {
    s,
    env,
    stripe: options.stripe,
    onPage: Boolean(options.stripe?.publishableKey),
    verifyJwt: createJwtVerifier({
      secret: s.secrets.jwtSecret,
      jwksUrl: s.config.jwtJwksUrl,
      issuer: s.config.jwtIssuer,
      audience: s.config.jwtAudience,
    }),
    page(reply, status, o) {
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
    },
    async requireSession(request, reply) {
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
    },
    cached(key, render) {
      let fragment = fragments.get(key);
      if (!fragment) {
        fragment = render();
        fragments.set(key, fragment);
      }
      return fragment;
    },
    async formSession(request, token) {
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
    },
  };
}
