import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../core/app.js';
import { StripeError } from '../core/errors.js';
import { decodeForm, type Params } from '../core/form.js';
import type { ExtraHandler } from '../core/http.js';
import { MAX_BODY_BYTES } from '../core/http.js';

/**
 * The routes the emulator serves beside the API: hosted pages (Checkout, portal, 3-D Secure), their
 * assets, and the JSON control endpoints of the payment resources. A route is a synchronous function
 * of the app, the path's captures, the decoded body (form or JSON; a form body carries `_form: '1'`)
 * and the query string.
 */
export interface PageResult {
  status: number;
  json?: unknown;
  html?: string;
  redirect?: string;
  /** A static asset (the pages' stylesheet and script). */
  asset?: { type: string; body: string };
  /** The page may be shown inside another site's iframe (the 3-D Secure page). */
  frameable?: boolean;
}

export type PageRoute = (
  app: App,
  args: string[],
  body: Params,
  query: URLSearchParams,
) => PageResult | Promise<PageResult>;

interface Route {
  method: string;
  pattern: RegExp;
  run: PageRoute;
}

const routes: Route[] = [];

/** Adds a page or control route (modules call this at import time). */
export function pageRoute(method: string, pattern: RegExp, run: PageRoute): void {
  routes.push({ method, pattern, run });
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Params> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) reject(new BodyTooLarge());
      else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      const type = req.headers['content-type'] ?? '';
      try {
        if (text === '') resolve(type.includes('form') ? { _form: '1' } : {});
        else if (type.includes('json') || text.startsWith('{')) {
          const v: unknown = JSON.parse(text);
          if (v === null || typeof v !== 'object' || Array.isArray(v))
            throw new StripeError({
              status: 400,
              type: 'invalid_request_error',
              message: 'The body must be a JSON object.',
            });
          // A JSON object of strings/objects is a Params tree for the readers.
          resolve(v as Params);
        } else resolve({ ...decodeForm(text), _form: '1' });
      } catch (err) {
        if (err instanceof SyntaxError) {
          reject(
            new StripeError({ status: 400, type: 'invalid_request_error', message: 'Invalid JSON body.' }),
          );
        } else reject(err);
      }
    });
    req.on('error', reject);
  });
}

/**
 * Pages allow only their own stylesheet and script; forms may post here and follow the 303 to the
 * merchant's success or return URL (Chromium applies `form-action` to that redirect too).
 */
function csp(frameable: boolean): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    "script-src 'self'",
    "img-src 'self' data:",
    "form-action 'self' http: https:",
    "base-uri 'none'",
    `frame-ancestors ${frameable ? '*' : "'none'"}`,
  ].join('; ');
}

function send(res: ServerResponse, r: PageResult): void {
  const common = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' };
  if (r.redirect !== undefined) {
    res.writeHead(r.status, { ...common, Location: r.redirect, 'Cache-Control': 'no-store' });
    res.end();
  } else if (r.asset !== undefined) {
    res.writeHead(r.status, { ...common, 'Content-Type': r.asset.type, 'Cache-Control': 'no-cache' });
    res.end(r.asset.body);
  } else if (r.html !== undefined) {
    res.writeHead(r.status, {
      ...common,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': csp(r.frameable === true),
      ...(r.frameable ? {} : { 'X-Frame-Options': 'DENY' }),
    });
    res.end(r.html);
  } else {
    res.writeHead(r.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(r.json));
  }
}

function errorResult(err: unknown): PageResult {
  if (err instanceof StripeError) return { status: err.status, json: err.toBody() };
  if (err instanceof BodyTooLarge) {
    return {
      status: 413,
      json: { error: { type: 'invalid_request_error', message: 'Request body too large.' } },
    };
  }
  console.error('[emulator] page route failed', err);
  return { status: 500, json: { error: { type: 'api_error', message: 'Internal emulator error.' } } };
}

/** The node:http handler for these routes (placed before the control API in `startEmulator`). */
export function pagesHandler(app: App): ExtraHandler {
  return (req, res, path, query) => {
    const method = req.method ?? 'GET';
    for (const route of routes) {
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) continue;
      const m = route.pattern.exec(path);
      if (m === null) continue;
      readBody(req)
        .then((body) => route.run(app, m.slice(1), body, new URLSearchParams(query)))
        .then((r) => send(res, r))
        .catch((err: unknown) => send(res, errorResult(err)));
      return true;
    }
    return false;
  };
}
