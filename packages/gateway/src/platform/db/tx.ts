// One way to run a transaction: withTransaction(ctx, fn). fn gets a Tx — the open transaction, on
// which every write of the change runs, and a list of work to do once it has committed (a job queue's
// poke, a broker's publish). Service functions that write as part of a caller's change take the Tx as
// an argument, `fn(ctx, tx, …)`; none builds a context of its own around a transaction.
import type { Db, Queryable, QueryResult, Row } from './types.js';

/** An open transaction, and what to do once it has committed. */
export interface Tx extends Queryable {
  /**
   * Runs `fn` once after the commit (never after a rollback). The same function registered again is
   * not run twice: a queue that registers its own poke per enqueue is poked once per transaction.
   */
  afterCommit(fn: () => void): void;
}

class OpenTx implements Tx {
  after: (() => void)[] | undefined;
  constructor(private readonly q: Queryable) {}
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.q.query<R>(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.q.exec(sql);
  }
  afterCommit(fn: () => void): void {
    if (!this.after) this.after = [fn];
    else if (!this.after.includes(fn)) this.after.push(fn);
  }
}

/**
 * Runs `fn` in a transaction on the context's database (ROLLBACK if it throws), then the work its
 * writes registered with afterCommit, once each.
 */
export async function withTransaction<T>(ctx: { readonly db: Db }, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let open: OpenTx | undefined;
  const result = await ctx.db.transaction((q) => {
    open = new OpenTx(q);
    return fn(open);
  });
  const after = open?.after;
  if (after) for (const run of after) run();
  return result;
}
