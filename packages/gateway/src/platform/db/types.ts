// One small interface over PGlite and PostgreSQL. The same SQL runs on both.

export type Row = Record<string, unknown>;

export interface QueryResult<R extends object = Row> {
  rows: R[];
  rowCount: number;
}

/** Something that runs SQL: the database itself, or a transaction on it. */
export interface Queryable {
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs several statements separated by semicolons, with no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn inside BEGIN/COMMIT on one connection; ROLLBACK if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs fn while holding a session-level advisory lock on one connection, so that two instances
   * sharing a database never do the same thing at once (migrations). fn gets that connection.
   */
  withAdvisoryLock<T>(key: bigint, fn: (conn: Queryable & Pick<Db, 'transaction'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
