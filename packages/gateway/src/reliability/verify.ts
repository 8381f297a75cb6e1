// Compares what paydesk recorded with what the emulator's state implies, customer by customer, and
// checks the pipeline's own invariants. Every difference is returned as one line; an empty list is
// the only passing result. Shared by the chaos test and the crash test.
import type Stripe from 'stripe';
import type { Catalog } from '../catalog/catalog.js';
import { currentBalance } from '../credits/service.js';
import type { Queryable } from '../platform/db/types.js';
import { type CreditStep, replayCredits } from './model.js';

export interface CustomerUnderTest {
  /** paydesk's customer id. */
  id: string;
  stripeCustomerId: string;
  /** The credit-changing facts in the order they happened. */
  steps: readonly CreditStep[];
}

/** What a user sees of their entitlements (the API's answer, or the stored row). */
export interface SeenEntitlements {
  access: string[];
  status: string | null;
  plan: string | null;
  credits: number;
}

export interface VerifyContext {
  db: Queryable;
  stripe: Stripe;
  catalog: Catalog;
  refundClawback: boolean;
  readEntitlements: (c: CustomerUnderTest) => Promise<SeenEntitlements>;
}

const GRANTING = new Set(['active', 'trialing', 'past_due']);

async function all<T extends { id?: string }>(
  page: (startingAfter: string | undefined) => Promise<Stripe.ApiList<T>>,
): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const p = await page(after);
    out.push(...p.data);
    if (!p.has_more || p.data.length === 0) return out;
    after = p.data[p.data.length - 1]!.id;
  }
}

function planOf(sub: Stripe.Subscription): string | null {
  return sub.items.data[0]?.price.metadata?.paydesk_id ?? null;
}

export async function verifyCustomer(v: VerifyContext, c: CustomerUnderTest): Promise<string[]> {
  const out: string[] = [];
  const say = (m: string) => out.push(`${c.id} (${c.stripeCustomerId}): ${m}`);

  // Subscriptions: every one in Stripe recorded with the same state.
  const subs = await all((after) =>
    v.stripe.subscriptions.list({
      customer: c.stripeCustomerId,
      status: 'all',
      limit: 100,
      ...(after ? { starting_after: after } : {}),
    }),
  );
  const local = await v.db.query<{
    stripe_subscription_id: string | null;
    status: string;
    plan: string | null;
    cancel_at_period_end: boolean;
  }>(
    `SELECT stripe_subscription_id, status, plan, cancel_at_period_end FROM subscriptions
     WHERE customer_id = $1 AND status <> 'pending'`,
    [c.id],
  );
  const byId = new Map(local.rows.map((r) => [r.stripe_subscription_id, r]));
  for (const sub of subs) {
    const row = byId.get(sub.id);
    if (!row) {
      say(`subscription ${sub.id} (${sub.status}) not recorded`);
      continue;
    }
    if (row.status !== sub.status) say(`subscription ${sub.id}: paydesk ${row.status}, Stripe ${sub.status}`);
    if (row.plan !== planOf(sub)) say(`subscription ${sub.id}: plan ${row.plan}, Stripe ${planOf(sub)}`);
    if (row.cancel_at_period_end !== sub.cancel_at_period_end)
      say(
        `subscription ${sub.id}: cancel_at_period_end ${row.cancel_at_period_end}, Stripe ${sub.cancel_at_period_end}`,
      );
  }
  if (local.rows.length !== subs.length)
    say(`${local.rows.length} subscriptions recorded, Stripe has ${subs.length}`);

  // Entitlements: the newest subscription decides (each customer here has at most one).
  const decisive = [...subs].sort((a, b) => b.created - a.created)[0];
  const plan = decisive ? v.catalog.plan(planOf(decisive) ?? '') : undefined;
  const status = decisive?.status ?? null;
  const expectedAccess = status && GRANTING.has(status) ? [...(plan?.entitlements ?? [])].sort() : [];
  const seen = await v.readEntitlements(c);
  if (seen.status !== status) say(`entitlement status ${seen.status}, Stripe ${status}`);
  if (seen.plan !== (decisive ? planOf(decisive) : null)) say(`entitlement plan ${seen.plan}`);
  if ([...seen.access].sort().join(',') !== expectedAccess.join(','))
    say(`access [${seen.access.join(',')}], expected [${expectedAccess.join(',')}]`);

  // Payments: exactly the succeeded payment intents, with their amounts and refunds.
  const pis = await all((after) =>
    v.stripe.paymentIntents.list({
      customer: c.stripeCustomerId,
      limit: 100,
      expand: ['data.latest_charge'],
      ...(after ? { starting_after: after } : {}),
    }),
  );
  const succeeded = pis.filter((p) => p.status === 'succeeded');
  const payments = await v.db.query<{
    stripe_payment_intent_id: string;
    amount: number;
    amount_refunded: number;
  }>('SELECT stripe_payment_intent_id, amount, amount_refunded FROM payments WHERE customer_id = $1', [c.id]);
  const paid = new Map(payments.rows.map((p) => [p.stripe_payment_intent_id, p]));
  if (paid.size !== payments.rows.length) say('two payments for one payment intent');
  for (const pi of succeeded) {
    const p = paid.get(pi.id);
    if (!p) {
      say(`payment intent ${pi.id} (${pi.amount}) succeeded in Stripe, no payment recorded`);
      continue;
    }
    if (Number(p.amount) !== pi.amount_received)
      say(`payment ${pi.id}: amount ${p.amount}, Stripe ${pi.amount_received}`);
    const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
    const refunded = charge?.amount_refunded ?? 0;
    if (Number(p.amount_refunded) !== refunded)
      say(`payment ${pi.id}: refunded ${p.amount_refunded}, Stripe ${refunded}`);
  }
  for (const id of paid.keys()) {
    if (!succeeded.some((pi) => pi.id === id)) say(`payment ${id} recorded, not succeeded in Stripe`);
  }

  // Credits: the replayed balance, and one ledger entry per cause that should have one.
  const invoices = await all((after) =>
    v.stripe.invoices.list({
      customer: c.stripeCustomerId,
      status: 'paid',
      limit: 100,
      ...(after ? { starting_after: after } : {}),
    }),
  );
  const periodSteps = new Set(c.steps.flatMap((s) => (s.kind === 'period' ? [s.invoice] : [])));
  for (const inv of invoices) {
    if (inv.id && !periodSteps.has(inv.id)) say(`paid invoice ${inv.id} missing from the harness's timeline`);
  }
  if (periodSteps.size !== invoices.length)
    say(`timeline has ${periodSteps.size} paid periods, Stripe ${invoices.length}`);
  const replay = replayCredits(c.steps, v.refundClawback);
  for (const w of replay.wrongConsumes) say(`consume ${w}`);
  const balance = await currentBalance(v.db, c.id);
  if (balance !== replay.balance) say(`credits ${balance}, expected ${replay.balance}`);
  if (seen.credits !== replay.balance) say(`credits shown ${seen.credits}, expected ${replay.balance}`);
  const ledger = await v.db.query<{ reason: string; n: number }>(
    'SELECT reason, count(*)::int AS n FROM credit_ledger WHERE customer_id = $1 GROUP BY reason',
    [c.id],
  );
  const count = (reasons: string[]) =>
    ledger.rows.filter((r) => reasons.includes(r.reason)).reduce((n, r) => n + r.n, 0);
  const expectedPeriods = c.steps.filter((s) => s.kind === 'period' && s.credits > 0).length;
  if (count(['period_reset', 'period_grant']) !== expectedPeriods)
    say(`${count(['period_reset', 'period_grant'])} period entries, expected ${expectedPeriods}`);
  const expectedPacks = c.steps.filter((s) => s.kind === 'pack').length;
  if (count(['pack_purchase']) !== expectedPacks)
    say(`${count(['pack_purchase'])} pack entries, expected ${expectedPacks}`);
  const expectedConsumes = c.steps.filter((s) => s.kind === 'consume' && s.accepted).length;
  if (count(['consume']) !== expectedConsumes)
    say(`${count(['consume'])} consume entries, expected ${expectedConsumes}`);
  return out;
}

