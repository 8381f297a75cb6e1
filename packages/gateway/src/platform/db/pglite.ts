import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type messages, PGlite, parse, protocol, type Results, types } from '@electric-sql/pglite';
import { StorageUnavailableError } from './errors.js';
import { limitWasmCompilationTasks } from './pglite-wasm.js';
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
 * inferred for them and the columns they return. PGlite's own query() makes six calls into
 * WebAssembly per statement (Parse, Describe, Bind, Describe, Execute, Sync), parsing and planning
 * the SQL each time; a prepared statement runs as one batch (Bind, Execute, Sync), for about half the
 * CPU. A kept statement's columns come from the Describe sent once when it was prepared: its
 * result columns cannot change while it stays prepared (Postgres refuses to run it if its tables
 * changed so that they would, and every statement that may change the schema first drops them all,
 * see forgetPrepared()).
 */
interface Prepared {
  /** The prepared statement's name; '' for the unnamed statement (not kept). */
  name: string;
  /** Parameter type oids, to serialize each value exactly as PGlite's query() would. */
  paramTypes: number[];
  /** The columns it returns (none for a statement without a result, such as an UPDATE without RETURNING). */
  fields: readonly { name: string; dataTypeID: number }[];
}

interface StatementCache {
  byText: Map<string, Prepared>;
  next: number;
}

const { serialize } = protocol;
/** Only these are kept prepared. Anything else may change the schema: see forgetPrepared(). */
const DML = /^\s*(select|insert|update|delete|with)\b/i;

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

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

/** The columns of a Describe's RowDescription (none when it answered NoData). */
function describedFields(described: readonly BackendMessage[]): Prepared['fields'] {
  const row = described.find((m): m is messages.RowDescriptionMessage => m.name === 'rowDescription');
  return row ? row.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })) : [];
}

/**
 * The statement's result from its messages, as PGlite's parse.parseResults() builds it (rows as
 * objects by column name, each value through the same parsers; affectedRows counted for INSERT,
 * UPDATE, DELETE, COPY and MERGE), with the columns known from the Describe at prepare time.
 */
function results<R extends object>(
  messages: readonly BackendMessage[],
  fields: Prepared['fields'],
  parsers: PGlite['parsers'],
): Results<R> {
  const rows: R[] = [];
  let affectedRows = 0;
  for (const m of messages) {
    if (m.name === 'dataRow') {
      const values = (m as messages.DataRowMessage).fields;
      const row: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i]!;
        row[f.name] = types.parseType(values[i] ?? null, f.dataTypeID, parsers);
      }
      rows.push(row as R);
    } else if (m.name === 'commandComplete') {
      const words = (m as messages.CommandCompleteMessage).text.split(' ');
      if (['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE'].includes(words[0]!)) {
        const n = Number.parseInt(words[words.length - 1]!, 10);
        if (!Number.isNaN(n)) affectedRows += n;
      }
    }
  }
  return { rows, fields: [...fields], affectedRows };
}

/** An error carries the query and its parameters, as PGlite's own errors do. */
function withQuery(err: unknown, sql: string, params: readonly unknown[] | undefined): unknown {
  if (err instanceof Error) Object.assign(err, { query: sql, params, queryOptions: undefined });
  return err;
}

/**
 * Drops every prepared statement, before a statement that may change the schema (a migration, DDL),
 * so that none is planned against a table that changed. Names are never reused. Locks held.
 */
async function forgetPrepared(pg: PGlite, cache: StatementCache): Promise<void> {
  if (cache.byText.size === 0) return;
  cache.byText.clear();
  await pg.execProtocolStream(concat([serialize.query('DEALLOCATE ALL'), serialize.sync()]), {
    syncToFs: false,
  });
}

/**
 * Runs one statement with PGlite's query lock held (and, outside a transaction, its transaction lock
 * too). The result and the errors are PGlite's own: the same messages, parsed by the same parsers.
 */
