import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('a default configuration exists; create, update, list configurations with events', async () => {
  const defaults = await t.stripe.billingPortal.configurations.list({ is_default: true });
  assert.equal(defaults.data.length, 1);
  const def = defaults.data[0]!;
  assert.equal(def.active, true);
  assert.equal(def.features.invoice_history.enabled, true);

  const c = await t.stripe.billingPortal.configurations.create({
    features: {
      subscription_cancel: { enabled: true, mode: 'immediately' },
      customer_update: { enabled: true, allowed_updates: ['email', 'name'] },
    },
    business_profile: { headline: 'Acme billing' },
    default_return_url: 'https://shop.example/account',
    metadata: { tier: 'a' },
  });
  assert.match(c.id, /^bpc_/);
  assert.equal(c.is_default, false);
  assert.equal(c.features.subscription_cancel.mode, 'immediately');
  assert.deepEqual(c.features.customer_update.allowed_updates, ['email', 'name']);
  assert.equal(c.business_profile.headline, 'Acme billing');

  const up = await t.stripe.billingPortal.configurations.update(c.id, { active: false, name: 'old' });
  assert.equal(up.active, false);
  assert.equal(up.name, 'old');
  const evs = await t.stripe.events.list({ limit: 2 });
  assert.deepEqual(
    evs.data.map((e) => e.type),
    ['billing_portal.configuration.updated', 'billing_portal.configuration.created'],
  );
  const prev = evs.data[0]!.data.previous_attributes as Record<string, unknown>;
  assert.equal(prev.active, true);
  assert.equal(prev.name, null);

  const inactive = await t.stripe.billingPortal.configurations.list({ active: false });
  assert.deepEqual(
    inactive.data.map((x) => x.id),
    [c.id],
  );
  const cannot = await stripeError(t.stripe.billingPortal.configurations.update(def.id, { active: false }));
  assert.equal(cannot.param, 'active');
  const missing = await stripeError(t.stripe.billingPortal.configurations.retrieve('bpc_nope'));
  assert.equal(missing.statusCode, 404);
  const noFeatures = await stripeError(
    t.stripe.billingPortal.configurations.create({} as Stripe.BillingPortal.ConfigurationCreateParams),
  );
  assert.equal(noFeatures.param, 'features');
});

test('sessions: url served, return_url from the configuration, event, errors', async () => {
  const cus = await t.stripe.customers.create({ email: 'portal@example.com' });
  const s = await t.stripe.billingPortal.sessions.create({
    customer: cus.id,
    return_url: 'https://shop.example/back',
  });
  assert.match(s.id, /^bps_/);
  assert.equal(s.customer, cus.id);
  assert.equal(s.return_url, 'https://shop.example/back');
  assert.ok(s.url.startsWith(t.emu.url));
  const res = await fetch(s.url);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /portal@example\.com/);
  const ev = await t.stripe.events.list({ type: 'billing_portal.session.created', limit: 1 });
  assert.equal((ev.data[0]!.data.object as Stripe.BillingPortal.Session).id, s.id);

  const cfg = await t.stripe.billingPortal.configurations.create({
    features: { invoice_history: { enabled: true } },
    default_return_url: 'https://shop.example/default',
  });
  const s2 = await t.stripe.billingPortal.sessions.create({
    customer: cus.id,
    configuration: cfg.id,
    expand: ['configuration'],
  });
  assert.equal(s2.return_url, 'https://shop.example/default');
  assert.equal((s2.configuration as Stripe.BillingPortal.Configuration).id, cfg.id);

  // The default configuration stands for Dashboard settings saved with a default redirect link.
  const s3 = await t.stripe.billingPortal.sessions.create({ customer: cus.id });
  assert.equal(s3.return_url, `${t.emu.url}/`);
  const bare = await t.stripe.billingPortal.configurations.create({
    features: { invoice_history: { enabled: true } },
  });
  const noReturn = await stripeError(
    t.stripe.billingPortal.sessions.create({ customer: cus.id, configuration: bare.id }),
  );
  assert.equal(noReturn.param, 'return_url');
  const noCustomer = await stripeError(
    t.stripe.billingPortal.sessions.create({} as Stripe.BillingPortal.SessionCreateParams),
  );
  assert.equal(noCustomer.param, 'customer');
  const unknown = await stripeError(
    t.stripe.billingPortal.sessions.create({ customer: 'cus_nope', return_url: 'https://x' }),
  );
  assert.equal(unknown.statusCode, 400);
  const badConfig = await stripeError(
    t.stripe.billingPortal.sessions.create({
      customer: cus.id,
      configuration: 'bpc_nope',
      return_url: 'https://x',
    }),
  );
  assert.equal(badConfig.param, 'configuration');
});
