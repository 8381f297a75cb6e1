import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import type { BalanceTransaction } from './balance-transactions.js';
import { addJobSource, type Job } from './billing/scheduler.js';
import type { Charge } from './charges.js';
import type { EngineCtx } from './common/engine.js';

export type Balance = Wire<Stripe.Balance>;

/**
 * The account balance (`GET /v1/balance`), kept as running sums of the balance transactions' `net`
 * per currency and source type, never recomputed per request. A transaction whose `available_on` is
 * still ahead of its clock (the emulator clock, or the test clock of its charge's customer) waits
 * in that clock's queue, earliest first; the scheduler moves it to `available` when the clock passes
 * that time, and `balance.available` is sent when positive funds become available (Stripe sends no
 * `balance.available` for negative transactions): then, or at once for a transaction that is
 * available when made (the bypass-pending test cards, dispute reinstatements).
 */
type SourceType = 'card' | 'bank_account';

interface Sums {
  available: Record<SourceType, number>;
  pending: Record<SourceType, number>;
}

interface Waiting {
  id: string;
  at: number;
  currency: string;
  source: SourceType;
  net: number;
}

interface BalanceState {
  /** Transactions accounted for, and the newest one: a mismatch means a reset or a loaded snapshot. */
  count: number;
  newest: string | undefined;
  byCurrency: Map<string, Sums>;
  /** Per clock (null: the emulator clock), pending transactions by `available_on`, earliest first. */
  queues: Map<string | null, Waiting[]>;
  pendingIds: Set<string>;
}

/** The account's default currency: always listed, as Stripe lists it for an empty account. */
const DEFAULT_CURRENCY = 'usd';

declare module '../core/store.js' {
  interface CollectionTypes {
    /** The test clock a balance transaction's funds wait on (only those made in a clock's time). */
    _balance_clock: { id: string; clock: string };
  }
}

const states = new WeakMap<App, BalanceState>();

function emptySums(): Sums {
  return { available: { card: 0, bank_account: 0 }, pending: { card: 0, bank_account: 0 } };
}

function sumsOf(s: BalanceState, currency: string): Sums {
  let sums = s.byCurrency.get(currency);
  if (sums === undefined) {
    sums = emptySums();
    s.byCurrency.set(currency, sums);
  }
  return sums;
}

type ChargeRef = Charge | string | null | undefined;

function chargeObject(store: Ctx['store'], charge: ChargeRef): Charge | undefined {
  return typeof charge === 'string' ? store.c('charge').get(charge) : (charge ?? undefined);
}

/** Card payments count as `card`; bank debits (ACH, SEPA, Bacs…) as `bank_account`. */
function sourceTypeOf(ch: Charge | undefined): SourceType {
  const type = ch?.payment_method_details?.type;
  return type === undefined || type === 'card' ? 'card' : 'bank_account';
}

/** The charge behind a stored transaction (its source, or the source's charge). */
function chargeOf(store: Ctx['store'], bt: BalanceTransaction): string | undefined {
  const src = typeof bt.source === 'string' ? bt.source : bt.source?.id;
  if (src === undefined || src === null) return undefined;
  if (src.startsWith('ch_') || src.startsWith('py_')) return src;
  const c = src.startsWith('re_')
    ? store.c('refund').get(src)?.charge
    : src.startsWith('dp_')
      ? store.c('dispute').get(src)?.charge
      : undefined;
  return typeof c === 'string' ? c : c?.id;
}

/** The time of a clock domain: a test clock's frozen time, or `fallback` (the emulator clock). */
function domainNow(store: Ctx['store'], domain: string | null, fallback: number): number {
  if (domain === null) return fallback;
  return store.c('test_helpers.test_clock').get(domain)?.frozen_time ?? fallback;
}

/**
 * The clock a new transaction's funds wait on: its charge customer's test clock when the money moved
 * in that clock's time (an invoice paid on the clock), else the emulator clock (a PaymentIntent made
 * directly for such a customer lives in real time, as on Stripe). Recorded for snapshot rebuilds.
 */
function clockFor(ctx: EngineCtx, bt: BalanceTransaction, ch: Charge | undefined): string | null {
  const c = ch?.customer;
  const customer = typeof c === 'string' ? c : (c?.id ?? null);
  if (customer === null) return null;
  const tc = ctx.store.c('customer').get(customer)?.test_clock;
  const clock = typeof tc === 'string' ? tc : (tc?.id ?? null);
  if (clock === null || ctx.store.c('test_helpers.test_clock').get(clock)?.frozen_time !== ctx.now())
    return null;
  ctx.store.c('_balance_clock').insert({ id: bt.id, clock });
  return clock;
}

