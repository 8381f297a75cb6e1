// The fake WHMCS's data: clients, invoices and transactions, and the API actions over them, with
// the value encodings and error messages of WHMCS's API (see /docs/whmcs.md). Amounts are cents.
import { formatMoney, parseMoney } from './money.js';

export const invoiceStatuses = [
  'Draft',
  'Unpaid',
  'Paid',
  'Cancelled',
  'Refunded',
  'Collections',
  'Payment Pending',
] as const;
export type InvoiceStatus = (typeof invoiceStatuses)[number];

export type Client = {
  id: number;
  firstname: string;
  lastname: string;
  email: string;
  currency: number;
  credit: number;
};
export type Currency = { id: number; code: string; prefix: string; suffix: string };
export type Invoice = {
  id: number;
  userid: number;
  status: InvoiceStatus;
  subtotal: number;
  tax: number;
  credit: number;
  date: string;
  duedate: string;
  datepaid: string;
  paymentmethod: string;
  notes: string;
  items: { id: number; description: string; amount: number }[];
};
export type Transaction = {
  id: number;
  userid: number;
  currency: number;
  gateway: string;
  date: string;
  description: string;
  amountin: number;
  fees: number;
  amountout: number;
  transid: string;
  invoiceid: number;
};

export type ApiAnswer = Record<string, unknown> & { result: 'success' | 'error' };

const UNSET = '0000-00-00 00:00:00';

function now(): string {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}

function fail(message: string): ApiAnswer {
  return { result: 'error', message };
}

function intParam(p: URLSearchParams, name: string): number | null {
  const raw = p.get(name);
  return raw !== null && /^\d{1,9}$/.test(raw) ? Number(raw) : null;
}

export class WhmcsState {
  readonly currencies: Currency[] = [
    { id: 1, code: 'USD', prefix: '$', suffix: ' USD' },
    { id: 2, code: 'EUR', prefix: '€', suffix: ' EUR' },
    { id: 3, code: 'JPY', prefix: '¥', suffix: ' JPY' },
  ];
  readonly clients = new Map<number, Client>();
  readonly invoices = new Map<number, Invoice>();
  readonly transactions: Transaction[] = [];
  private nextId = { client: 1, invoice: 1, item: 1, transaction: 1 };

  addClient(c: { email: string; firstname?: string; lastname?: string; currency?: string }): Client {
    const currency = this.currencies.find((x) => x.code === (c.currency ?? 'USD'));
    if (!currency) throw new Error(`fake WHMCS has no currency ${c.currency}`);
    const client: Client = {
      id: this.nextId.client++,
      firstname: c.firstname ?? 'Test',
      lastname: c.lastname ?? 'Client',
      email: c.email,
      currency: currency.id,
      credit: 0,
    };
    this.clients.set(client.id, client);
    return client;
  }

  /** An invoice with one item per amount ("15.95"); status Unpaid unless given. */
  addInvoice(
    userid: number,
    amounts: string[],
    opts: { status?: InvoiceStatus; tax?: string } = {},
  ): Invoice {
    if (!this.clients.has(userid)) throw new Error(`fake WHMCS has no client ${userid}`);
    const items = amounts.map((a, i) => ({
      id: this.nextId.item++,
      description: `Hosting plan ${i + 1}`,
      amount: parseMoney(a) ?? Number.NaN,
    }));
    if (items.some((i) => Number.isNaN(i.amount))) throw new Error(`bad amounts ${amounts.join(',')}`);
    const invoice: Invoice = {
      id: this.nextId.invoice++,
      userid,
      status: opts.status ?? 'Unpaid',
      subtotal: items.reduce((s, i) => s + i.amount, 0),
      tax: parseMoney(opts.tax ?? '0') ?? 0,
      credit: 0,
      date: now().slice(0, 10),
      duedate: now().slice(0, 10),
      datepaid: UNSET,
      paymentmethod: 'paydesk',
      notes: '',
      items,
    };
    this.invoices.set(invoice.id, invoice);
    return invoice;
  }

