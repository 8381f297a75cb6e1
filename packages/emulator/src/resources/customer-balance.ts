import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, resourceMissing } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { emptyableStr, int, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import type { Invoice } from './billing/invoice-engine.js';
import type { Customer } from './customers.js';

export type CustomerBalanceTransaction = Wire<Stripe.CustomerBalanceTransaction>;

declare module '../core/store.js' {
  interface CollectionTypes {
    customer_balance_transaction: CustomerBalanceTransaction;
  }
}

/**
 * A customer's invoice credit balance, as a ledger: every change is a customer balance transaction
 * (`amount` < 0 is a credit to the customer, > 0 a debit) and `customer.balance` is the running sum.
 * Finalizing an invoice applies the balance to it (`starting_balance`, `ending_balance`, an
 * `applied_to_invoice` transaction); voiding it gives the applied part back (`unapplied_from_invoice`).
 */

export interface BalanceChange {
  amount: number;
  currency: string;
  type: CustomerBalanceTransaction['type'];
  description?: string | null;
  invoice?: string | null;
  creditNote?: string | null;
  metadata?: Stripe.Metadata;
}

/** Records one balance transaction and moves `customer.balance` (emits `customer.updated`). */
export function adjustBalance(
  ctx: Ctx,
  customer: Customer,
  change: BalanceChange,
): CustomerBalanceTransaction {
  if (
    customer.currency !== null &&
    customer.currency !== undefined &&
    customer.currency !== change.currency
  ) {
    throw invalidRequest(
      `The currency ${change.currency} does not match the customer's currency ${customer.currency}: a customer's balance is kept in one currency.`,
      'currency',
    );
  }
  const before = structuredClone(customer);
  customer.balance += change.amount;
  customer.currency = change.currency;
  const txn = ledgerEntry(ctx, customer, change);
  const prev = diffPrevious(before, customer);
  if (Object.keys(prev).length > 0) ctx.emit('customer.updated', customer, prev);
  return txn;
}

/**
 * `balance` set through `POST /v1/customers(/:id)`: the ledger records the change (`initial` at
 * creation, `adjustment` after) without an event of its own (the customer's event tells it).
 */
export function recordBalanceSet(ctx: Ctx, customer: Customer, previous: number, initial: boolean): void {
  if (customer.balance === previous) return;
  ledgerEntry(ctx, customer, {
    amount: customer.balance - previous,
    currency: customer.currency ?? 'usd',
    type: initial ? 'initial' : 'adjustment',
  });
}

function ledgerEntry(ctx: Ctx, customer: Customer, change: BalanceChange): CustomerBalanceTransaction {
  const txn: CustomerBalanceTransaction = {
    id: newId('cbtxn'),
    object: 'customer_balance_transaction',
    amount: change.amount,
    checkout_session: null,
    created: ctx.now(),
    credit_note: change.creditNote ?? null,
    currency: change.currency,
    customer: customer.id,
    customer_account: null,
    description: change.description ?? null,
    ending_balance: customer.balance,
    invoice: change.invoice ?? null,
    livemode: false,
    metadata: change.metadata ?? EMPTY_METADATA,
    type: change.type,
  };
  ctx.store.c('customer_balance_transaction').insert(txn);
  return txn;
}

/**
 * At finalization: the customer's balance meets the invoice. A credit (negative balance) lowers the
 * amount due, down to 0; a debit (positive balance) is added to it.
 */
export function applyBalanceToInvoice(ctx: Ctx, inv: Invoice): void {
  const customer = ctx.store.c('customer').get(inv.customer as string);
  const start = customer?.balance ?? 0;
  inv.starting_balance = start;
  inv.ending_balance = start;
  if (!customer || start === 0) return;
  if (customer.currency && customer.currency !== inv.currency) return;
  const applied = start < 0 ? Math.max(start, -Math.max(0, inv.total)) : start;
  if (applied === 0) return;
  adjustBalance(ctx, customer, {
    amount: -applied,
    currency: inv.currency,
    type: 'applied_to_invoice',
    invoice: inv.id,
  });
  inv.ending_balance = start - applied;
  inv.amount_due = Math.max(0, inv.total + applied);
  inv.amount_remaining = Math.max(0, inv.amount_due - inv.amount_paid);
}

/** Voiding an invoice gives back the balance it used. */
export function unapplyBalanceFromInvoice(ctx: Ctx, inv: Invoice): void {
  if (inv.ending_balance === null) return;
  const applied = inv.starting_balance - inv.ending_balance;
  const customer = ctx.store.c('customer').get(inv.customer as string);
  if (applied === 0 || !customer) return;
  adjustBalance(ctx, customer, {
    amount: applied,
    currency: inv.currency,
    type: 'unapplied_from_invoice',
    invoice: inv.id,
  });
}

function requireCustomer(ctx: Ctx): Customer {
  return ctx.store.c('customer').require(ctx.args.id!);
}

function requireTxn(ctx: Ctx, customer: Customer): CustomerBalanceTransaction {
  const id = ctx.args.txn!;
  const txn = ctx.store.c('customer_balance_transaction').get(id);
  if (txn === undefined || txn.customer !== customer.id)
    throw resourceMissing('customer_balance_transaction', id);
  return txn;
}

function create(ctx: Ctx): CustomerBalanceTransaction {
  const customer = requireCustomer(ctx);
  const p = ctx.params;
  const amount = int(p, 'amount');
  if (amount === undefined) throw missingParam('amount');
  const currency = str(p, 'currency')?.toLowerCase();
  if (!currency) throw missingParam('currency');
  return adjustBalance(ctx, customer, {
    amount,
    currency,
    type: 'adjustment',
    description: str(p, 'description') ?? null,
    metadata: applyMetadata(EMPTY_METADATA, p),
  });
}

function update(ctx: Ctx): CustomerBalanceTransaction {
  const txn = requireTxn(ctx, requireCustomer(ctx));
  const description = emptyableStr(ctx.params, 'description');
  if (description !== undefined) txn.description = description;
  txn.metadata = applyMetadata(txn.metadata, ctx.params);
  return txn;
}

export const customerBalance = defineResource('customer_balance_transactions', (api) => {
  api.label('customer_balance_transaction', 'customer_balance_transaction');
  api.post('/v1/customers/:id/balance_transactions', create);
  api.get('/v1/customers/:id/balance_transactions', (ctx) => {
    const customer = requireCustomer(ctx);
    const created = rangeFilter(ctx.params, 'created');
    const invoice = str(ctx.params, 'invoice');
    return paginate(
      ctx.store.c('customer_balance_transaction'),
      ctx.params,
      `/v1/customers/${customer.id}/balance_transactions`,
      allOf<CustomerBalanceTransaction>(
        (t) => t.customer === customer.id,
        created && ((t) => created(t.created)),
        invoice !== undefined && ((t) => t.invoice === invoice),
      ),
    );
  });
  api.get('/v1/customers/:id/balance_transactions/:txn', (ctx) => requireTxn(ctx, requireCustomer(ctx)));
  api.post('/v1/customers/:id/balance_transactions/:txn', update);
  api.expandable('customer_balance_transaction', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('customer_balance_transaction', 'invoice', (id) => api.store.c('invoice').get(id));
  api.expandable('customer_balance_transaction', 'credit_note', (id) => api.store.c('credit_note').get(id));
});
