// What the console benchmark needs beside bench/pages/run.ts: its command-line options, percentiles, and an
// emptied database.
import { parseArgs } from 'node:util';
import pg from 'pg';

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
