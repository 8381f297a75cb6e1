import type { Db, Queryable } from './types.js';

/**
 * A Db view of an open transaction, so that service functions written against Services can run
 * inside a caller's transaction: their queries join it, and a nested transaction() simply runs in it.
 */
export function inTransaction(db: Db, tx: Queryable): Db {
  return {
    kind: db.kind,
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
    transaction: (fn) => fn(tx),
    withAdvisoryLock: () =>
      Promise.reject(new Error('advisory locks are not available inside a transaction view')),
    close: () => Promise.reject(new Error('a transaction view cannot close the database')),
  };
}
