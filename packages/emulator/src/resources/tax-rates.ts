import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { arr, bool, emptyableStr, num, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';

export type TaxRate = Wire<Stripe.TaxRate>;

declare module '../core/store.js' {
  interface CollectionTypes {
    tax_rate: TaxRate;
  }
}

function create(ctx: Ctx): TaxRate {
  const p = ctx.params;
  const displayName = str(p, 'display_name');
  if (!displayName) throw missingParam('display_name');
  const inclusive = bool(p, 'inclusive');
  if (inclusive === undefined) throw missingParam('inclusive');
  const percentage = num(p, 'percentage');
  if (percentage === undefined) throw missingParam('percentage');
  if (percentage < 0 || percentage > 100) {
    throw invalidRequest('Tax rate percentage must be between 0 and 100.', 'percentage');
  }
  const country = str(p, 'country');
  const rate: TaxRate = {
    id: newId('txr'),
    object: 'tax_rate',
    active: bool(p, 'active') ?? true,
    country: country ? country.toUpperCase() : null,
    created: ctx.now(),
    description: str(p, 'description') ?? null,
    display_name: displayName,
    effective_percentage: percentage,
    flat_amount: null,
    inclusive,
    jurisdiction: str(p, 'jurisdiction') ?? null,
    jurisdiction_level: null,
    livemode: false,
    metadata: applyMetadata(EMPTY_METADATA, p),
    percentage,
    rate_type: 'percentage',
    state: str(p, 'state') ?? null,
    // The enum is checked by the route's parameter description (param-specs).
    tax_type: (str(p, 'tax_type') as TaxRate['tax_type'] | undefined) ?? null,
  };
  ctx.store.c('tax_rate').insert(rate);
  ctx.emit('tax_rate.created', rate);
  return rate;
}

function update(ctx: Ctx): TaxRate {
  const rate = ctx.store.c('tax_rate').require(ctx.args.id!);
  const before = structuredClone(rate);
  const p = ctx.params;
  const active = bool(p, 'active');
  if (active !== undefined) rate.active = active;
  const displayName = str(p, 'display_name');
  if (displayName === '') throw invalidRequest('display_name cannot be empty.', 'display_name');
  if (displayName !== undefined) rate.display_name = displayName;
  const description = emptyableStr(p, 'description');
  if (description !== undefined) rate.description = description;
  const jurisdiction = emptyableStr(p, 'jurisdiction');
  if (jurisdiction !== undefined) rate.jurisdiction = jurisdiction;
  const country = emptyableStr(p, 'country');
  if (country !== undefined) rate.country = country === null ? null : country.toUpperCase();
  const state = emptyableStr(p, 'state');
  if (state !== undefined) rate.state = state;
  const taxType = str(p, 'tax_type') as TaxRate['tax_type'] | undefined;
  if (taxType !== undefined) rate.tax_type = taxType;
  rate.metadata = applyMetadata(rate.metadata ?? EMPTY_METADATA, p);
  const prev = diffPrevious(before, rate);
  if (Object.keys(prev).length > 0) ctx.emit('tax_rate.updated', rate, prev);
  return rate;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const active = bool(p, 'active');
  const inclusive = bool(p, 'inclusive');
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('tax_rate'),
    p,
    '/v1/tax_rates',
    allOf<TaxRate>(
      active !== undefined && ((r) => r.active === active),
      inclusive !== undefined && ((r) => r.inclusive === inclusive),
      created && ((r) => created(r.created)),
    ),
  );
}

/**
 * Reads a list of tax rate ids (`default_tax_rates`, `tax_rates`, `items[0][tax_rates]`) into the
 * rate objects Stripe embeds. `''` clears the list (returns []). Each rate must exist (400
 * `resource_missing` naming `name[i]`) and be active to be applied.
 */
export function readTaxRates(ctx: Ctx, p: Params, key: string, name = key): TaxRate[] | undefined {
  const ids = arr(p, key, name);
  if (ids === undefined) return undefined;
  return ids.map((id, i) => {
    const param = `${name}[${i}]`;
    if (typeof id !== 'string' || id === '') throw invalidRequest(`Invalid string: ${param}`, param);
    const rate = ctx.store.c('tax_rate').require(id, param);
    if (!rate.active) {
      throw invalidRequest(`The tax rate ${id} is inactive and cannot be applied to new objects.`, param);
    }
    return rate;
  });
}

export const taxRates = defineResource('tax_rates', (api) => {
  api.label('tax_rate', 'tax_rate');
  api.post('/v1/tax_rates', create);
  api.get('/v1/tax_rates', list);
  api.get('/v1/tax_rates/:id', (ctx) => ctx.store.c('tax_rate').require(ctx.args.id!));
  api.post('/v1/tax_rates/:id', update);
});
