import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { keyId, openKeyStore } from './key-store.js';
import type { Command } from './run.js';
import { UsageError } from './usage.js';

export const keysRevokeCommand: Command = {
  summary: 'Revoke an API key (by id or by the whole key); it stops working at once.',
  usage: [
    'Usage: paydesk keys revoke <id|key>',
    '',
    'Revokes the API key with this id (as `paydesk keys list` shows it) or this whole key (pdk_…).',
    'Requests carrying it are refused from then on. Exit code 1 when there is no such active key.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    if (positionals.length !== 1) throw new UsageError('name exactly one key (its id or the whole key).');
    const id = keyId(positionals[0]!);
    const store = await openKeyStore(loadConfig(env));
    try {
      if (!(await store.revoke(id))) {
        io.err(`paydesk keys revoke: no active API key ${id}.\n`);
        return 1;
      }
      io.out(`API key ${id} revoked.\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
