import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { type KeyView, openKeyStore } from './key-store.js';
import type { Command } from './run.js';

function table(keys: readonly KeyView[]): string {
  const rows = [
    ['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'STATUS'],
    ...keys.map((k) => [
      k.id,
      k.name,
      k.scopes.join(','),
      k.created_at.slice(0, 19).replace('T', ' '),
      k.last_used_at ? k.last_used_at.slice(0, 19).replace('T', ' ') : '-',
      k.revoked_at ? `revoked ${k.revoked_at.slice(0, 10)}` : 'active',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export const keysListCommand: Command = {
  summary: 'List API keys (never their secrets), revoked ones included.',
  usage: [
    'Usage: paydesk keys list [--json]',
    '',
    'Lists every API key: id, name, scopes, when it was created and last used, and whether it is revoked.',
    '',
    'Options:',
    '  --json   one JSON document ({"data": [...]}) instead of a table',
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
    const store = await openKeyStore(loadConfig(env));
    try {
      const keys = await store.list();
      if (values.json) io.out(`${JSON.stringify({ data: keys }, null, 2)}\n`);
      else if (keys.length === 0)
        io.out('No API keys yet. Create one with `paydesk keys create --name NAME`.\n');
      else io.out(table(keys));
      return 0;
    } finally {
      await store.close();
    }
  },
};
