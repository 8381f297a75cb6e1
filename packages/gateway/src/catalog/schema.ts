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

/** A plan type of the plans & tokens backend: token, monthly, yearly, or one the catalog names (full). */
export const planTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'plan types are 1–40 lowercase letters, digits, _ or -');

/**
 * One row of the plans & tokens backend's plan table: its numeric `id` (unique per type) and `plan_type`, and the
 * catalog item it stands for (a pack, or a plan at an interval). `token` rows name packs, `monthly` and
 * `yearly` rows plans at that interval; any other type (such as `full`) names either.
 */
export const plansBackendEntrySchema = z
  .strictObject({
    id: z.number().int().min(1).max(2_147_483_647),
    type: planTypeSchema,
    pack: id.optional(),
    plan: id.optional(),
    interval: z.enum(intervals).optional(),
  })
  .superRefine((e, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if ((e.pack === undefined) === (e.plan === undefined)) issue('pack', 'name exactly one of pack or plan');
    if (e.pack !== undefined && e.interval !== undefined) issue('interval', 'only with plan');
    if (e.type === 'token' && e.pack === undefined) issue('type', 'token rows name a pack');
    if ((e.type === 'monthly' || e.type === 'yearly') && e.plan === undefined)
      issue('type', `${e.type} rows name a plan`);
    const implied = e.type === 'monthly' ? 'month' : e.type === 'yearly' ? 'year' : undefined;
    if (implied && e.interval !== undefined && e.interval !== implied)
      issue('interval', `${e.type} rows are per ${implied}`);
  });

export type PlansBackendEntry = z.output<typeof plansBackendEntrySchema>;

/** How the replaced systems' identifiers map onto the catalog (docs/compat.md). */
export const compatSchema = z.strictObject({
  plans_backend: z.array(plansBackendEntrySchema).default([]),
});

export const catalogSchema = z
  .strictObject({
    packs: z.array(packSchema).default([]),
    plans: z.array(planSchema).default([]),
    compat: compatSchema.default({ plans_backend: [] }),
  })
  .superRefine((c, ctx) => {
    const rows = new Set<string>();
    c.compat.plans_backend.forEach((row, i) => {
      const at = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: ['compat', 'plans_backend', i, path], message });
      if (rows.has(`${row.type}:${row.id}`)) at('id', `duplicate ${row.type} id ${row.id}`);
      rows.add(`${row.type}:${row.id}`);
      if (row.pack !== undefined && !c.packs.some((p) => p.id === row.pack))
        at('pack', `no pack ${row.pack}`);
      if (row.plan !== undefined) {
        const plan = c.plans.find((p) => p.id === row.plan);
        const interval =
          row.interval ?? (row.type === 'yearly' ? 'year' : row.type === 'monthly' ? 'month' : undefined);
        if (!plan) at('plan', `no plan ${row.plan}`);
        else if (interval === undefined) at('interval', 'required: month or year');
        else if (plan.prices[interval] === undefined)
          at('interval', `plan ${plan.id} has no ${interval}ly price`);
      }
    });
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
