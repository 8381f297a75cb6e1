export { buildApp } from './app.js';
export type { AppContext } from './context.js';
export { type Config, ConfigError, loadConfig } from './platform/config.js';
export { migrate } from './platform/db/migrate.js';
export { openDatabase } from './platform/db/open.js';
export type { Db } from './platform/db/types.js';
export { startServer } from './server.js';
export { version } from './version.js';
