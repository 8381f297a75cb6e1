import { parseArgs } from 'node:util';
import { scopes as allScopes, defaultScopes, type Scope } from '../platform/auth/api-keys.js';
import { loadConfig } from '../platform/config.js';
import { openKeyStore } from './key-store.js';
import type { Command } from './run.js';
import { UsageError } from './usage.js';

function parseScopes(raw: string | undefined): Scope[] {
  if (raw === undefined) return [...defaultScopes];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--scopes needs at least one scope.');
  for (const s of list) {
    if (!(allScopes as readonly string[]).includes(s)) {
      throw new UsageError(`unknown scope '${s}' (scopes: ${allScopes.join(', ')}).`);
    }
  }
  return [...new Set(list as Scope[])];
}

export const keysCreateCommand: Command = {
  summary: 'Create an API key for server-to-server calls; it is printed once.',
  usage: [
    'Usage: paydesk keys create --name NAME [--scopes read,write,custom_amounts,refunds]',
    '',
    'Creates an API key (pdk_…) and prints it once: paydesk stores only its hash. Give it to the host',
    'product as "Authorization: Bearer pdk_…".',
    '',
    'Options:',
    '  --name NAME      what the key is for (1–100 characters), shown by `paydesk keys list`',
    `  --scopes LIST    comma-separated, from ${allScopes.join(', ')} (default: ${defaultScopes.join(',')})`,
    '                   custom_amounts: ad-hoc amounts and line items; refunds: refund payments',
    '',
    'On PostgreSQL the key goes straight into the database. In embedded mode, when a paydesk is running',
    "on the data directory it is created through that paydesk's admin API (admin key from",
    'PAYDESK_ADMIN_KEY or <PAYDESK_DATA_DIR>/secrets.json); otherwise in the embedded database.',
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({
      args,
      options: { name: { type: 'string' }, scopes: { type: 'string' } },
      strict: true,
    });
    const name = values.name?.trim();
    if (!name) throw new UsageError('--name is required.');
    if (name.length > 100) throw new UsageError('--name is at most 100 characters.');
    const scopes = parseScopes(values.scopes);
    const config = loadConfig(env);
    const store = await openKeyStore(config);
    try {
      const { key, record } = await store.create(name, scopes);
      io.out(
        [
          key,
          '',
          `API key ${record.id} (${record.name}), scopes ${record.scopes.join(', ')}.`,
          'This key will not be shown again: store it now (paydesk keeps only its hash).',
          '',
        ].join('\n'),
      );
      return 0;
    } finally {
      await store.close();
    }
  },
};
