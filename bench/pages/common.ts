// What the console benchmark needs beside bench/pages/run.ts: its command-line options, percentiles, and an
// emptied database.
import { AsyncLocalStorage } from 'node:async_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Db, Queryable } from '../../packages/gateway/src/platform/db/types.js';

/** --database, --customers, --payments, --requests (with this benchmark's defaults). */
export function benchArgs(defaults: { database: string; requests: number }): {
  database: string;
  customers: number;
  payments: number;
  requests: number;
  /** --seeded: use the database as an earlier run of the same benchmark left it (no emptying, no seeding). */
  seeded: boolean;
} {
  const { values } = parseArgs({
    options: {
      database: { type: 'string', default: defaults.database },
      customers: { type: 'string', default: '100000' },
      payments: { type: 'string', default: '1000000' },
      requests: { type: 'string', default: String(defaults.requests) },
      seeded: { type: 'boolean', default: false },
    },
  });
  return {
    database: values.database,
    customers: Number(values.customers),
    payments: Number(values.payments),
    requests: Number(values.requests),
    seeded: values.seeded,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Drops everything in the database's public schema (paydesk migrates it afresh on start). */
export async function resetDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

export interface StatementPlan {
  sql: string;
  /** Each table the plan reads and how ("Index Only Scan payments_written on payments"), under a custom and a generic plan. */
  custom: string[];
  generic: string[];
  /** Every read of a table is through an index, or of a roll-up (console_*), or of a table named in `small`. */
  ok: boolean;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function scansOf(node: PlanNode, out: string[] = []): string[] {
  if (node['Relation Name'])
    out.push(
      `${node['Node Type']}${node['Index Name'] ? ` ${node['Index Name']}` : ''} on ${node['Relation Name']}`,
    );
  for (const child of node.Plans ?? []) scansOf(child, out);
  return out;
}

/**
 * Runs `run` once, recording every statement it sends through `db` (transactions included), and
 * EXPLAINs each with its parameters, both as PostgreSQL plans it for these values and as the generic
 * plan a kept (prepared) statement may settle on. Nothing is executed by the EXPLAINs.
 */
export async function explainStatements(
  db: Db,
  run: () => Promise<unknown>,
  small: readonly string[] = [],
): Promise<StatementPlan[]> {
  const seen = new Map<string, readonly unknown[]>();
  // Only what `run` sends: the app's workers share the database and keep polling meanwhile.
  const mine = new AsyncLocalStorage<true>();
  const record = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      if (mine.getStore() && !seen.has(sql)) seen.set(sql, params ?? []);
      return q.query(sql, params);
    },
    exec: (sql) => q.exec(sql),
  });
  const query = db.query;
  const transaction = db.transaction;
  const wrapped = db as { -readonly [K in keyof Db]: Db[K] };
  wrapped.query = record({ query: query.bind(db), exec: db.exec.bind(db) }).query;
  wrapped.transaction = <T>(fn: (tx: Queryable) => Promise<T>) =>
    transaction.call(db, (tx) => fn(record(tx))) as Promise<T>;
  try {
    await mine.run(true, run);
  } finally {
    wrapped.query = query;
    wrapped.transaction = transaction;
  }
  const plans: StatementPlan[] = [];
  for (const [sql, params] of seen) {
    if (!/^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i.test(sql)) continue;
    // Prepared as the drivers keep it, then EXPLAINed as executed with these values: a custom plan
    // (the first executions of a kept statement) and the generic plan PostgreSQL may switch to after.
    const explain = async (mode: 'force_custom_plan' | 'force_generic_plan') =>
      db.transaction(async (tx) => {
        await tx.query(`SET LOCAL plan_cache_mode = ${mode}`);
        // Prepared in the transaction: rolled back with it, so nothing stays on the connection.
        await tx.query(`PREPARE bench_explain AS ${sql}`);
        // EXECUTE's arguments cannot be bind parameters: quoted literals, each taking its parameter's type.
        const literal = (v: unknown) =>
          v === null || v === undefined
            ? 'NULL'
            : `'${(v instanceof Date ? v.toISOString() : String(v)).replace(/'/g, "''")}'`;
        const args = params.length > 0 ? `(${params.map(literal).join(', ')})` : '';
        const { rows } = await tx.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `EXPLAIN (FORMAT JSON) EXECUTE bench_explain${args}`,
        );
        await tx.query('DEALLOCATE bench_explain');
        return scansOf(rows[0]!['QUERY PLAN'][0].Plan);
      });
    const custom = await explain('force_custom_plan');
    const generic = await explain('force_generic_plan');
    const ok = [...custom, ...generic].every(
      (s) => !/^Seq Scan/.test(s) || / on console_/.test(s) || small.some((t) => s.endsWith(` on ${t}`)),
    );
    plans.push({ sql: sql.replace(/\s+/g, ' ').trim(), custom, generic, ok });
  }
  return plans;
}

/** The plans, one statement a few lines; returns how many statements read a large table without an index. */
export function printPlans(plans: readonly StatementPlan[]): number {
  for (const p of plans) {
    console.log(`  ${p.ok ? 'ok ' : 'SEQ'} ${p.sql.slice(0, 110)}${p.sql.length > 110 ? '…' : ''}`);
    console.log(`        custom plan:  ${p.custom.join('; ') || '(no table)'}`);
    if (p.generic.join() !== p.custom.join())
      console.log(`        generic plan: ${p.generic.join('; ') || '(no table)'}`);
  }
  return plans.filter((p) => !p.ok).length;
}
