// The catalog file: credit packs (one-time) and plans (recurring), declared as code.
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'ids are 1–40 lowercase letters, digits, _ or -');
const currency = z.string().regex(/^[a-z]{3}$/, 'currencies are lowercase ISO 4217 codes such as usd');
/** Amounts in the currency's minor unit; Stripe's ceiling is 99,999,999. */
const amount = z.number().int('amounts are whole minor units').min(0).max(99_999_999);
const prices = z.record(currency, amount).refine((p) => Object.keys(p).length > 0, 'at least one currency');

export const packSchema = z.strictObject({
  id,
  name: z.string().min(1).max(250),
  description: z.string().max(1000).optional(),
  /** Credits granted per unit bought. */
  credits: z.number().int().min(1),
  prices,
});

export const intervals = ['month', 'year'] as const;
export type Interval = (typeof intervals)[number];

export const planSchema = z.strictObject({
  id,
  name: z.string().min(1).max(250),
  description: z.string().max(1000).optional(),
  /** Access keys granted while the subscription is active. */
  entitlements: z.array(z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,99}$/)).default([]),
  /** Credits per billing period. */
  credits: z.number().int().min(0).default(0),
  /** On each paid period: `reset` the balance to `credits`, or `add` them. */
  credits_mode: z.enum(['reset', 'add']).default('reset'),
  trial_days: z.number().int().min(1).max(730).optional(),
  prices: z
    .strictObject({ month: prices.optional(), year: prices.optional() })
    .refine((p) => p.month !== undefined || p.year !== undefined, 'a plan needs a month or year price'),
});

export const catalogSchema = z
  .strictObject({
    packs: z.array(packSchema).default([]),
    plans: z.array(planSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    for (const [kind, items] of [
      ['packs', c.packs],
      ['plans', c.plans],
    ] as const) {
      items.forEach((item, i) => {
        if (seen.has(item.id))
          ctx.addIssue({ code: 'custom', path: [kind, i, 'id'], message: `duplicate id ${item.id}` });
        seen.add(item.id);
      });
    }
  });

export type Pack = z.output<typeof packSchema>;
export type Plan = z.output<typeof planSchema>;
export type CatalogFile = z.output<typeof catalogSchema>;
