import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { migrate } from '../platform/db/migrate.js';
import { openDatabase } from '../platform/db/open.js';
import type { Command } from './run.js';

export const migrateCommand: Command = {
  summary: 'Apply pending database migrations and exit.',
  usage: [
    'Usage: paydesk migrate',
    '',
    'Applies every pending migration to the configured database (DATABASE_URL, or the embedded PGlite',
    'database) under an advisory lock, so it is safe to run while other instances start.',
  ].join('\n'),
  async run(args, env, io) {
    parseArgs({ args, options: {}, strict: true });
    const config = loadConfig(env);
    const db = await openDatabase(config);
    try {
      const result = await migrate(db);
      io.out(
        result.applied.length === 0
          ? `database is up to date (migration ${result.current})\n`
          : `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}; now at ${result.current}\n`,
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};
