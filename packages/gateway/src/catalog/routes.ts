import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { etagMatches, listingEtag, type PlansListing, plansListing, plansListingSchema } from './listing.js';

/** Browsers and proxies may keep the listing a minute; the ETag makes revalidation cheap after that. */
const CACHE_CONTROL = 'public, max-age=60';

export function catalogRoutes(s: AppContext): FastifyPluginAsyncZod {
  // The catalog is fixed for the life of the process: each answer (all, or one currency the catalog
  // sells) is built once. Other well-formed currencies get the empty listing, built on demand.
  const sold = new Set(s.catalog.prices.map((p) => p.currency));
  const cache = new Map<string, { body: PlansListing; etag: string }>();
  const answer = (currency: string | undefined) => {
    const key = currency ?? '';
    let hit = cache.get(key);
    if (!hit) {
      const body = plansListing(s.catalog, currency);
      hit = { body, etag: listingEtag(body) };
      if (currency === undefined || sold.has(currency)) cache.set(key, hit);
    }
    return hit;
  };

  return async (app) => {
    app.get(
      '/v1/plans',
      {
        schema: {
          tags: ['catalog'],
          summary: 'The catalog: credit packs and plans with their prices per currency (public, cacheable).',
          description:
            'Answers with `Cache-Control: public, max-age=60` and an `ETag`; send it back in `If-None-Match` to get `304 Not Modified`.',
          querystring: z.strictObject({
            currency: z
              .string()
              .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO 4217 currency code such as usd')
              .transform((c) => c.toLowerCase())
              .optional()
              .describe('Only items sold in this currency, with only its prices.'),
          }),
          response: { 200: plansListingSchema, 304: z.null().describe('Not modified: the ETag matches.') },
        },
      },
      async (request, reply) => {
        const { body, etag } = answer(request.query.currency);
        reply.header('cache-control', CACHE_CONTROL).header('etag', etag).header('vary', 'accept-encoding');
        if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        return body;
      },
    );
  };
}