/** Adds one transaction to the sums; returns true when it is available at once. */
function account(
  store: Ctx['store'],
  s: BalanceState,
  bt: BalanceTransaction,
  source: SourceType,
  clock: string | null,
  now: number,
): boolean {
  // A deleted test clock no longer holds anything back: its funds follow the emulator clock.
  const domain = clock !== null && store.c('test_helpers.test_clock').has(clock) ? clock : null;
  const sums = sumsOf(s, bt.currency);
  s.count += 1;
  s.newest = bt.id;
  if (bt.available_on <= domainNow(store, domain, now)) {
    sums.available[source] += bt.net;
    return true;
  }
  sums.pending[source] += bt.net;
  let queue = s.queues.get(domain);
  if (queue === undefined) {
    queue = [];
    s.queues.set(domain, queue);
  }
  const w: Waiting = { id: bt.id, at: bt.available_on, currency: bt.currency, source, net: bt.net };
  // Usually the latest: look for its place from the end.
  let i = queue.length;
  while (i > 0 && queue[i - 1]!.at > w.at) i--;
  queue.splice(i, 0, w);
  s.pendingIds.add(bt.id);
  return false;
}

/** The state, rebuilt from the stored transactions if they changed behind its back (reset, load). */
function stateOf(app: App): BalanceState {
  const col = app.store.c('balance_transaction');
  let s = states.get(app);
  if (s !== undefined && s.count === col.size && s.newest === col.newestFirst().next().value?.id) return s;
  s = { count: 0, newest: undefined, byCurrency: new Map(), queues: new Map(), pendingIds: new Set() };
  states.set(app, s);
  const now = app.clock.now();
  for (const bt of col.values()) {
    const ch = chargeObject(app.store, chargeOf(app.store, bt));
    account(app.store, s, bt, sourceTypeOf(ch), app.store.c('_balance_clock').get(bt.id)?.clock ?? null, now);
  }
  return s;
}

/**
 * Called by `insertBalanceTransaction` for a new transaction, before it is stored: `charge` is the
 * charge it moves money for (its payment method type gives the source type, its customer's test
 * clock, if any, is the clock the funds wait on). Sets the transaction's `status`.
 */
export function recordBalanceTransaction(ctx: EngineCtx, bt: BalanceTransaction, charge: ChargeRef): void {
  const s = stateOf(ctx.app);
  const ch = chargeObject(ctx.store, charge);
  const now = account(ctx.store, s, bt, sourceTypeOf(ch), clockFor(ctx, bt, ch), ctx.now());
  bt.status = now ? 'available' : 'pending';
  if (now && bt.net > 0) ctx.emit('balance.available', balanceOf(s));
}

/** Whether a transaction still waits for its `available_on` (on its clock). */
export function isPending(ctx: Pick<Ctx, 'app'>, bt: BalanceTransaction): boolean {
  return stateOf(ctx.app).pendingIds.has(bt.id);
}

/** Moves every transaction of `domain` due by `ctx.now()` to available; one `balance.available`. */
function release(ctx: Ctx, domain: string | null): void {
  const s = stateOf(ctx.app);
  const queue = s.queues.get(domain);
  if (queue === undefined) return;
  const now = ctx.now();
  let n = 0;
  let gained = 0;
  while (n < queue.length && queue[n]!.at <= now) {
    const w = queue[n]!;
    const sums = sumsOf(s, w.currency);
    sums.pending[w.source] -= w.net;
    sums.available[w.source] += w.net;
    s.pendingIds.delete(w.id);
    const bt = ctx.store.c('balance_transaction').get(w.id);
    if (bt) bt.status = 'available';
    gained += w.net;
    n++;
  }
  queue.splice(0, n);
  if (n > 0 && gained > 0) ctx.emit('balance.available', balanceOf(s));
}

function balanceJobs(app: App, domain: string | null, out: Job[]): void {
  const s = stateOf(app);
  const first = s.queues.get(domain)?.[0];
  if (first !== undefined) out.push({ at: first.at, rank: 7, run: (c) => release(c, domain) });
  if (domain !== null) return;
  // Funds left waiting on a test clock that was deleted since follow the emulator clock.
  for (const [clock, queue] of s.queues) {
    if (clock === null || queue.length === 0 || app.store.c('test_helpers.test_clock').has(clock)) continue;
    out.push({ at: queue[0]!.at, rank: 7, run: (c) => release(c, clock) });
  }
}

addJobSource(balanceJobs);

function amounts(s: BalanceState, which: 'available' | 'pending') {
  const currencies = [DEFAULT_CURRENCY, ...[...s.byCurrency.keys()].filter((c) => c !== DEFAULT_CURRENCY)];
  return currencies.map((currency) => {
    const src = (s.byCurrency.get(currency) ?? emptySums())[which];
    const source_types: { card: number; bank_account?: number } = { card: src.card };
    if (src.bank_account !== 0) source_types.bank_account = src.bank_account;
    return { amount: src.card + src.bank_account, currency, source_types };
  });
}

function balanceOf(s: BalanceState): Balance {
  const available = amounts(s, 'available');
  return {
    object: 'balance',
    available,
    connect_reserved: available.map((a) => ({ amount: 0, currency: a.currency })),
    livemode: false,
    pending: amounts(s, 'pending'),
  };
}

/** The balance now (the emulator clock's due work has run before the request). */
export function currentBalance(ctx: Ctx): Balance {
  return balanceOf(stateOf(ctx.app));
}

export const balance = defineResource('balance', (api) => {
  api.get('/v1/balance', currentBalance);
});