  /** Adds a transaction as WHMCS itself would (an admin-area refund), with the next id. */
  addOwnTransaction(t: Omit<Transaction, 'id' | 'currency' | 'date' | 'fees'>): Transaction {
    const tx: Transaction = { ...t, id: this.nextId.transaction++, currency: 0, date: now(), fees: 0 };
    this.transactions.push(tx);
    return tx;
  }

  currencyOf(client: Client): Currency {
    return this.currencies.find((c) => c.id === client.currency)!;
  }

  total(inv: Invoice): number {
    return inv.subtotal + inv.tax - inv.credit;
  }

  /** total − payments in + payments out, over the invoice's transactions. */
  balance(inv: Invoice): number {
    const txs = this.transactions.filter((t) => t.invoiceid === inv.id);
    return this.total(inv) - txs.reduce((s, t) => s + t.amountin - t.amountout, 0);
  }

  private transactionView(t: Transaction): Record<string, unknown> {
    return {
      id: String(t.id),
      userid: String(t.userid),
      currency: '0',
      gateway: t.gateway,
      date: t.date,
      description: t.description,
      amountin: formatMoney(t.amountin),
      fees: formatMoney(t.fees),
      amountout: formatMoney(t.amountout),
      rate: '1.00000',
      transid: t.transid,
      invoiceid: String(t.invoiceid),
      refundid: '0',
    };
  }

  getInvoice(p: URLSearchParams): ApiAnswer {
    const inv = this.invoices.get(intParam(p, 'invoiceid') ?? -1);
    if (!inv) return fail('Invoice ID Not Found');
    const txs = this.transactions.filter((t) => t.invoiceid === inv.id);
    return {
      result: 'success',
      invoiceid: inv.id,
      invoicenum: '',
      userid: inv.userid,
      date: inv.date,
      duedate: inv.duedate,
      datepaid: inv.datepaid,
      lastcaptureattempt: UNSET,
      subtotal: formatMoney(inv.subtotal),
      credit: formatMoney(inv.credit),
      tax: formatMoney(inv.tax),
      tax2: '0.00',
      total: formatMoney(this.total(inv)),
      balance: formatMoney(this.balance(inv)),
      taxrate: '0.00',
      taxrate2: '0.00',
      status: inv.status,
      paymentmethod: inv.paymentmethod,
      notes: inv.notes,
      ccgateway: false,
      items: {
        item: inv.items.map((i) => ({
          id: i.id,
          type: 'Hosting',
          relid: 0,
          description: i.description,
          amount: formatMoney(i.amount),
          taxed: 0,
        })),
      },
      // WHMCS gives an empty string, not an empty list, when there are none.
      transactions: txs.length === 0 ? '' : { transaction: txs.map((t) => this.transactionView(t)) },
    };
  }

  getClientsDetails(p: URLSearchParams): ApiAnswer {
    const id = intParam(p, 'clientid');
    const email = p.get('email');
    if (id === null && !email) return fail('Either clientid Or email Is Required');
    const client =
      id !== null
        ? this.clients.get(id)
        : [...this.clients.values()].find((c) => c.email.toLowerCase() === email!.toLowerCase());
    if (!client) return fail('Client Not Found');
    const currency = this.currencyOf(client);
    const details = {
      id: client.id,
      client_id: client.id,
      userid: client.id,
      firstname: client.firstname,
      lastname: client.lastname,
      fullname: `${client.firstname} ${client.lastname}`,
      companyname: '',
      email: client.email,
      status: 'Active',
      credit: formatMoney(client.credit),
      currency: currency.id,
      currency_code: currency.code,
      defaultgateway: '',
      language: '',
    };
    return { result: 'success', ...details, client: details };
  }

  getTransactions(p: URLSearchParams): ApiAnswer {
    const invoiceid = intParam(p, 'invoiceid');
    const clientid = intParam(p, 'clientid');
    const transid = p.get('transid');
    const found = this.transactions.filter(
      (t) =>
        (invoiceid === null || t.invoiceid === invoiceid) &&
        (clientid === null || t.userid === clientid) &&
        (!transid || t.transid === transid),
    );
    return {
      result: 'success',
      totalresults: found.length,
      startnumber: 0,
      numreturned: found.length,
      transactions: found.length === 0 ? '' : { transaction: found.map((t) => this.transactionView(t)) },
    };
  }