/** Every event the emulator emitted after `afterEventId` (oldest first). */
export async function eventsSince(stripe: Stripe, afterEventId: string | undefined): Promise<Stripe.Event[]> {
  const out: Stripe.Event[] = [];
  let cursor = afterEventId;
  if (!cursor) {
    // No cursor: from the very first event (oldest first).
    const everything = await all((after) =>
      stripe.events.list({ limit: 100, ...(after ? { starting_after: after } : {}) }),
    );
    return everything.reverse();
  }
  for (;;) {
    const page = await stripe.events.list({ limit: 100, ending_before: cursor });
    const batch = [...page.data].reverse();
    out.push(...batch);
    if (!page.has_more || batch.length === 0) return out;
    cursor = batch[batch.length - 1]!.id;
  }
}

/** The pipeline's invariants: every emitted event stored, each processed or ignored, no job left. */
export async function verifyPipeline(
  db: Queryable,
  stripe: Stripe,
  afterEventId: string | undefined,
): Promise<{ mismatches: string[]; events: number }> {
  const out: string[] = [];
  const emitted = await eventsSince(stripe, afterEventId);
  const ids = emitted.map((e) => e.id);
  const stored = await db.query<{ id: string }>('SELECT id FROM stripe_events WHERE id = ANY($1::text[])', [
    ids,
  ]);
  const have = new Set(stored.rows.map((r) => r.id));
  const lost = ids.filter((id) => !have.has(id));
  if (lost.length > 0)
    out.push(`${lost.length} emitted events not stored, e.g. ${lost.slice(0, 5).join(', ')}`);
  const statuses = await db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM stripe_events GROUP BY status',
  );
  for (const r of statuses.rows) {
    if (r.status === 'pending' || r.status === 'failed') out.push(`${r.n} stored events ${r.status}`);
  }
  const jobs = await db.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM jobs WHERE status <> 'done' GROUP BY status`,
  );
  for (const r of jobs.rows) out.push(`${r.n} jobs ${r.status}`);
  const twice = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT stripe_payment_intent_id FROM payments
       GROUP BY stripe_payment_intent_id HAVING count(*) > 1) d`,
  );
  if (twice.rows[0]!.n > 0) out.push(`${twice.rows[0]!.n} payment intents with two payments`);
  return { mismatches: out, events: emitted.length };
}
