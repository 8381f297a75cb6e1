// The setup most test files share: one database for the test process (each test file runs in a
// process of its own, so the file's tests share it) and an app on it, made before the file's tests
// and closed after them.
//
//   const t = useTestApp({ syncCatalog: false });
//   before(async () => { await t.ready; key = await t.apiKey(); });   // a file's own setup, if any
//   test('…', async () => { const r = await t.app.inject(…); });
import { after, before } from 'node:test';
import type { Db } from '../platform/db/types.js';
import { createTestApp, type TestApp, type TestAppOptions } from './app.js';
import { createTestDatabase, type TestDatabase } from './db.js';

let shared: { tdb: TestDatabase; db: Db; users: number } | undefined;

/** The test process's database (PGlite, or a database of its own on PostgreSQL). */
async function processDatabase(): Promise<Db> {
  if (!shared) {
    const tdb = await createTestDatabase();
    shared = { tdb, db: await tdb.open(), users: 0 };
  }
  shared.users++;
  return shared.db;
}

async function releaseDatabase(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { tdb } = shared;
  shared = undefined;
  await tdb.destroy();
}

/**
 * Registers before/after hooks that make an app on the process's database and close it; returns the
 * app (its members can be read once the before hook has run). `options` may be a function, for
 * options made in the hook (a catalog file written first).
 */
export function useTestApp(
  options: TestAppOptions | (() => Promise<TestAppOptions>) = {},
): TestApp & { ready: Promise<void> } {
  let current: TestApp | undefined;
  let made: () => void = () => {};
  // Top-level before() hooks start together (node:test): a file's own hook awaits `ready` first.
  const ready = new Promise<void>((resolve) => {
    made = resolve;
  });
  before(async () => {
    const opts = typeof options === 'function' ? await options() : options;
    current = await createTestApp(await processDatabase(), opts);
    made();
  });
  after(async () => {
    await current?.app.close();
    await releaseDatabase();
  });
  return new Proxy({} as TestApp & { ready: Promise<void> }, {
    get(_, key) {
      if (key === 'ready') return ready;
      if (!current) throw new Error('useTestApp: the app is made in a before() hook; use it in tests');
      return current[key as keyof TestApp];
    },
  });
}
