import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ExtraHandler } from '../core/http.js';
import { BrowserBundles, type BrowserProgram } from './bundle.js';

/** The element types the stand-in renders (the path of each element's iframe). */
export const ELEMENT_TYPES = ['payment', 'card', 'address'] as const;

const FRAME_CSS = fileURLToPath(new URL('../../browser/frame/frame.css', import.meta.url));

/**
 * Serves the Stripe.js stand-in: `GET /v3/` (and `/v3`) is the script a merchant page loads with
 * `<script src="…/v3/">`; `/v3/elements/<type>` is the page inside each element's iframe, with its
 * script and stylesheet. The script may be loaded by any origin; the element pages may be framed by
 * any origin (their script only talks to the window that framed them, see browser/frame/main.ts).
 */
export function stripeJsHandler(bundles = new BrowserBundles()): ExtraHandler {
  let css: Promise<string> | undefined;
  return (req, res, path) => {
    if (!path.startsWith('/v3')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/v3' || path === '/v3/') {
      script(res, bundles, 'stripe');
      return true;
    }
    if (path === '/v3/elements-frame.js') {
      script(res, bundles, 'frame');
      return true;
    }
    if (path === '/v3/elements-frame.css') {
      css ??= readFile(FRAME_CSS, 'utf8');
      css.then(
        (text) => {
          res.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache' });
          res.end(text);
        },
        (err: unknown) => failed(res, err),
      );
      return true;
    }
    const m = /^\/v3\/elements\/([a-z]+)$/.exec(path);
    const type = m?.[1];
    if (type !== undefined && (ELEMENT_TYPES as readonly string[]).includes(type)) {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy':
          "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
          'frame-ancestors *',
      });
      res.end(framePage());
      return true;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`Not found: ${path}. The Stripe.js stand-in is served at /v3/.\n`);
    return true;
  };
}

function script(res: ServerResponse, bundles: BrowserBundles, program: BrowserProgram): void {
  bundles.get(program).then(
    (text) => {
      res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-cache',
        'Access-Control-Allow-Origin': '*',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(text);
    },
    (err: unknown) => failed(res, err),
  );
}

function failed(res: ServerResponse, err: unknown): void {
  console.error('[emulator] Stripe.js stand-in: building the browser script failed', err);
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('The emulator could not build its Stripe.js stand-in (see its log).\n');
}

/** The page inside an element's iframe: its script builds the form for the type in the path. */
function framePage(): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Secure payment input frame</title>' +
    '<link rel="stylesheet" href="/v3/elements-frame.css"></head>' +
    '<body><main id="element" class="element"></main>' +
    '<script src="/v3/elements-frame.js"></script></body></html>'
  );
}
