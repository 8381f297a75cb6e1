// The catalog as the public sees it: packs and plans with their prices per currency (and interval),
// credits, entitlements and trial days. Built from the catalog file alone — no Stripe call — so it is
// cheap, identical on every instance, and cacheable.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Catalog } from './catalog.js';
import { intervals } from './schema.js';

export const packListingSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  credits: z.number().int().describe('credits granted per unit bought'),
  prices: z.array(
    z.object({
      currency: z.string(),
      amount: z.number().int().describe("in the currency's minor unit (cents; yen for jpy)"),
      lookup_key: z.string(),
    }),
  ),
});

export const planListingSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  credits: z.number().int().describe('credits per billing period'),
  credits_mode: z.enum(['reset', 'add']),
  entitlements: z.array(z.string()),
  trial_days: z.number().int().nullable(),
  prices: z.array(
    z.object({
      currency: z.string(),
      interval: z.enum(intervals),
      amount: z.number().int().describe("in the currency's minor unit (cents; yen for jpy)"),
      lookup_key: z.string(),
    }),
  ),
});

export const plansListingSchema = z.object({
  currencies: z.array(z.string()).describe('currencies the listed items are sold in'),
  packs: z.array(packListingSchema),
  plans: z.array(planListingSchema),
});

export type PlansListing = z.infer<typeof plansListingSchema>;

/** The listing, optionally for one currency: items not sold in it are left out. */
export function plansListing(catalog: Catalog, currency?: string): PlansListing {
  const packs = catalog.packs
    .map((pack) => ({
      id: pack.id,
      name: pack.name,
      description: pack.description ?? null,
      credits: pack.credits,
      prices: catalog.prices
        .filter((p) => p.kind === 'pack' && p.itemId === pack.id && (!currency || p.currency === currency))
        .map((p) => ({ currency: p.currency, amount: p.amount, lookup_key: p.lookupKey })),
    }))
    .filter((p) => p.prices.length > 0);
  const plans = catalog.plans
    .map((plan) => ({
      id: plan.id,
      name: plan.name,
      description: plan.description ?? null,
      credits: plan.credits,
      credits_mode: plan.credits_mode,
      entitlements: [...plan.entitlements],
      trial_days: plan.trial_days ?? null,
      prices: catalog.prices
        .filter((p) => p.kind === 'plan' && p.itemId === plan.id && (!currency || p.currency === currency))
        .map((p) => ({
          currency: p.currency,
          interval: p.interval ?? 'month',
          amount: p.amount,
          lookup_key: p.lookupKey,
        })),
    }))
    .filter((p) => p.prices.length > 0);
  const currencies = new Set<string>();
  for (const item of [...packs, ...plans]) for (const p of item.prices) currencies.add(p.currency);
  return { currencies: [...currencies].sort(), packs, plans };
}

/** A strong ETag over the listing's content. */
export function listingEtag(listing: PlansListing): string {
  return `"${createHash('sha256').update(JSON.stringify(listing)).digest('base64url').slice(0, 27)}"`;
}

/** Whether an If-None-Match header matches this ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}
