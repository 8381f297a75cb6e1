import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId, randomString } from '../core/ids.js';
import { allOf, paginate } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { arr, bool, emptyableStr, obj, oneOf, reqStr, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { baseUrl } from './common/base-url.js';
import type { EngineCtx } from './common/engine.js';

export type PortalConfiguration = Wire<Stripe.BillingPortal.Configuration>;
export type PortalSession = Wire<Stripe.BillingPortal.Session>;

declare module '../core/store.js' {
  interface CollectionTypes {
    'billing_portal.configuration': PortalConfiguration;
    'billing_portal.session': PortalSession;
  }
}

type Features = PortalConfiguration['features'];

function defaultFeatures(): Features {
  return {
    customer_update: { allowed_updates: ['email', 'address'], enabled: true },
    invoice_history: { enabled: true },
    payment_method_update: { enabled: true, payment_method_configuration: null },
    subscription_cancel: {
      cancellation_reason: { enabled: false, feedback_options: null, options: [] },
      enabled: true,
      mode: 'at_period_end',
      proration_behavior: 'none',
    },
    subscription_pause: { duration: { interval_options: [], type: 'indefinite' }, enabled: false },
    subscription_update: {
      billing_cycle_anchor: null,
      default_allowed_updates: [],
      enabled: false,
      products: [],
      proration_behavior: 'none',
      schedule_at_period_end: { conditions: [] },
      trial_update_behavior: 'end_trial',
    },
  };
}

function newConfiguration(ctx: EngineCtx, isDefault: boolean): PortalConfiguration {
  const now = ctx.now();
  return {
    id: newId('bpc'),
    object: 'billing_portal.configuration',
    active: true,
    application: null,
    business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
    created: now,
    default_return_url: null,
    features: defaultFeatures(),
    is_default: isDefault,
    livemode: false,
    login_page: { enabled: false, url: null },
    metadata: EMPTY_METADATA,
    name: null,
    updated: now,
  };
}

/**
 * The account's default portal configuration (Stripe always has one; made on first use here). It
 * stands for the Dashboard's portal settings, saved with a default redirect link (the emulator's own
 * URL), as in a test-mode account where `stripe trigger billing_portal.session.created` (no
 * `return_url`) succeeds. Configurations made through the API have none unless given.
 */
export function defaultConfiguration(ctx: EngineCtx): PortalConfiguration {
  const found = ctx.store.c('billing_portal.configuration').find((c) => c.is_default);
  if (found) return found;
  const c = newConfiguration(ctx, true);
  c.default_return_url = `${baseUrl(ctx.app)}/`;
  ctx.store.c('billing_portal.configuration').insert(c);
  return c;
}

function flag(p: Params, key: string, name: string): boolean | undefined {
  return bool(p, key, name);
}

/** Applies `features[...]` params over the current features (only the keys given change). */
function applyFeatures(current: Features, p: Params): Features {
  const f = obj(p, 'features');
  if (f === undefined) return current;
  const out = structuredClone(current);
  const cu = obj(f, 'customer_update', 'features[customer_update]');
  if (cu) {
    const enabled = flag(cu, 'enabled', 'features[customer_update][enabled]');
    if (enabled !== undefined) out.customer_update.enabled = enabled;
    const allowed = strArr(cu, 'allowed_updates', 'features[customer_update][allowed_updates]');
    if (allowed !== undefined) {
      out.customer_update.allowed_updates = allowed as Features['customer_update']['allowed_updates'];
    }
  }
  const ih = obj(f, 'invoice_history', 'features[invoice_history]');
  if (ih) {
    const enabled = flag(ih, 'enabled', 'features[invoice_history][enabled]');
    if (enabled !== undefined) out.invoice_history.enabled = enabled;
  }
  const pmu = obj(f, 'payment_method_update', 'features[payment_method_update]');
  if (pmu) {
    const enabled = flag(pmu, 'enabled', 'features[payment_method_update][enabled]');
    if (enabled !== undefined) out.payment_method_update.enabled = enabled;
  }
  const sc = obj(f, 'subscription_cancel', 'features[subscription_cancel]');
  if (sc) {
    const enabled = flag(sc, 'enabled', 'features[subscription_cancel][enabled]');
    if (enabled !== undefined) out.subscription_cancel.enabled = enabled;
    const mode = oneOf(
      sc,
      'mode',
      ['at_period_end', 'immediately'] as const,
      'features[subscription_cancel][mode]',
    );
    if (mode !== undefined) out.subscription_cancel.mode = mode;
    const pr = oneOf(
      sc,
      'proration_behavior',
      ['always_invoice', 'create_prorations', 'none'] as const,
      'features[subscription_cancel][proration_behavior]',
    );
    if (pr !== undefined) out.subscription_cancel.proration_behavior = pr;
  }
  const su = obj(f, 'subscription_update', 'features[subscription_update]');
  if (su) {
    const enabled = flag(su, 'enabled', 'features[subscription_update][enabled]');
    if (enabled !== undefined) out.subscription_update.enabled = enabled;
    const allowed = strArr(
      su,
      'default_allowed_updates',
      'features[subscription_update][default_allowed_updates]',
    );
    if (allowed !== undefined) {
      out.subscription_update.default_allowed_updates =
        allowed as Features['subscription_update']['default_allowed_updates'];
    }
    const pr = oneOf(
      su,
      'proration_behavior',
      ['always_invoice', 'create_prorations', 'none'] as const,
      'features[subscription_update][proration_behavior]',
    );
    if (pr !== undefined) out.subscription_update.proration_behavior = pr;
    const products = arr(su, 'products', 'features[subscription_update][products]');
    if (products !== undefined) {
      out.subscription_update.products = products.map((entry, i) => {
        const name = `features[subscription_update][products][${i}]`;
        if (typeof entry === 'string' || Array.isArray(entry)) throw invalidRequest(`Invalid ${name}.`, name);
        return {
          adjustable_quantity: { enabled: false, maximum: null, minimum: 1 },
          prices: strArr(entry, 'prices', `${name}[prices]`) ?? [],
          product: reqStr(entry, 'product', `${name}[product]`),
        };
      });
    }
  }
  return out;
}

function applyFields(c: PortalConfiguration, p: Params): void {
  const bp = obj(p, 'business_profile');
  if (bp) {
    for (const k of ['headline', 'privacy_policy_url', 'terms_of_service_url'] as const) {
      const v = emptyableStr(bp, k, `business_profile[${k}]`);
      if (v !== undefined) c.business_profile[k] = v;
    }
  }
  const ret = emptyableStr(p, 'default_return_url');
  if (ret !== undefined) c.default_return_url = ret;
  const name = emptyableStr(p, 'name');
  if (name !== undefined) c.name = name;
  const login = obj(p, 'login_page');
  if (login) {
    const enabled = bool(login, 'enabled', 'login_page[enabled]');
    if (enabled !== undefined) {
      c.login_page.enabled = enabled;
      c.login_page.url = enabled
        ? (c.login_page.url ?? `https://billing.stripe.com/p/login/test_${randomString(24)}`)
        : null;
    }
  }
  c.features = applyFeatures(c.features, p);
  c.metadata = applyMetadata(c.metadata, p);
}

function createConfiguration(ctx: Ctx): PortalConfiguration {
  if (ctx.params.features === undefined) throw missingParam('features');
  defaultConfiguration(ctx);
  const c = newConfiguration(ctx, false);
  applyFields(c, ctx.params);
  ctx.store.c('billing_portal.configuration').insert(c);
  ctx.emit('billing_portal.configuration.created', c);
  return c;
}

function requireConfiguration(ctx: Ctx): PortalConfiguration {
  defaultConfiguration(ctx);
  return ctx.store.c('billing_portal.configuration').require(ctx.args.id!, 'configuration', 404);
}

function updateConfiguration(ctx: Ctx): PortalConfiguration {
  const c = requireConfiguration(ctx);
  const before = structuredClone(c);
  applyFields(c, ctx.params);
  const active = bool(ctx.params, 'active');
  if (active !== undefined) {
    if (!active && c.is_default) {
      throw invalidRequest('The default configuration cannot be deactivated.', 'active');
    }
    c.active = active;
  }
  if (Object.keys(diffPrevious(before, c)).length > 0) {
    c.updated = ctx.now();
    ctx.emit('billing_portal.configuration.updated', c, diffPrevious(before, c));
  }
  return c;
}

function listConfigurations(ctx: Ctx) {
  defaultConfiguration(ctx);
  const active = bool(ctx.params, 'active');
  const isDefault = bool(ctx.params, 'is_default');
  return paginate(
    ctx.store.c('billing_portal.configuration'),
    ctx.params,
    '/v1/billing_portal/configurations',
    allOf<PortalConfiguration>(
      active !== undefined && ((c) => c.active === active),
      isDefault !== undefined && ((c) => c.is_default === isDefault),
    ),
  );
}

function createSession(ctx: Ctx): PortalSession {
  const p = ctx.params;
  const customer = reqStr(p, 'customer');
  ctx.store.c('customer').require(customer, 'customer');
  const configId = str(p, 'configuration');
  const config = configId
    ? ctx.store.c('billing_portal.configuration').require(configId, 'configuration')
    : defaultConfiguration(ctx);
  if (!config.active) {
    throw invalidRequest(`The configuration ${config.id} is not active.`, 'configuration');
  }
  const returnUrl = str(p, 'return_url') ?? config.default_return_url;
  if (!returnUrl) {
    throw invalidRequest(
      'Your PortalConfiguration does not have a `default_return_url`, and you did not provide a `return_url`.',
      'return_url',
    );
  }
  const id = newId('bps');
  const session: PortalSession = {
    id,
    object: 'billing_portal.session',
    configuration: config.id,
    created: ctx.now(),
    customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: (str(p, 'locale') as PortalSession['locale'] | undefined) ?? null,
    on_behalf_of: null,
    return_url: returnUrl,
    url: `${baseUrl(ctx.app)}/p/session/${id}`,
  };
  ctx.store.c('billing_portal.session').insert(session);
  ctx.emit('billing_portal.session.created', session);
  return session;
}

export const billingPortal = defineResource('billing_portal', (api) => {
  api.label('billing_portal.configuration', 'configuration');
  api.post('/v1/billing_portal/configurations', createConfiguration);
  api.get('/v1/billing_portal/configurations', listConfigurations);
  api.get('/v1/billing_portal/configurations/:id', requireConfiguration);
  api.post('/v1/billing_portal/configurations/:id', updateConfiguration);
  api.post('/v1/billing_portal/sessions', createSession);
  api.expandable('billing_portal.session', 'configuration', (id) =>
    api.store.c('billing_portal.configuration').get(id),
  );
});
