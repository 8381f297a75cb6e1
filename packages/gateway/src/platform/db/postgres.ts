import pg from 'pg';
import type { Db, Queryable, QueryResult } from './types.js';

// bigint columns (int8) as JS bigint would leak into JSON; paydesk stores money and counters in
// int8 but keeps them below 2^53, so parse them as numbers, and refuse silently wrong values.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value out of safe range: ${v}`);
  return n;
});

type Client = pg.PoolClient | pg.Client;

function queryable(client: Client): Queryable {
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await client.query<R>(sql, params as unknown[] | undefined);
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

  const withClient = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  };

  return {
    kind: 'postgres',
    async query<R extends object>(sql: string, params?: readonly unknown[]) {
      const r = await pool.query<R>(sql, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await pool.query(sql);
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
