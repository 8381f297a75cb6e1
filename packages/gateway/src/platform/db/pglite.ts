import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite, parse, protocol, type Results, types } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './types.js';

const parsers = {
  [types.INT8]: (v: string) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value out of safe range: ${v}`);
    return n;
  },
};

/** Statements kept prepared per PGlite instance; paydesk's SQL is fixed text, so this is a bound, not a working set. */
const MAX_PREPARED = 1000;

/**
 * Statements prepared once per SQL text on PGlite's one session, with the parameter types Postgres
 * inferred for them. PGlite's own query() runs six protocol round trips into WebAssembly per
 * statement (Parse, Describe, Bind, Describe, Execute, Sync, each parsed and analysed again);
 * a prepared statement runs as one batch (Bind, Describe, Execute, Sync), about half the CPU.
 */
interface Prepared {
  name: string;
  /** Parameter type oids, to serialize each value exactly as PGlite's query() would. */
  paramTypes: number[];
}

interface StatementCache {
  byText: Map<string, Prepared>;
  next: number;
}

const { serialize } = protocol;
/** Only these are prepared; any other statement runs through PGlite's query() (see forget()). */
const DML = /^\s*(select|insert|update|delete|with)\b/i;
/** runPrepared() did not run the statement: the cache is full, PGlite's query() runs it instead. */
const NOT_PREPARED = Symbol('not prepared');

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Runs one statement with PGlite's query lock already held (and, outside a transaction, its
 * transaction lock too). The result and the errors are PGlite's own: the same messages, parsed by
 * the same parsers; an error carries the query and its parameters as PGlite's do.
 */
async function runPrepared<R extends object>(
  pg: PGlite,
  cache: StatementCache,
  sql: string,
  params: readonly unknown[],
  inTransaction: boolean,
): Promise<Results<R> | typeof NOT_PREPARED> {
  try {
    let stmt = cache.byText.get(sql);
    if (!stmt) {
      if (cache.byText.size >= MAX_PREPARED) return NOT_PREPARED;
      const name = `paydesk_${cache.next++}`;
      const described = await pg.execProtocolStream(
        concat([
          serialize.parse({ name, text: sql }),
          serialize.describe({ type: 'S', name }),
          serialize.sync(),
        ]),
        { syncToFs: false },
      );
      stmt = { name, paramTypes: parse.parseDescribeStatementResults(described) };
      cache.byText.set(sql, stmt);
    }
    const { paramTypes } = stmt;
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const serializer = pg.serializers[paramTypes[i]!];
      return serializer ? serializer(v) : String(v);
    });
    const messages = await pg.execProtocolStream(
      concat([
        serialize.bind({ statement: stmt.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
      // As PGlite's query(): the file system is synced after a statement outside a transaction
      // (and after COMMIT inside one).
      { syncToFs: !inTransaction },
    );
    // One statement, one result: the first, as PGlite's query() returns.
    return parse.parseResults(messages, pg.parsers)[0] as Results<R>;
  } catch (err) {
    if (err instanceof Error) Object.assign(err, { query: sql, params, queryOptions: undefined });
    throw err;
  }
}

function result<R extends object>(r: Pick<Results<R>, 'rows' | 'affectedRows'>): QueryResult<R> {
  // PGlite reports affectedRows 0 for a SELECT: count the rows it returned in that case.
  return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
}

type Conn = Pick<PGlite, 'query' | 'exec'>;

/**
 * A Queryable on the PGlite instance (inTransaction false: each statement takes PGlite's transaction
 * and query locks, as its query() does) or inside one of its transactions (conn is the transaction:
 * only the query lock, which its statements take too).
 */
function queryable(pg: PGlite, cache: StatementCache, conn: Conn, inTransaction: boolean): Queryable {
  const locked = <T>(fn: () => Promise<T>): Promise<T> =>
    inTransaction
      ? pg._runExclusiveQuery(fn)
      : pg._checkReady().then(() => pg._runExclusiveTransaction(() => pg._runExclusiveQuery(fn)));
  // Anything but DML may change the schema (or the session): forget the prepared statements first,
  // so that none is planned against a table that changes. Names are never reused.
  const forget = async () => {
    if (cache.byText.size === 0) return;
    cache.byText.clear();
    await conn.exec('DEALLOCATE ALL');
  };
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      if (DML.test(sql)) {
        const r = await locked(() => runPrepared<R>(pg, cache, sql, params ?? [], inTransaction));
        if (r !== NOT_PREPARED) return result(r);
      } else {
        await forget();
      }
      return result(await conn.query<R>(sql, params as unknown[] | undefined));
    },
    async exec(sql: string) {
      // exec() runs migrations.
      await forget();
      await conn.exec(sql);
    },
  };
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

export interface PgliteOptions {
  /** Data directory; undefined for an in-memory database. */
  dataDir?: string;
  /**
   * An initialised but otherwise empty data directory (see pglite-template.ts). When dataDir is
   * empty it is copied there first, which saves initdb: ~6.5 s and ~850 MB of peak memory.
   */
  templateDir?: string;
}

export async function openPglite(options: PgliteOptions = {}): Promise<Db> {
  const { dataDir, templateDir } = options;
  if (dataDir && (await isEmptyDir(dataDir))) {
    await mkdir(dataDir, { recursive: true });
    const marker = templateDir
      ? await stat(join(templateDir, 'PG_VERSION')).catch(() => undefined)
      : undefined;
    if (templateDir && marker) await cp(templateDir, dataDir, { recursive: true });
  }
  const pglite = await PGlite.create(dataDir, { parsers });
  const locks = new Map<bigint, Promise<void>>();
  const statements: StatementCache = { byText: new Map(), next: 0 };
  const direct = queryable(pglite, statements, pglite, false);
  // PGlite is one connection: its transaction() holds an exclusive lock, so queries from elsewhere
  // wait until the transaction ends, as they would for a row lock on PostgreSQL.
  const transaction: Db['transaction'] = (fn) =>
    pglite.transaction(async (tx) => {
      let open = true;
      const inside = queryable(pglite, statements, tx, true);
      const view: Queryable = {
        // A statement sent after the transaction ended fails, as PGlite's own transaction object does.
        query: (sql, params) =>
          open ? inside.query(sql, params) : Promise.reject(new Error('Transaction is closed')),
        exec: (sql) => (open ? inside.exec(sql) : Promise.reject(new Error('Transaction is closed'))),
      };
      try {
        return await fn(view);
      } finally {
        open = false;
      }
    });
  const db: Db = {
    kind: 'pglite',
    ...direct,
    transaction,
    // One process owns a PGlite directory and all its callers share one session, where advisory
    // locks are re-entrant: so callers queue on an in-process lock per key instead.
    async withAdvisoryLock(key, fn) {
      const previous = locks.get(key) ?? Promise.resolve();
      let release: () => void = () => {};
      const current = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => current);
      locks.set(key, tail);
      await previous;
      try {
        return await fn({ ...direct, transaction });
      } finally {
        release();
        if (locks.get(key) === tail) locks.delete(key);
      }
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
  return db;
}
