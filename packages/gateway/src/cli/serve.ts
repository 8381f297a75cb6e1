import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { startServer } from '../server.js';
import type { Command } from './run.js';

export const serveCommand: Command = {
  summary: 'Run the HTTP service (applies pending migrations first).',
  usage: [
    'Usage: paydesk serve',
    '',
    'Starts paydesk on HOST:PORT (default 127.0.0.1:8080). Without DATABASE_URL it uses the embedded',
    'PGlite database under PAYDESK_DATA_DIR. Stops gracefully on SIGTERM or SIGINT.',
  ].join('\n'),
  async run(args, env) {
    parseArgs({ args, options: {}, strict: true });
    const config = loadConfig(env);
    const server = await startServer(config, { handleSignals: true });
    await server.closed;
    return 0;
  },
};
