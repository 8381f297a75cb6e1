import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createJwtVerifier } from '../platform/auth/jwt.js';
import { captureIo } from '../testing/cli-io.js';
import { runCli } from './run.js';

const SECRET = 'dev-token-test-secret-0123456789abcdefghij';
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-dev-token-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function token(args: string[], env: Record<string, string>) {
  const io = captureIo();
  const code = await runCli(['dev', 'token', ...args], { PAYDESK_DATA_DIR: dir, ...env }, io);
  return { code, ...io };
}

describe('paydesk dev token', () => {
  test('signs with PAYDESK_JWT_SECRET a token paydesk accepts: subject, email, issuer, audience, ttl', async () => {
    const r = await token(['user-42', '--email', 'u42@example.com', '--ttl', '15m'], {
      PAYDESK_JWT_SECRET: SECRET,
      PAYDESK_JWT_AUDIENCE: 'my-app',
    });
    assert.equal(r.code, 0, r.stderr);
    const jwt = r.stdout.trim();
    const verify = createJwtVerifier({ secret: SECRET, issuer: 'paydesk', audience: 'my-app' })!;
    const check = await verify(jwt);
    assert.ok(check.ok, JSON.stringify(check));
    assert.equal(check.subject, 'user-42');
    assert.equal(check.payload.email, 'u42@example.com');
    const claims = decodeJwt(jwt);
    assert.equal(claims.exp! - claims.iat!, 15 * 60);
    const other = createJwtVerifier({ secret: `${SECRET}x`, issuer: 'paydesk', audience: 'my-app' })!;
    assert.equal((await other(jwt)).ok, false);
  });

  test('in embedded mode without a secret it uses the one in <data dir>/secrets.json, as paydesk serve does', async () => {
    const r = await token(['demo-user'], {});
    assert.equal(r.code, 0, r.stderr);
    const stored = JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8')) as { jwt_secret: string };
    const verify = createJwtVerifier({ secret: stored.jwt_secret, issuer: 'paydesk', audience: 'paydesk' })!;
    const check = await verify(r.stdout.trim());
    assert.ok(check.ok);
    assert.equal(check.subject, 'demo-user');
    const claims = decodeJwt(r.stdout.trim());
    assert.equal(claims.exp! - claims.iat!, 3600, 'an hour by default');
  });

  test('refuses clearly when tokens are verified through a JWKS URL', async () => {
    const r = await token(['u'], { PAYDESK_JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /JWKS URL \(PAYDESK_JWT_JWKS_URL\)[\s\S]*no key to sign/);
  });

  test('refuses outside embedded mode when no secret is configured', async () => {
    const r = await token(['u'], { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no JWT secret is configured/);
  });

  test('usage errors exit 2: no user, a bad ttl, a too long ttl, a bad email', async () => {
    const env = { PAYDESK_JWT_SECRET: SECRET };
    for (const args of [[], ['u', '--ttl', '1 hour'], ['u', '--ttl', '31d'], ['u', '--email', 'nope']]) {
      const r = await token(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: paydesk dev token/);
      assert.equal(r.stdout, '');
    }
  });
});
