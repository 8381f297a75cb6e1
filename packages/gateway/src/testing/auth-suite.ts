// The shared authentication suite, run over every authenticated route: whatever the route does, a
// caller without valid credentials gets 401, and one with the wrong kind or scope gets 403, before the
// route does anything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InjectOptions } from 'fastify';
import type { Scope } from '../platform/auth/api-keys.js';
import { revokeApiKey } from '../platform/auth/api-keys.js';
import type { PrincipalKind } from '../platform/auth/principal.js';
import { TEST_ADMIN_KEY, type TestApp } from './app.js';

export interface ProtectedRoute {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  url: string;
  /** A body that would otherwise be valid, so the test proves auth runs first. */
  payload?: Record<string, unknown>;
  allow: readonly PrincipalKind[];
  /** Scopes an API key needs (when API keys are allowed). */
  scopes?: readonly Scope[];
}

function expectError(res: { statusCode: number; body: string }, status: number, code: string) {
  assert.equal(res.statusCode, status, res.body);
  const body = JSON.parse(res.body) as { error: { code: string; request_id: string } };
  assert.equal(body.error.code, code);
  assert.match(body.error.request_id, /\S/);
}

/** Registers the auth cases for each route. `get()` returns the test app (created in a before hook). */
export function authSuite(get: () => TestApp, routes: readonly ProtectedRoute[]): void {
  for (const route of routes) {
    const name = `${route.method} ${route.url}`;
    const send = (headers: Record<string, string>) =>
      get().app.inject({
        method: route.method,
        url: route.url,
        headers,
        payload: route.payload,
      } as InjectOptions);

    test(`${name}: no credentials → 401 with a Bearer challenge`, async () => {
      const res = await send({});
      expectError(res, 401, 'unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    });

    test(`${name}: malformed or unknown credentials → 401`, async () => {
      expectError(await send({ authorization: 'Basic dXNlcjpwYXNz' }), 401, 'unauthorized');
      expectError(
        await send({ authorization: 'Bearer pdk_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' }),
        401,
        'unauthorized',
      );
      expectError(await send({ authorization: 'Bearer not.a.jwt' }), 401, 'unauthorized');
    });

    if (route.allow.includes('api_key')) {
      test(`${name}: a revoked API key → 401`, async () => {
        const key = await get().apiKey(['read', 'write', 'custom_amounts', 'refunds']);
        await revokeApiKey(get().context.db, key, get().context.verifiedKeys);
        expectError(await send({ authorization: `Bearer ${key}` }), 401, 'unauthorized');
      });
      if (route.scopes && route.scopes.length > 0) {
        test(`${name}: an API key without ${route.scopes.join(', ')} → 403`, async () => {
          const all: Scope[] = ['read', 'write', 'custom_amounts', 'refunds'];
          const key = await get().apiKey(all.filter((s) => !route.scopes!.includes(s)));
          expectError(await send({ authorization: `Bearer ${key}` }), 403, 'forbidden');
        });
      }
    } else {
      test(`${name}: API keys are refused → 403`, async () => {
        const key = await get().apiKey(['read', 'write', 'custom_amounts', 'refunds']);
        expectError(await send({ authorization: `Bearer ${key}` }), 403, 'forbidden');
      });
    }

    if (route.allow.includes('user')) {
      test(`${name}: an expired user token → 401`, async () => {
        const token = await get().userToken('auth-suite-user', { expiresIn: '-1m' });
        expectError(await send({ authorization: `Bearer ${token}` }), 401, 'unauthorized');
      });
      test(`${name}: a token for another audience or issuer → 401`, async () => {
        const aud = await get().userToken('auth-suite-user', { audience: 'someone-else' });
        expectError(await send({ authorization: `Bearer ${aud}` }), 401, 'unauthorized');
        const iss = await get().userToken('auth-suite-user', { issuer: 'https://evil.example' });
        expectError(await send({ authorization: `Bearer ${iss}` }), 401, 'unauthorized');
      });
    } else {
      test(`${name}: user tokens are refused → 403`, async () => {
        const token = await get().userToken('auth-suite-user');
        expectError(await send({ authorization: `Bearer ${token}` }), 403, 'forbidden');
      });
    }

    if (!route.allow.includes('admin')) {
      test(`${name}: the admin key is not a user or API key → 403`, async () => {
        expectError(await send({ authorization: `Bearer ${TEST_ADMIN_KEY}` }), 403, 'forbidden');
      });
    }
  }
}
