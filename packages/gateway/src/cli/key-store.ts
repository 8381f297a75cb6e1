// Where `paydesk keys …` manages API keys. On PostgreSQL, and on an embedded database no process
// holds, the database directly. When a running paydesk holds the embedded database (PGlite admits a
// single process), its admin API, authenticated with the admin key.
import {
  type ApiKeyRecord,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  type Scope,
} from '../platform/auth/api-keys.js';
import type { Config } from '../platform/config.js';
import { migrate } from '../platform/db/migrate.js';
import { openDatabase } from '../platform/db/open.js';
import type { Db } from '../platform/db/types.js';
import { resolveSecrets } from '../platform/secrets.js';
import { runningServer } from './running-server.js';

/** An API key as the commands print it (dates as ISO strings, as the admin API sends them). */
export interface KeyView {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface KeyStore {
  /** Where the keys are, said to the person running the command. */
  description: string;
  create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyView }>;
  list(): Promise<KeyView[]>;
  /** False when there is no such active key. */
  revoke(id: string): Promise<boolean>;
  close(): Promise<void>;
}

function view(k: ApiKeyRecord): KeyView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: k.id,
    name: k.name,
    scopes: [...k.scopes],
    created_at: new Date(k.created_at).toISOString(),
    last_used_at: iso(k.last_used_at),
    revoked_at: iso(k.revoked_at),
  };
}

function databaseStore(db: Db, description: string): KeyStore {
  return {
    description,
    async create(name, scopes) {
      const { key, record } = await createApiKey(db, { name, scopes });
      return { key, record: view(record) };
    },
    list: async () => (await listApiKeys(db)).map(view),
    revoke: (id) => revokeApiKey(db, id),
    close: () => db.close(),
  };
}

class AdminApiError extends Error {}

function adminStore(baseUrl: string, adminKey: string, pid: number): KeyStore {
  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${adminKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new AdminApiError(
        `server.json names a running paydesk (pid ${pid}) at ${baseUrl}, but it does not answer (${(err as Error).cause ?? (err as Error).message}). ` +
          'If no paydesk runs on this data directory, delete server.json there.',
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status === 401 || res.status === 403) {
      throw new AdminApiError(
        `the running paydesk at ${baseUrl} refused the admin key (PAYDESK_ADMIN_KEY must match the server's).`,
      );
    }
    return { status: res.status, json };
  }
  function failure(what: string, r: { status: number; json: unknown }): AdminApiError {
    const message = (r.json as { error?: { message?: string } } | undefined)?.error?.message;
    return new AdminApiError(`${what} failed: HTTP ${r.status}${message ? `: ${message}` : ''}`);
  }
  return {
    description: `the running paydesk at ${baseUrl} (pid ${pid}), through its admin API`,
    async create(name, scopes) {
      const r = await call('POST', '/admin/api-keys', { name, scopes });
      if (r.status !== 201) throw failure('creating the key', r);
      const { key, ...record } = r.json as KeyView & { key: string };
      return { key, record };
    },
    async list() {
      const r = await call('GET', '/admin/api-keys');
      if (r.status !== 200) throw failure('listing the keys', r);
      return (r.json as { data: KeyView[] }).data;
    },
    async revoke(id) {
      const r = await call('DELETE', `/admin/api-keys/${encodeURIComponent(id)}`);
      if (r.status === 404) return false;
      if (r.status !== 200) throw failure('revoking the key', r);
      return true;
    },
    close: async () => {},
  };
}

export async function openKeyStore(config: Config): Promise<KeyStore> {
  if (config.databaseUrl) {
    // A shared database is migrated by `paydesk migrate` or a starting paydesk, not as a side effect here.
    const db = await openDatabase(config);
    const r = await db
      .query<{ ok: boolean }>(`SELECT to_regclass('api_keys') IS NOT NULL AS ok`)
      .catch(async (err: unknown) => {
        await db.close().catch(() => {});
        throw err;
      });
    if (!r.rows[0]?.ok) {
      await db.close();
      throw new Error('the database has no api_keys table yet: run `paydesk migrate` first.');
    }
    return databaseStore(db, 'the PostgreSQL database (DATABASE_URL)');
  }
  const running = await runningServer(config);
  if (running) {
    const adminKey = config.adminKey ?? (await resolveSecrets(config, { create: false })).adminKey;
    if (!adminKey) {
      throw new Error(
        `a paydesk is running on ${config.dataDir} (pid ${running.pid}) and holds its database, but there is no admin key to call it with: set PAYDESK_ADMIN_KEY to the server's.`,
      );
    }
    return adminStore(running.url, adminKey, running.pid);
  }
  const db = await openDatabase(config);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return databaseStore(db, `the embedded database in ${config.dataDir}`);
}

/** The id part of a whole key `pdk_<id>_<secret>`, so the secret never travels or lands in a log. */
export function keyId(idOrKey: string): string {
  return /^pdk_([A-Za-z0-9]{16})_[A-Za-z0-9]+$/.exec(idOrKey)?.[1] ?? idOrKey;
}
