import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Db } from './types.js';

/**
 * Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else PGlite.
 * Each driver is imported only when used: PGlite's WebAssembly is not loaded on PostgreSQL.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>,
): Promise<Db> {
  if (config.databaseUrl) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres({ url: config.databaseUrl, poolSize: config.dbPoolSize });
  }
  const [{ openPglite }, { hasPgliteTemplate, pgliteTemplateDir }] = await Promise.all([
    import('./pglite.js'),
    import('./pglite-template.js'),
  ]);
  const template = pgliteTemplateDir();
  return openPglite({
    dataDir: join(resolve(config.dataDir), 'pglite'),
    templateDir: hasPgliteTemplate(template) ? template : undefined,
  });
}

/**
 * A Db that can be handed out while the database is still opening (start-up builds the app
 * meanwhile): calls made before it is open wait for it; once it is open they go straight to it.
 * If opening fails, every call fails with that error.
 */
export function whenOpen(kind: Db['kind'], opening: Promise<Db>): Db {
  let db: Db | undefined;
  opening.then(
    (opened) => {
      db = opened;
    },
    () => {},
  );
  return {
    kind,
    query: (sql, params) => (db ? db.query(sql, params) : opening.then((d) => d.query(sql, params))),
    exec: (sql) => (db ? db.exec(sql) : opening.then((d) => d.exec(sql))),
    transaction: (fn) => (db ? db.transaction(fn) : opening.then((d) => d.transaction(fn))),
    withAdvisoryLock: (key, fn) =>
      db ? db.withAdvisoryLock(key, fn) : opening.then((d) => d.withAdvisoryLock(key, fn)),
    close: () => (db ? db.close() : opening.then((d) => d.close())),
  };
}
