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
