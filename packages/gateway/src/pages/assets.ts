// The pages' static assets, served by paydesk itself (no external resources): the stylesheet with the
// configured brand colours in front, and the one script. Read once at start; URLs carry a content
// hash so they can be cached for a year.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { themeCss, themeFor } from './theme.js';

const dir = new URL('../../assets/', import.meta.url);

export interface Asset {
  path: string;
  type: string;
  body: Buffer;
}

export interface PageAssets {
  css: Asset;
  js: Asset;
}

function asset(name: string, type: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const [base, ext] = name.split('.') as [string, string];
  return { path: `/assets/${base}.${hash}.${ext}`, type, body: Buffer.from(body) };
}

export function loadAssets(config: Pick<Config, 'brandColor'>): PageAssets {
  const css = themeCss(themeFor(config.brandColor)) + readFileSync(new URL('pages.css', dir), 'utf8');
  const js = readFileSync(new URL('pages.js', dir), 'utf8');
  return {
    css: asset('pages.css', 'text/css; charset=utf-8', css),
    js: asset('pages.js', 'text/javascript; charset=utf-8', js),
  };
}

export function registerAssets(app: FastifyInstance, assets: PageAssets): void {
  const byPath = new Map([assets.css, assets.js].map((a) => [a.path, a]));
  app.get(
    '/assets/:file',
    { schema: { hide: true } },
    async (request: FastifyRequest<{ Params: { file: string } }>, reply) => {
      const a = byPath.get(`/assets/${request.params.file}`);
      if (!a) throw new AppError('not_found', `No such asset: ${request.params.file}.`);
      return reply
        .header('content-type', a.type)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(a.body);
    },
  );
}
