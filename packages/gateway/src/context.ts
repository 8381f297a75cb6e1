import type { Config } from './platform/config.js';
import type { Migration } from './platform/db/migrate.js';
import type { Db } from './platform/db/types.js';
import type { Logger } from './platform/logger.js';

/** Everything the app talks to, handed in from outside so that a test can choose each piece. */
export interface AppContext {
  config: Config;
  db: Db;
  logger: Logger;
  /** The migrations this build ships; /readyz compares the database against them. */
  migrations: readonly Migration[];
}
