// The gateway's layout rules, checked on the source (docs/architecture.md, docs/adding-a-feature.md):
// - a feature reaches another feature through its service, never through its store.ts;
// - platform/ knows no feature;
// - no per-app state in module-level variables: a Map, Set or WeakMap at the top of a module, or a
//   module-level `let`, is either in the short list below (with why it is not per-app state) or fails.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = dirname(fileURLToPath(import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = sources(src).map((path) => ({
  path,
  rel: relative(src, path).split('\\').join('/'),
  text: readFileSync(path, 'utf8'),
}));

/** The top-level folder of a file under src/ (undefined for src/*.ts). */
function folderOf(rel: string): string | undefined {
  const parts = rel.split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

/** Shared machinery and test helpers; every other top-level folder is a feature. */
const notFeatures = new Set(['platform', 'testing']);

/** Each relative import of a file, resolved to a path under src/. */
function importsOf(file: { path: string; text: string }): string[] {
  const out: string[] = [];
  for (const m of file.text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    out.push(
      relative(src, resolve(dirname(file.path), m[1]!))
        .split('\\')
        .join('/'),
    );
  }
  return out;
}

describe('gateway layout', () => {
  test('the checks see the source: features, stores and imports are found', () => {
    const stores = files.filter((f) => f.rel.endsWith('/store.ts')).map((f) => folderOf(f.rel));
    for (const feature of ['customers', 'credits', 'checkout', 'payments', 'subscriptions', 'webhooks'])
      assert.ok(stores.includes(feature), `${feature}/store.ts found`);
    const handlers = files.find((f) => f.rel === 'webhooks/handlers.ts');
    assert.ok(handlers && importsOf(handlers).includes('customers/service.js'));
  });

  test("no feature imports another feature's store.ts", () => {
    const offences: string[] = [];
    for (const file of files) {
      const own = folderOf(file.rel);
      for (const target of importsOf(file)) {
        const m = /^([^/]+)\/(.+\/)?store\.js$/.exec(target);
        if (!m || notFeatures.has(m[1]!) || m[1] === own) continue;
        offences.push(`${file.rel} imports ${target}`);
      }
    }
    assert.deepEqual(offences, [], 'go through the feature’s service.ts instead');
  });

  test('platform/ imports no feature folder', () => {
    const offences: string[] = [];
    for (const file of files.filter((f) => f.rel.startsWith('platform/') && !f.rel.endsWith('.test.ts'))) {
      for (const target of importsOf(file)) {
        const top = folderOf(target);
        if (top !== undefined && !notFeatures.has(top)) offences.push(`${file.rel} imports ${target}`);
      }
    }
    assert.deepEqual(offences, []);
  });

  test('no per-app state at module level', () => {
    // Module-level state that is not per app, and why.
    const allowed = new Map<string, string>([
      [
        'platform/db/postgres.ts preparedOn',
        'per connection: the names a pg Client prepared its statements under',
      ],
      ['platform/db/postgres.ts nextName', 'statement names unique within the process, never reused'],
      ['platform/db/postgres.ts STALE_STATEMENT', 'a constant set of SQLSTATE codes'],
      ['platform/auth/api-keys.ts idPoolOffset', 'a pool of random bytes (randomness, not state)'],
      ['platform/http/request-id.ts offset', 'a pool of random bytes for request ids'],
      ['platform/auth/jwt.ts joseModule', 'a lazily imported module'],
      ['webhooks/event-head.ts escaped', 'scratch flag of a synchronous parser, reset on every call'],
      ['webhooks/event-head.ts level', 'scratch depth of a synchronous parser, reset on every call'],
      ['webhooks/event-head.ts maxDepth', 'the depth limit of the synchronous parser’s current call'],
      ['subscriptions/service.ts liveStatuses', 'a constant set of statuses'],
      ['subscriptions/service.ts endedStatuses', 'a constant set of statuses'],
      ['subscriptions/service.ts changeable', 'a constant set of statuses'],
      ['reliability/verify.ts GRANTING', 'a constant set of statuses'],
      ['cli/usage.ts parseArgsUsageCodes', 'a constant set of error codes'],
      ['testing/setup.ts shared', 'tests only: the database of the test process, shared by its test apps'],
      [
        'pages/format.ts fractionDigits',
        'a cache of what Intl says of each currency (the same for every app)',
      ],
      ['pages/format.ts moneyFormats', 'a cache of one Intl formatter per currency (the same for every app)'],
      [
        'console/overview-view.ts moneyShapes',
        'a cache of how money() lays out each currency’s amounts (the same for every app)',
      ],
      ['platform/db/errors.ts UNAVAILABLE_CODES', 'a constant set of SQLSTATE codes'],
      ['platform/db/errors.ts NETWORK_CODES', 'a constant set of socket error codes'],
      ['platform/http/rate-limit.ts UNLIMITED_PATHS', 'a constant set of paths'],
      ['platform/stripe/currencies.ts STRIPE_CURRENCIES', 'a constant set of currency codes'],
    ]);
    const found: string[] = [];
    // Tests (`.test.ts`, and `.fault.ts` and `.rabbitmq.ts` run by .ci/run) keep their fixtures at module level.
    for (const file of files.filter((f) => !/\.(test|fault|rabbitmq)\.ts$/.test(f.rel))) {
      for (const m of file.text.matchAll(
        /^(?:export )?(?:(?:const|var) (\w+)(?::[^=\n]+)? = new (?:WeakMap|Map|Set|WeakSet)\b|let (\w+))/gm,
      )) {
        found.push(`${file.rel} ${m[1] ?? m[2]}`);
      }
    }
    const unexplained = found.filter((f) => !allowed.has(f));
    assert.deepEqual(unexplained, [], 'per-app state belongs in the context (context.ts)');
    // The list is kept honest: an entry whose variable is gone is removed.
    assert.deepEqual(
      [...allowed.keys()].filter((k) => !found.includes(k)),
      [],
    );
  });
});