async function runStatement<R extends object>(
  pg: PGlite,
  cache: StatementCache,
  sql: string,
  params: readonly unknown[],
  inTransaction: boolean,
): Promise<Results<R>> {
  try {
    const keep = DML.test(sql);
    if (!keep) await forgetPrepared(pg, cache);
    let stmt = keep ? cache.byText.get(sql) : undefined;
    if (!stmt) {
      const name = keep && cache.byText.size < MAX_PREPARED ? `paydesk_${cache.next++}` : '';
      const described = await pg.execProtocolStream(
        concat([
          serialize.parse({ name, text: sql }),
          serialize.describe({ type: 'S', name }),
          serialize.sync(),
        ]),
        { syncToFs: false },
      );
      stmt = {
        name,
        paramTypes: parse.parseDescribeStatementResults(described),
        fields: name ? describedFields(described) : [],
      };
      if (name) cache.byText.set(sql, stmt);
    }
    const { paramTypes } = stmt;
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      // Bytes go as they are, a binary parameter (as the pg driver sends a Buffer): for bytea, and
      // for a text-like type (json, text) whose binary form is the text itself.
      if (ArrayBuffer.isView(v)) return v;
      const serializer = pg.serializers[paramTypes[i]!];
      return serializer ? serializer(v) : String(v);
    });
    // A kept statement's columns are known from its Describe; any other is described again here.
    const kept = stmt.name !== '';
    const bind = serialize.bind({ statement: stmt.name, values });
    const messages = await pg.execProtocolStream(
      concat(
        kept
          ? [bind, serialize.execute({}), serialize.sync()]
          : [bind, serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()],
      ),
      // As PGlite's query(): the file system is synced after a statement outside a transaction
      // (and after COMMIT inside one).
      { syncToFs: !inTransaction },
    );
    // One statement, one result, as PGlite's query() returns.
    return kept
      ? results<R>(messages, stmt.fields, pg.parsers)
      : (parse.parseResults(messages, pg.parsers)[0] as Results<R>);
  } catch (err) {
    throw withQuery(err, sql, params);
  }
}

/** exec(): several statements, no parameters, the simple protocol (as PGlite's exec()). Locks held. */
async function runScript(pg: PGlite, cache: StatementCache, sql: string, inTransaction: boolean) {
  try {
    await forgetPrepared(pg, cache);
    await pg.execProtocolStream(concat([serialize.query(sql), serialize.sync()]), {
      syncToFs: !inTransaction,
    });
  } catch (err) {
    throw withQuery(err, sql, undefined);
  }
}

/**
 * A Queryable on the PGlite instance (inTransaction false: each statement takes PGlite's transaction
 * and query locks, as its query() does) or inside one of its transactions (only the query lock, which
 * the transaction's own statements take too).
 */
function queryable(pg: PGlite, cache: StatementCache, inTransaction: boolean): Queryable {
  const run = <T>(fn: () => Promise<T>): Promise<T> =>
    inTransaction
      ? pg._runExclusiveQuery(fn)
      : pg._checkReady().then(() => pg._runExclusiveTransaction(() => pg._runExclusiveQuery(fn)));
  // A closed database (the app outlived it, or it was taken away) is unavailable storage (503), not a bug.
  const locked = <T>(fn: () => Promise<T>): Promise<T> =>
    run(fn).catch((err: unknown) => {
      throw pg.closed ? new StorageUnavailableError(err) : err;
    });
  return {
    async query<R extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const r = await locked(() => runStatement<R>(pg, cache, sql, params ?? [], inTransaction));
      // PGlite reports affectedRows 0 for a SELECT: count the rows it returned in that case.
      return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
    },
    async exec(sql: string) {
      await locked(() => runScript(pg, cache, sql, inTransaction));
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
   * empty it is copied there first, which saves initdb's time and peak memory (docs/benchmarks.md).
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
  limitWasmCompilationTasks();
  const pglite = await PGlite.create(dataDir, { parsers });
  const locks = new Map<bigint, Promise<void>>();
  const statements: StatementCache = { byText: new Map(), next: 0 };
  const direct = queryable(pglite, statements, false);
  // PGlite is one connection: its transaction() holds an exclusive lock, so queries from elsewhere
  // wait until the transaction ends, as they would for a row lock on PostgreSQL.
  const transaction: Db['transaction'] = (fn) =>
    // PGlite's transaction() holds its transaction lock and sends BEGIN and COMMIT or ROLLBACK; the
    // statements inside run here, under its query lock.
    pglite
      .transaction(async () => {
        let open = true;
        const inside = queryable(pglite, statements, true);
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
      })
      .catch((err: unknown) => {
        throw pglite.closed && !(err instanceof StorageUnavailableError)
          ? new StorageUnavailableError(err)
          : err;
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
