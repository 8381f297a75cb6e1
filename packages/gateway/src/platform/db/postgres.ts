import pg from 'pg';
import { isUnavailableCode, StorageUnavailableError } from './errors.js';
import type { Db, Queryable, QueryResult } from './types.js';

// bigint columns (int8) as JS bigint would leak into JSON; paydesk stores money and counters in
// int8 but keeps them below 2^53, so parse them as numbers, and refuse silently wrong values.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value out of safe range: ${v}`);
  return n;
});

type Client = pg.PoolClient | pg.Client;

/** Statements kept prepared per connection; paydesk's SQL is fixed text, so this is a bound, not a working set. */
const MAX_PREPARED = 1000;
/** Only these are kept prepared (as on PGlite): statements that read or write rows, not DDL. */
const DML = /^\s*(select|insert|update|delete|with)\b/i;
/**
 * A kept statement that no longer fits the schema (0A000: "cached plan must not change result type",
 * after another process changed a table it reads with `*`) or that the server no longer has (26000,
 * e.g. after a pooler's DISCARD ALL) is prepared again under a new name on its next use.
 */
const STALE_STATEMENT = new Set(['0A000', '26000']);
const isStale = (err: unknown) => STALE_STATEMENT.has((err as { code?: string } | null)?.code ?? '');

/** Each connection's kept statements: SQL text → the name it was prepared under. Names are never reused. */
const preparedOn = new WeakMap<Client, Map<string, string>>();
let nextName = 0;

/**
 * One statement on one connection. DML is prepared once per connection under a name (PostgreSQL
 * parses and analyses it once, and plans it once when a generic plan is as good), instead of being
 * parsed, analysed and planned on every call as an unnamed statement is.
 */
async function run<R extends object>(client: Client, sql: string, params?: readonly unknown[]) {
  const values = params as unknown[] | undefined;
  if (!DML.test(sql)) return client.query<R>(sql, values);
  let names = preparedOn.get(client);
  if (!names) {
    names = new Map();
    preparedOn.set(client, names);
  }
  let name = names.get(sql);
  if (name === undefined) {
    if (names.size >= MAX_PREPARED) return client.query<R>(sql, values);
    name = `paydesk_${nextName++}`;
    names.set(sql, name);
  }
  try {
    return await client.query<R>({ name, text: sql, values });
  } catch (err) {
    if (isStale(err)) names.delete(sql);
    throw err;
  }
}

function queryable(client: Client): Queryable {
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await run<R>(client, sql, params);
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

async function inTransaction<T>(client: Client, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(queryable(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export interface PostgresOptions {
  url: string;
  poolSize: number;
  applicationName?: string;
}

export function openPostgres(options: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName ?? 'paydesk',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The next query reports the problem instead.
  pool.on('error', () => {});

  /**
   * Runs fn on a pooled connection. While it is checked out, a client whose connection drops (its
   * backend terminated, the server restarting) emits 'error' on itself, not on the pool: the listener
   * here keeps that from ending the process, and such a client is discarded, not returned. A failure
   * to connect, or a call that failed because the connection was lost, becomes a
   * StorageUnavailableError (503 storage_unavailable); errors of the statement itself pass through.
   */
  const withClient = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw new StorageUnavailableError(err);
    }
    let lost: unknown;
    const onError = (err: unknown) => {
      lost ??= err;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      if (lost !== undefined || isUnavailableCode(err)) {
        lost ??= err;
        throw err instanceof StorageUnavailableError ? err : new StorageUnavailableError(err);
      }
      throw err;
    } finally {
      client.off('error', onError);
      // A lost connection is closed and removed from the pool rather than handed out again.
      client.release(lost === undefined ? undefined : (lost as Error));
    }
  };

  return {
    kind: 'postgres',
    async query<R extends object>(sql: string, params?: readonly unknown[]) {
      const r = await withClient(async (c) => {
        try {
          return await run<R>(c, sql, params);
        } catch (err) {
          // Outside a transaction a stale kept statement is simply prepared again, at once.
          if (!isStale(err)) throw err;
          return run<R>(c, sql, params);
        }
      });
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await withClient((c) => c.query(sql));
    },
    transaction: (fn) => withClient((c) => inTransaction(c, fn)),
    withAdvisoryLock: (key, fn) =>
      withClient(async (c) => {
        await c.query('SELECT pg_advisory_lock($1)', [key.toString()]);
        try {
          return await fn({ ...queryable(c), transaction: (inner) => inTransaction(c, inner) });
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [key.toString()]).catch(() => {});
        }
      }),
    async close() {
      await pool.end();
    },
  };
}
