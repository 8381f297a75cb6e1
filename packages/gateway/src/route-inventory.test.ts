// Every route the app registers (collected with Fastify's onRoute) is either public — listed below
// with why — or runs the shared auth suite (testing/auth-suite.ts) with the kinds and scopes it
// declares, admin routes included. A new route fails here until it is listed: with a sample request
// (a URL and a body its schema accepts, so the answer proves authentication, not validation) or as public.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import type { Scope } from './platform/auth/api-keys.js';
import type { PrincipalKind } from './platform/auth/principal.js';
import { createTestApp } from './testing/app.js';
import { authSuite, type ProtectedRoute } from './testing/auth-suite.js';
import { createTestDatabase } from './testing/db.js';

type Method = ProtectedRoute['method'];

/** Routes anyone may call, and why. */
const publicRoutes: Readonly<Record<string, string>> = {
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'GET /metrics': 'Prometheus scrape: no credentials, as scrapers expect',
  'GET /docs': 'OpenAPI UI',
  'GET /docs/static/index.html': 'OpenAPI UI',
  'GET /docs/static/swagger-initializer.js': 'OpenAPI UI',
  'GET /docs/static/*': 'OpenAPI UI assets',
  'GET /docs/json': 'the OpenAPI document',
  'GET /docs/yaml': 'the OpenAPI document',
  'GET /v1/plans': 'the public price list',
  'GET /billing/plans/:type/': 'the public price list (compat)',
  'GET /checkout/return': 'Stripe Checkout returns the browser here (verified against Stripe)',
  'POST /whmcs/pay':
    "the WHMCS module's Pay form, posted by the client's browser (HMAC-signed with the module secret)",
  'GET /whmcs/return': 'Stripe Checkout returns the WHMCS client here (verified against Stripe)',
  'GET /checkout/cancelled': 'Stripe Checkout returns the browser here',
  'POST /webhooks/stripe': 'Stripe webhooks: authenticated by their signature',
  'POST /webhook': 'Stripe webhooks (alias): authenticated by their signature',
  'POST /api/checkout/webhook': 'Stripe webhooks (alias): authenticated by their signature',
  'POST /billing/stripe/webhook/': 'Stripe webhooks (alias): authenticated by their signature',
  'GET /': 'billing pages: redirects to /pricing',
  'GET /pricing': 'billing page: the public price list (a signed-in user is read from the page session)',
  'GET /sign-in':
    'billing pages: exchanges a signed link (?token=, a user JWT) for a session, or offers the demo sign-in',
  'POST /sign-in/demo': 'billing pages: demo sign-in (embedded mode; double-submit CSRF token)',
  'POST /sign-out': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'POST /subscribe': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'GET /subscribe/:id': 'billing pages: cookie session checked by the page; the user’s own subscription only',
  'POST /subscribe/checkout': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'POST /buy': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'GET /payment/result': 'billing pages: cookie session checked by the page; the outcome read from Stripe',
  'GET /payment/cancelled': 'billing pages: where Checkout returns a customer who left it',
  'GET /account': 'billing pages: cookie session checked by the page (pages/kit.ts)',
  'GET /account/change': 'billing pages: cookie session checked by the page; a preview changes nothing',
  'POST /account/change': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'POST /account/cancel': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'POST /account/resume': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'POST /account/portal': 'billing pages: cookie session + CSRF token checked by the page (pages/kit.ts)',
  'GET /account/card': 'billing pages: cookie session checked by the page (pages/kit.ts)',
  'GET /account/invoices': 'billing pages: cookie session checked by the page; the invoices read from Stripe',
  'GET /account/card/result':
    'billing pages: cookie session checked by the page; the SetupIntent read from Stripe',
  'GET /assets/:file': 'the billing pages’ stylesheet and script',
  'GET /console/sign-in': 'operator console: the sign-in form (console/sign-in-routes.ts)',
  'POST /console/sign-in':
    'operator console: the admin or read-only key typed into the form (double-submit CSRF token) becomes a cookie session',
  'POST /console/sign-out':
    'operator console: cookie session + CSRF token checked by the console (console/kit.ts)',
  'GET /console': 'operator console overview: console cookie session checked by the page (console/kit.ts)',
  'GET /console/audit':
    'operator console audit log: console cookie session checked by the page (console/kit.ts)',
  'GET /console/assets/:file': 'the operator console’s stylesheet, chart script and uPlot',
  'GET /console/payments':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/payments/:id':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/payments/:id/refund':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /console/subscriptions':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/customers':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/customers/:id':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/customers/:id/credits':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /console/credits':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/refunds':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/disputes':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/events':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/events/:id':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/events/:id/replay':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /console/jobs':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/jobs/:id/retry':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /console/notifications':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'GET /console/notifications/:id':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/notifications/:id/redeliver':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /console/*':
    'operator console: any other page under /console/ is a 404 page once signed in (sign-in first), console/routes.ts',
  'GET /console/whmcs':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/whmcs/:id/retry':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /console/api-keys':
    'operator console table view: console cookie session checked by the page (console/views/)',
  'POST /console/api-keys':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'POST /console/api-keys/:id/revoke':
    'operator console action: console cookie session, CSRF token and admin role checked by kit.actor (console/views/)',
  'GET /config': 'the publishable key and the public price list (compat: subscription prototype)',
  'POST /create-customer':
    'sign-up (compat: subscription prototype): makes a user and sets their cookie; a token, if sent, is verified',
};

/** A request each authenticated route would accept but for its credentials. */
const samples: Readonly<Record<string, { url: string; payload?: Record<string, unknown> }>> = {
  'POST /v1/customers': { url: '/v1/customers', payload: { external_id: 'auth-x' } },
  'GET /v1/customers/:id': { url: '/v1/customers/me' },
  'GET /v1/customers/:id/entitlements': { url: '/v1/customers/me/entitlements' },
  'GET /v1/customers/:id/credits/ledger': { url: '/v1/customers/me/credits/ledger' },
  'POST /v1/customers/:id/credits/consume': {
    url: '/v1/customers/me/credits/consume',
    payload: { amount: 1, idempotency_key: 'x' },
  },
  'POST /v1/customers/:id/credits/adjust': {
    url: '/v1/customers/me/credits/adjust',
    payload: { amount: 1, idempotency_key: 'x' },
  },
  'POST /v1/checkout/sessions': { url: '/v1/checkout/sessions', payload: { pack: 'credits-100' } },
  'GET /v1/checkout/sessions/:id': { url: '/v1/checkout/sessions/cs_test_x' },
  'GET /checkout': { url: '/checkout?pack=credits-100' },
  'POST /v1/payment_intents': { url: '/v1/payment_intents', payload: { pack: 'credits-100' } },
  'GET /v1/payment_intents/:id': { url: '/v1/payment_intents/pi_x' },
  'GET /v1/payments': { url: '/v1/payments' },
  'POST /v1/subscriptions': {
    url: '/v1/subscriptions',
    payload: { plan: 'starter', interval: 'month', currency: 'usd' },
  },
  'GET /v1/subscriptions': { url: '/v1/subscriptions?customer=me' },
  'GET /v1/subscriptions/:id': { url: '/v1/subscriptions/psub_x' },
  'GET /v1/subscriptions/:id/preview': { url: '/v1/subscriptions/psub_x/preview?plan=pro&interval=month' },
  'POST /v1/subscriptions/:id/change': {
    url: '/v1/subscriptions/psub_x/change',
    payload: { plan: 'pro', interval: 'month' },
  },
  'POST /v1/subscriptions/:id/cancel': {
    url: '/v1/subscriptions/psub_x/cancel',
    payload: { at_period_end: true },
  },
  'POST /v1/subscriptions/:id/resume': { url: '/v1/subscriptions/psub_x/resume' },
  'POST /v1/portal/sessions': {
    url: '/v1/portal/sessions',
    payload: { return_url: 'https://app.example.com/' },
  },
  'POST /admin/api-keys': { url: '/admin/api-keys', payload: { name: 'x' } },
  'GET /admin/api-keys': { url: '/admin/api-keys' },
  'DELETE /admin/api-keys/:id': { url: '/admin/api-keys/pdk_x' },
  'POST /admin/webhooks/reconcile': { url: '/admin/webhooks/reconcile', payload: {} },
  'POST /admin/webhooks/events/:id/replay': { url: '/admin/webhooks/events/evt_x/replay', payload: {} },
  'GET /admin/whmcs/payments': { url: '/admin/whmcs/payments' },
  'POST /admin/whmcs/payments/:session/retry': { url: '/admin/whmcs/payments/cs_x/retry', payload: {} },
  'GET /admin/whmcs/pending': { url: '/admin/whmcs/pending' },
  'POST /admin/whmcs/pending/:id/retry': { url: '/admin/whmcs/pending/re_x/retry', payload: {} },
  'POST /admin/subscriptions/check': { url: '/admin/subscriptions/check', payload: {} },
  'POST /create-checkout-session': { url: '/create-checkout-session', payload: { pack: 'credits-100' } },
  'GET /checkout-session': { url: '/checkout-session?session_id=cs_test_x' },
  'POST /payment-intent': { url: '/payment-intent', payload: { pack: 'credits-100' } },
  'GET /payment-intent/:id': { url: '/payment-intent/pi_x' },
  'GET /api/checkout/session': { url: '/api/checkout/session?qty=1' },
  'POST /billing/stripe/checkout-session/': {
    url: '/billing/stripe/checkout-session/',
    payload: { plan_type: 'token', plan_id: 'credits-100' },
  },
  'POST /billing/stripe/customer-portal/': { url: '/billing/stripe/customer-portal/', payload: {} },
  'GET /billing/payments/': { url: '/billing/payments/' },
  'POST /v1/refunds': { url: '/v1/refunds', payload: { payment: 'pay_x' } },
  'GET /v1/refunds': { url: '/v1/refunds' },
  'GET /v1/refunds/:id': { url: '/v1/refunds/rf_x' },
  'POST /v1/refunds/:id/retry': { url: '/v1/refunds/rf_x/retry' },
  'GET /v1/disputes': { url: '/v1/disputes' },
  'GET /v1/disputes/:id': { url: '/v1/disputes/dp_x' },
  'GET /admin/jobs': { url: '/admin/jobs' },
  'POST /admin/jobs/:id/retry': { url: '/admin/jobs/1/retry' },
  'GET /admin/notifications/:id': { url: '/admin/notifications/ntf_x' },
  'POST /admin/notifications/:id/redeliver': { url: '/admin/notifications/ntf_x/redeliver', payload: {} },
  'POST /refund': { url: '/refund', payload: { payment_intent_id: 'pi_x' } },
  'POST /refund-async': { url: '/refund-async', payload: { payment_intent_id: 'pi_x' } },
  'GET /refund-status/:request_id': { url: '/refund-status/req-x' },
  'POST /create-subscription': { url: '/create-subscription', payload: { priceId: 'price_x' } },
  'GET /invoice-preview': { url: '/invoice-preview?subscriptionId=sub_x&newPriceLookupKey=pro' },
  'POST /update-subscription': {
    url: '/update-subscription',
    payload: { subscriptionId: 'sub_x', newPriceLookupKey: 'pro' },
  },
  'POST /cancel-subscription': { url: '/cancel-subscription', payload: { subscriptionId: 'sub_x' } },
  'GET /subscriptions': { url: '/subscriptions' },
};

interface Registered {
  method: Method;
  url: string;
  auth: { allow: readonly PrincipalKind[]; scopes?: readonly Scope[] } | undefined;
}

// The inventory is the app's own: built once here, before the tests are declared from it.
const registered: Registered[] = [];
const tdb = await createTestDatabase();
const t = await createTestApp(await tdb.open(), {
  syncCatalog: false,
  onRoute: (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const auth = (route.config as { auth?: Registered['auth'] } | undefined)?.auth;
    // HEAD routes are Fastify's own, beside each GET, with the same options.
    for (const method of methods)
      if (method !== 'HEAD') registered.push({ method: method as Method, url: route.url, auth });
  },
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

const key = (r: Pick<Registered, 'method' | 'url'>) => `${r.method} ${r.url}`;

describe('route inventory', () => {
  test('every route is public (with a reason) or authenticated with a sample request; none is listed twice', () => {
    assert.ok(registered.length > 50, `the inventory found the routes (${registered.length})`);
    const missing: string[] = [];
    for (const r of registered) {
      const k = key(r);
      if (r.auth && !samples[k]) missing.push(`${k}: authenticated, add a sample request`);
      if (!r.auth && !publicRoutes[k]) missing.push(`${k}: public, say why in publicRoutes (or add auth)`);
      if (r.auth && publicRoutes[k]) missing.push(`${k}: listed as public but declares auth`);
    }
    assert.deepEqual(missing, []);
    // Entries for routes that no longer exist are removed.
    const keys = new Set(registered.map(key));
    assert.deepEqual(
      [...Object.keys(samples), ...Object.keys(publicRoutes)].filter((k) => !keys.has(k)),
      [],
    );
  });

  test('a public route answers without credentials (not 401)', async () => {
    for (const url of ['/healthz', '/v1/plans', '/docs/json']) {
      const r = await t.app.inject({ method: 'GET', url });
      assert.notEqual(r.statusCode, 401, url);
    }
  });

  authSuite(
    () => t,
    registered
      .filter((r) => r.auth && samples[key(r)])
      .map((r) => ({
        method: r.method,
        url: samples[key(r)]!.url,
        ...(samples[key(r)]!.payload ? { payload: samples[key(r)]!.payload } : {}),
        allow: r.auth!.allow,
        ...(r.auth!.scopes ? { scopes: r.auth!.scopes } : {}),
      })),
  );
});
