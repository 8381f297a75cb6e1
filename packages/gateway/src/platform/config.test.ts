import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, settings } from './config.js';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));

function runCli(args: string[], env: Record<string, string>) {
  // A clean environment: only what node needs plus the settings under test.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  return spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', cli, ...args], {
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('loadConfig', () => {
  test('defaults: 127.0.0.1:8080, embedded database under ./.paydesk', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, './.paydesk');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.bodyLimit, 1_048_576);
    assert.ok(Object.isFrozen(c));
  });

  test('reads and converts every setting', () => {
    const c = loadConfig({
      PORT: '9090',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      PAYDESK_LOG_LEVEL: 'warn',
      PAYDESK_BODY_LIMIT: '2048',
      PAYDESK_SHUTDOWN_TIMEOUT_MS: '500',
      STRIPE_SECRET_KEY: 'sk_test_abc123',
      STRIPE_WEBHOOK_SECRET: 'whsec_one,whsec_two',
    });
    assert.equal(c.port, 9090);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.databaseUrl, 'postgres://u@127.0.0.1:5432/db');
    assert.equal(c.bodyLimit, 2048);
    assert.equal(c.shutdownTimeoutMs, 500);
    assert.deepEqual(c.stripeWebhookSecrets, ['whsec_one', 'whsec_two']);
  });

  test('ignores environment variables that are not paydesk settings', () => {
    assert.doesNotThrow(() => loadConfig({ HOME: '/root', NODE_OPTIONS: '', SOMETHING_ELSE: 'x' }));
  });

  const bad: [string, Record<string, string>, string, RegExp][] = [
    ['invalid port', { PORT: 'eighty' }, 'PORT', /whole number/],
    ['port out of range', { PORT: '70000' }, 'PORT', /65535/],
    ['invalid log level', { PAYDESK_LOG_LEVEL: 'loud' }, 'PAYDESK_LOG_LEVEL', /expected one of/],
    ['invalid database URL', { DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /postgres/],
    ['unknown setting', { PAYDESK_COLOUR: 'blue' }, 'PAYDESK_COLOUR', /unknown setting/],
    [
      'missing companion setting',
      { STRIPE_SECRET_KEY: 'sk_test_abc' },
      'STRIPE_WEBHOOK_SECRET',
      /required when STRIPE_SECRET_KEY/,
    ],
  ];
  for (const [name, env, setting, problem] of bad) {
    test(`rejects ${name}, naming the setting`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.setting === setting && problem.test(err.problem),
      );
    });
  }

  test('a rejected secret is never echoed back', () => {
    assert.throws(
      () =>
        loadConfig({ STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'not-a-secret-sk_live_zzz' }),
      (err: unknown) => err instanceof ConfigError && !err.message.includes('sk_live_zzz'),
    );
  });
});

describe('paydesk serve with bad settings', () => {
  for (const [name, env, line] of [
    [
      'missing',
      { STRIPE_SECRET_KEY: 'sk_test_abc' },
      /^paydesk: invalid configuration: STRIPE_WEBHOOK_SECRET: required/,
    ],
    ['invalid', { PORT: 'abc' }, /^paydesk: invalid configuration: PORT: /],
    ['unknown', { PAYDESK_NOPE: '1' }, /^paydesk: invalid configuration: PAYDESK_NOPE: unknown setting/],
  ] as const) {
    test(`${name} setting: exit code 1 and one line naming it`, () => {
      const r = runCli(['serve'], env);
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, line);
      assert.equal(r.stdout, '');
    });
  }
});

describe('README configuration table', () => {
  test('lists every setting with its default', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    for (const [name, setting] of Object.entries(settings)) {
      const parsed = setting.schema.safeParse(undefined);
      const fallback = parsed.success && parsed.data !== undefined ? `\`${String(parsed.data)}\`` : '—';
      const escaped = fallback.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const row = new RegExp(`^\\|\\s*\`${name}\`\\s*\\|\\s*${escaped}\\s*\\|`, 'm');
      assert.ok(row.test(readme), `README.md should have a row for ${name} with default ${fallback}`);
    }
  });
});
