// One way to run a transaction: withTransaction(ctx, fn). fn gets a Tx — the open transaction, on
// which every write of the change runs, a list of writes to make just before it commits (a queue's
// jobs, gathered into one statement), and a list of work to do once it has committed (a job queue's
// poke, a broker's publish). Service functions that write as part of a caller's change take the Tx as
// an argument, `fn(ctx, tx, …)`; none builds a context of its own around a transaction.
import type { Db, Queryable, QueryResult, Row } from './types.js';

/** An open transaction, what to write just before its commit, and what to do once it has committed. */
export interface Tx extends Queryable {
  /**
   * Runs `fn` once in the transaction after the caller's function has returned and before the
   * commit (never when it threw); if `fn` throws, the transaction rolls back. The same function
   * registered again is not run twice; one registered while these run is run too.
   */
  beforeCommit(fn: () => Promise<void>): void;
  /**
   * Runs `fn` once after the commit (never after a rollback). The same function registered again is
   * not run twice: a queue that registers its own poke per enqueue is poked once per transaction.
   */
  afterCommit(fn: () => void): void;
}

class OpenTx implements Tx {
  before: (() => Promise<void>)[] | undefined;
  after: (() => void)[] | undefined;
  constructor(private readonly q: Queryable) {}
  query<R extends object = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.q.query<R>(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.q.exec(sql);
  }
  beforeCommit(fn: () => Promise<void>): void {
    if (!this.before) this.before = [fn];
    else if (!this.before.includes(fn)) this.before.push(fn);
  }
  afterCommit(fn: () => void): void {
    if (!this.after) this.after = [fn];
    else if (!this.after.includes(fn)) this.after.push(fn);
  }
  async flush(): Promise<void> {
    // By index: a hook may register another, which runs after it.
    for (let i = 0; this.before && i < this.before.length; i++) await this.before[i]!();
  }
}

/**
 * Runs `fn` in a transaction on the context's database (ROLLBACK if it throws), with the writes
 * registered by beforeCommit last in it, then the work registered with afterCommit, once each.
 */
export async function withTransaction<T>(ctx: { readonly db: Db }, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let open: OpenTx | undefined;
  const result = await ctx.db.transaction(async (q) => {
    const tx = new OpenTx(q);
    open = tx;
    const r = await fn(tx);
    await tx.flush();
    return r;
  });
  const after = open?.after;
  if (after) for (const run of after) run();
  return result;
}
