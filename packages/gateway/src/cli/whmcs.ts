import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { whmcsPaymentView } from '../whmcs/routes.js';
import { listPendingWhmcsPayments, retryWhmcsPayment } from '../whmcs/service.js';
import type { Command } from './run.js';
import { openTarget, remoteFailure } from './service-context.js';
import { UsageError } from './usage.js';

type View = ReturnType<typeof whmcsPaymentView>;

export const whmcsPendingCommand: Command = {
  summary: 'List WHMCS payments paid in Stripe but not on their invoice (waiting, mismatch, dead).',
  usage: [
    'Usage: paydesk whmcs pending',
    '',
    'One line per payment: Checkout session, invoice, amount paid, status, attempts and the last error.',
    'paid = the recording job is still trying; mismatch = not applied (the invoice changed: refund or',
    'record it by hand, then `paydesk whmcs retry`); dead = WHMCS failed every attempt.',
    '',
    'Exit codes: 0 nothing pending, 1 something pending, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    if (positionals.length > 0) throw new UsageError('no arguments expected.');
    const target = await openTarget(loadConfig(env));
    let rows: View[];
    if (target.kind === 'remote') {
      const r = await target.call('GET', '/admin/whmcs/payments', undefined, 30_000);
      if (r.status !== 200) throw remoteFailure('listing WHMCS payments', r);
      rows = (r.json as { data: View[] }).data;
    } else {
      try {
        rows = (await listPendingWhmcsPayments(target.context)).map(whmcsPaymentView);
      } finally {
        await target.close();
      }
    }
    if (rows.length === 0) {
      io.out('No WHMCS payment is waiting.\n');
      return 0;
    }
    for (const r of rows) {
      io.out(
        `${r.session}  invoice #${r.invoice}  ${r.amount_paid ?? r.amount} ${r.currency} (minor units)  ${r.status}  ${r.charge ?? ''}  attempts ${r.attempts}${r.last_error ? `  ${r.last_error}` : ''}\n`,
      );
    }
    return 1;
  },
};

export const whmcsRetryCommand: Command = {
  summary: 'Record a dead or mismatched WHMCS payment on its invoice again.',
  usage: [
    'Usage: paydesk whmcs retry <checkout-session-id>',
    '',
    'Queues the recording job again. It checks GetTransactions first, so a payment already on the',
    'invoice is never added twice; a balance still too small is reported as mismatch again.',
    '',
    'Exit codes: 0 queued, 1 no dead or mismatched payment has this session, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError('one Checkout session id is required.');
    if (!/^cs_[A-Za-z0-9_]+$/.test(id)) throw new UsageError(`'${id}' is not a Checkout session id (cs_…).`);
    const target = await openTarget(loadConfig(env));
    let queued: boolean;
    if (target.kind === 'remote') {
      const r = await target.call('POST', `/admin/whmcs/payments/${id}/retry`, {}, 30_000);
      if (r.status !== 200 && r.status !== 409) throw remoteFailure(`retrying ${id}`, r);
      queued = r.status === 200;
    } else {
      try {
        queued = await retryWhmcsPayment(target.context, id);
      } finally {
        await target.close();
      }
    }
    io.out(
      queued ? `${id}: queued again.\n` : `${id}: no dead or mismatched WHMCS payment has this session.\n`,
    );
    return queued ? 0 : 1;
  },
};