  /** Like WHMCS as far as its docs go: no duplicate-transid check (the caller must look first). */
  addInvoicePayment(p: URLSearchParams): ApiAnswer {
    const inv = this.invoices.get(intParam(p, 'invoiceid') ?? -1);
    if (!inv) return fail('Invoice ID Not Found');
    if (inv.status === 'Cancelled')
      return fail('It is not possible to add a payment to an invoice that is Cancelled');
    const transid = p.get('transid') ?? '';
    const gateway = p.get('gateway') ?? '';
    if (!transid) return fail('Transaction ID is required');
    if (!gateway) return fail('Payment Method is required');
    const rawAmount = p.get('amount');
    const amount = rawAmount === null || rawAmount === '' ? this.balance(inv) : parseMoney(rawAmount);
    if (amount === null) return fail('Invalid amount');
    const fees = parseMoney(p.get('fees') ?? '0') ?? 0;
    const before = this.balance(inv);
    this.transactions.push({
      id: this.nextId.transaction++,
      userid: inv.userid,
      currency: 0,
      gateway,
      date: p.get('date') ?? now(),
      description: 'Invoice Payment',
      amountin: amount,
      fees,
      amountout: 0,
      transid,
      invoiceid: inv.id,
    });
    const excess = amount - before;
    if (excess > 0) this.clients.get(inv.userid)!.credit += excess;
    if (this.balance(inv) <= 0 && inv.status !== 'Paid') {
      inv.status = 'Paid';
      inv.datepaid = now();
    }
    return { result: 'success' };
  }

  addTransaction(p: URLSearchParams): ApiAnswer {
    const gateway = p.get('paymentmethod');
    if (!gateway) return fail('Payment Method is required');
    const invoiceid = intParam(p, 'invoiceid');
    const inv = invoiceid === null ? undefined : this.invoices.get(invoiceid);
    if (invoiceid !== null && !inv) return fail('Invoice ID Not Found');
    const userid = intParam(p, 'userid') ?? inv?.userid ?? 0;
    if (userid && !this.clients.has(userid)) return fail('Client ID Not Found');
    if (inv && userid !== inv.userid) return fail('User ID does not own the given Invoice ID');
    const transid = p.get('transid') ?? '';
    if (
      transid &&
      p.get('allowduplicatetransid') !== '1' &&
      this.transactions.some((t) => t.transid === transid)
    ) {
      return fail('Transaction ID must be Unique');
    }
    const amountin = parseMoney(p.get('amountin') || '0');
    const amountout = parseMoney(p.get('amountout') || '0');
    if (amountin === null || amountout === null) return fail('Invalid amount');
    this.transactions.push({
      id: this.nextId.transaction++,
      userid,
      currency: 0,
      gateway,
      date: now(),
      description: p.get('description') ?? '',
      amountin,
      fees: 0,
      amountout,
      transid,
      invoiceid: invoiceid ?? 0,
    });
    return { result: 'success' };
  }

  updateInvoice(p: URLSearchParams): ApiAnswer {
    const inv = this.invoices.get(intParam(p, 'invoiceid') ?? -1);
    if (!inv) return fail('Invoice ID Not Found');
    const notes = p.get('notes');
    if (notes !== null) inv.notes = notes;
    const status = p.get('status');
    if (status !== null) {
      const known = invoiceStatuses.find((x) => x === status);
      if (!known) return fail('Invalid Status');
      inv.status = known;
    }
    return { result: 'success', invoiceid: inv.id };
  }

  /** Runs one API action by its (case-insensitive) name; null for an unknown action. */
  run(action: string, p: URLSearchParams): ApiAnswer | null {
    switch (action.toLowerCase()) {
      case 'getinvoice':
        return this.getInvoice(p);
      case 'getclientsdetails':
        return this.getClientsDetails(p);
      case 'gettransactions':
        return this.getTransactions(p);
      case 'addinvoicepayment':
        return this.addInvoicePayment(p);
      case 'addtransaction':
        return this.addTransaction(p);
      case 'updateinvoice':
        return this.updateInvoice(p);
      default:
        return null;
    }
  }
}
