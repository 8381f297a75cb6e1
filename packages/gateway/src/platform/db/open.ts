import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { openPglite } from './pglite.js';
import { hasPgliteTemplate, pgliteTemplateDir } from './pglite-template.js';
import { openPostgres } from './postgres.js';
import type { Db } from './types.js';

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else PGlite. */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>,
): Promise<Db> {
  if (config.databaseUrl) return openPostgres({ url: config.databaseUrl, poolSize: config.dbPoolSize });
  const template = pgliteTemplateDir();
  return openPglite({
    dataDir: join(resolve(config.dataDir), 'pglite'),
    templateDir: hasPgliteTemplate(template) ? template : undefined,
  });
}
