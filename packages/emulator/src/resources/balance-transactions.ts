import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { resourceMissing } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { isPending, recordBalanceTransaction } from './balance.js';
import type { Charge } from './charges.js';
import type { EngineCtx } from './common/engine.js';
import type { Refund } from './refunds.js';
import { bypassesPending } from './test-cards.js';

export type BalanceTransaction = Wire<Stripe.BalanceTransaction>;

declare module '../core/store.js' {
  interface CollectionTypes {
    balance_transaction: BalanceTransaction;
  }
}

/**
 * The money movements of the account: a captured charge adds its amount less Stripe's fee (the
 * standard card pricing, 2.9 % + 30 in the minor unit of the charge's currency), available two days
 * after the charge (`pending` until then); a refund takes its amount back at once (no fee returned).
 */
const DAY = 86_400;

export function cardFee(amount: number): number {
  return Math.round(amount * 0.029) + 30;
}

/** Stores a new balance transaction (`txn_…`). */
export function insertBalanceTransaction(
  ctx: EngineCtx,
  init: Omit<BalanceTransaction, 'id' | 'object'>,
  /** The charge the money moves for (or its id), when it is not stored yet or not the source. */
  charge: Charge | string | null = null,
): BalanceTransaction {
  const bt: BalanceTransaction = { id: newId('txn'), object: 'balance_transaction', ...init };
  // The account balance's running sums (and `balance.available`) first, then the record.
  recordBalanceTransaction(ctx, bt, charge);
  ctx.store.c('balance_transaction').insert(bt);
  return bt;
}

/** The balance transaction of a capture of `amount` of a charge (sets `charge.balance_transaction`). */
export function chargeTransaction(
  ctx: EngineCtx,
  ch: Charge,
  amount: number,
  fee = cardFee(amount),
): BalanceTransaction {
  const now = ctx.now();
  // The bypass-pending test cards (4000 0000 0000 0077): the funds are available at once.
  const record = ch.payment_method ? ctx.store.c('_card').get(ch.payment_method) : undefined;
  const bypass = record !== undefined && bypassesPending(record.number);
  const bt = insertBalanceTransaction(
    ctx,
    {
      amount,
      available_on: bypass ? now : Math.floor(now / DAY) * DAY + 2 * DAY,
      balance_type: 'payments',
      created: now,
      currency: ch.currency,
      description: ch.description,
      exchange_rate: null,
      fee,
      fee_details: [
        {
          amount: fee,
          application: null,
          currency: ch.currency,
          description: 'Stripe processing fees',
          type: 'stripe_fee',
        },
      ],
      net: amount - fee,
      reporting_category: 'charge',
      source: ch.id,
      status: bypass ? 'available' : 'pending',
      type: 'charge',
    },
    ch,
  );
  ch.balance_transaction = bt.id;
  return bt;
}

/** The balance transaction of a refund (`refund`), or of its failure (`refund_failure`, money back). */
export function refundTransaction(ctx: EngineCtx, refund: Refund, failure = false): BalanceTransaction {
  const now = ctx.now();
  const amount = failure ? refund.amount : -refund.amount;
  const bt = insertBalanceTransaction(
    ctx,
    {
      amount,
      available_on: now,
      balance_type: 'payments',
      created: now,
      currency: refund.currency,
      description: failure ? 'REFUND FAILURE' : 'REFUND FOR CHARGE',
      exchange_rate: null,
      fee: 0,
      fee_details: [],
      net: amount,
      reporting_category: failure ? 'refund_failure' : 'refund',
      source: refund.id,
      status: 'available',
      type: failure ? 'refund_failure' : 'refund',
    },
    typeof refund.charge === 'string' ? refund.charge : (refund.charge?.id ?? null),
  );
  if (failure) refund.failure_balance_transaction = bt.id;
  else refund.balance_transaction = bt.id;
  return bt;
}

/** `pending` until `available_on` on its clock (the emulator's, or its customer's test clock). */
function current(ctx: Ctx, bt: BalanceTransaction): BalanceTransaction {
  bt.status = isPending(ctx, bt) ? 'pending' : 'available';
  return bt;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const type = str(p, 'type');
  const source = str(p, 'source');
  const currency = str(p, 'currency')?.toLowerCase();
  const created = rangeFilter(p, 'created');
  // The emulator makes no payouts, so no payout id names one.
  const payout = str(p, 'payout');
  if (payout !== undefined) throw resourceMissing('payout', payout, 'payout');
  const page = paginate(
    ctx.store.c('balance_transaction'),
    p,
    '/v1/balance_transactions',
    allOf<BalanceTransaction>(
      type !== undefined && ((b) => b.type === type),
      source !== undefined && ((b) => b.source === source),
      currency !== undefined && ((b) => b.currency === currency),
      created && ((b) => created(b.created)),
    ),
  );
  for (const bt of page.data) current(ctx, bt);
  return page;
}

function sourceOf(api: { store: Ctx['store'] }, id: string): unknown {
  if (id.startsWith('ch_') || id.startsWith('py_')) return api.store.c('charge').get(id);
  if (id.startsWith('re_')) return api.store.c('refund').get(id);
  if (id.startsWith('dp_')) return api.store.c('dispute').get(id);
  return undefined;
}

export const balanceTransactions = defineResource('balance_transactions', (api) => {
  api.label('balance_transaction', 'balance transaction');
  api.get('/v1/balance_transactions', list);
  api.get('/v1/balance_transactions/:id', (ctx) =>
    current(ctx, ctx.store.c('balance_transaction').require(ctx.args.id!)),
  );
  api.expandable('balance_transaction', 'source', (id) => sourceOf(api, id));
  api.expandable('charge', 'balance_transaction', (id) => api.store.c('balance_transaction').get(id));
  api.expandable('refund', 'balance_transaction', (id) => api.store.c('balance_transaction').get(id));
  api.expandable('refund', 'failure_balance_transaction', (id) => api.store.c('balance_transaction').get(id));
});
