// The console's static assets, served by paydesk itself under /console/assets/ with a content hash:
// its stylesheet (on top of the billing pages' pages.css), its chart script, and uPlot (a small
// time-series chart library, from node_modules: no CDN).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { AppInstance } from '../pages/kit.js';
import { AppError } from '../platform/errors.js';

const dir = new URL('../../assets/', import.meta.url);

export interface ConsoleAsset {
  path: string;
  type: string;
  body: Buffer;
}

export interface ConsoleAssets {
  css: ConsoleAsset;
  js: ConsoleAsset;
  uplotJs: ConsoleAsset;
  uplotCss: ConsoleAsset;
}

function asset(name: string, type: string, body: Buffer): ConsoleAsset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  return { path: `/console/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`, type, body };
}

export function loadConsoleAssets(): ConsoleAssets {
  // uplot's main entry is dist/uPlot.cjs.js: its browser build sits beside it.
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return {
    css: asset('console.css', css, readFileSync(new URL('console.css', dir))),
    js: asset('console.js', js, readFileSync(new URL('console.js', dir))),
    uplotJs: asset('uplot.min.js', js, readFileSync(join(uplot, 'uPlot.iife.min.js'))),
    uplotCss: asset('uplot.min.css', css, readFileSync(join(uplot, 'uPlot.min.css'))),
  };
}

export function registerConsoleAssets(app: AppInstance, assets: ConsoleAssets): void {
  const byPath = new Map(Object.values(assets).map((a: ConsoleAsset) => [a.path, a]));
  app.get(
    '/console/assets/:file',
    { schema: { hide: true } },
    async (request: FastifyRequest<{ Params: { file: string } }>, reply) => {
      const a = byPath.get(`/console/assets/${request.params.file}`);
      if (!a) throw new AppError('not_found', `No such asset: ${request.params.file}.`);
      return reply
        .header('content-type', a.type)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(a.body);
    },
  );
}
