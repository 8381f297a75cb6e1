// The refunds crash test on the database queue (PGlite, or PostgreSQL in CI): see refunds-crash.ts.
import { test } from 'node:test';
import { CRASH_REFUNDS, refundsCrash } from './refunds-crash.js';

test(`${CRASH_REFUNDS} async refunds, paydesk killed with SIGKILL while they run: each refunded exactly once`, async () => {
  await refundsCrash();
});
