import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { arr, bool, emptyableStr, obj, oneOf, reqStr, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { createPrice } from './prices.js';

export type Product = Wire<Stripe.Product>;

declare module '../core/store.js' {
  interface CollectionTypes {
    product: Product;
  }
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,250}$/;

function marketingFeatures(p: Params, key: string): Stripe.Product.MarketingFeature[] | undefined {
  if (p[key] === '') return [];
  const list = arr(p, key);
  if (list === undefined) return undefined;
  return list.map((f, i) => {
    if (typeof f !== 'object' || Array.isArray(f))
      throw invalidRequest(`Invalid ${key}[${i}]`, `${key}[${i}]`);
    return { name: reqStr(f, 'name', `${key}[${i}][name]`) };
  });
}

function applyFields(p: Params, prod: Product, prefix = ''): void {
  const name = (k: string) => (prefix ? `${prefix}[${k}]` : k);
  const set = <K extends keyof Product>(k: K, v: Product[K] | undefined): void => {
    if (v !== undefined) prod[k] = v;
  };
  set('active', bool(p, 'active', name('active')));
  set('description', emptyableStr(p, 'description', name('description')));
  set('images', p.images === '' ? [] : strArr(p, 'images', name('images')));
  set('marketing_features', marketingFeatures(p, 'marketing_features'));
  set('shippable', bool(p, 'shippable', name('shippable')));
  set('statement_descriptor', emptyableStr(p, 'statement_descriptor', name('statement_descriptor')));
  set('tax_code', emptyableStr(p, 'tax_code', name('tax_code')));
  set('unit_label', emptyableStr(p, 'unit_label', name('unit_label')));
  set('url', emptyableStr(p, 'url', name('url')));
  const dims = p.package_dimensions === '' ? null : obj(p, 'package_dimensions');
  if (dims === null) prod.package_dimensions = null;
  else if (dims !== undefined) {
    const n = (k: string) => Number(reqStr(dims, k, `package_dimensions[${k}]`));
    prod.package_dimensions = {
      height: n('height'),
      length: n('length'),
      weight: n('weight'),
      width: n('width'),
    };
  }
  prod.metadata = applyMetadata(prod.metadata, p);
}

/**
 * Builds, stores and announces a product from create params (also used by `price_data[product_data]`
 * on prices). `prefix` names nested params in errors (`product_data`).
 */
export function createProduct(ctx: Ctx, p: Params, prefix = ''): Product {
  const now = ctx.now();
  const customId = str(p, 'id', prefix ? `${prefix}[id]` : 'id');
  if (customId !== undefined) {
    if (!ID_PATTERN.test(customId)) throw invalidRequest('Invalid product id.', 'id');
    if (ctx.store.c('product').has(customId)) {
      throw invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
    }
  }
  const prod: Product = {
    id: customId ?? newId('prod', 14),
    object: 'product',
    active: true,
    created: now,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: EMPTY_METADATA,
    name: reqStr(p, 'name', prefix ? `${prefix}[name]` : 'name'),
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: oneOf(p, 'type', ['service', 'good'] as const) ?? 'service',
    unit_label: null,
    updated: now,
    url: null,
  };
  applyFields(p, prod, prefix);
  ctx.store.c('product').insert(prod);
  ctx.emit('product.created', prod);
  return prod;
}

function create(ctx: Ctx): Product {
  const prod = createProduct(ctx, ctx.params);
  const dpd = obj(ctx.params, 'default_price_data');
  if (dpd !== undefined) {
    const price = createPrice(ctx, dpd, prod.id, 'default_price_data');
    const before = { ...prod };
    prod.default_price = price.id;
    ctx.emit('product.updated', prod, diffPrevious(before, prod));
  }
  return prod;
}

function update(ctx: Ctx): Product {
  const prod = ctx.store.c('product').require(ctx.args.id!);
  const before = structuredClone(prod);
  const p = ctx.params;
  const name = str(p, 'name');
  if (name !== undefined) {
    if (name === '') throw invalidRequest('You cannot set name to an empty string.', 'name');
    prod.name = name;
  }
  applyFields(p, prod);
  const dp = str(p, 'default_price');
  if (dp !== undefined) {
    if (dp === '') prod.default_price = null;
    else {
      const price = ctx.store.c('price').require(dp, 'default_price');
      if (price.product !== prod.id) {
        throw invalidRequest(`The price '${dp}' does not belong to product '${prod.id}'.`, 'default_price');
      }
      if (!price.active) throw invalidRequest(`The price '${dp}' is not active.`, 'default_price');
      prod.default_price = dp;
    }
  }
  const prev = diffPrevious(before, prod);
  if (Object.keys(prev).length > 0) {
    prod.updated = ctx.now();
    ctx.emit('product.updated', prod, prev);
  }
  return prod;
}

function remove(ctx: Ctx): Stripe.DeletedProduct {
  const id = ctx.args.id!;
  const prod = ctx.store.c('product').require(id);
  if (ctx.store.c('price').find((pr) => pr.product === id) !== undefined) {
    throw invalidRequest(
      'This product cannot be deleted because it has one or more prices. Archive it (active=false) instead.',
    );
  }
  ctx.store.c('product').delete(id);
  ctx.emit('product.deleted', prod);
  return { id, object: 'product', deleted: true };
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const active = bool(p, 'active');
  const ids = strArr(p, 'ids');
  const shippable = bool(p, 'shippable');
  const url = str(p, 'url');
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('product'),
    p,
    '/v1/products',
    allOf<Product>(
      active !== undefined && ((x) => x.active === active),
      ids !== undefined && ((x) => ids.includes(x.id)),
      shippable !== undefined && ((x) => x.shippable === shippable),
      url !== undefined && ((x) => x.url === url),
      created && ((x) => created(x.created)),
    ),
  );
}

export const products = defineResource('products', (api) => {
  api.post('/v1/products', create);
  api.get('/v1/products', list);
  api.get('/v1/products/:id', (ctx) => ctx.store.c('product').require(ctx.args.id!));
  api.post('/v1/products/:id', update);
  api.del('/v1/products/:id', remove);
  api.expandable('product', 'default_price', (id) => api.store.c('price').get(id));
});
