import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { WHMCS_PENDING_ID } from '../whmcs/routes.js';
import { listWhmcsPending, retryWhmcsPending, type WhmcsPendingItem } from '../whmcs/service.js';
import type { Command } from './run.js';
import { openTarget, remoteFailure } from './service-context.js';
import { UsageError } from './usage.js';

export const whmcsPendingCommand: Command = {
  summary: 'List WHMCS payments, refunds and chargebacks not on their invoice (waiting, mismatch, dead).',
  usage: [
    'Usage: paydesk whmcs pending',
    '',
    'One line per item: kind (payment, refund, dispute), id (the Checkout session of a payment; the WHMCS',
    'transaction id of a refund or chargeback), invoice, amount in minor units, status, charge, attempts',
    'and the last error. waiting = its job is still trying; mismatch = a payment not applied (the invoice',
    'changed: refund it or record it by hand, then `paydesk whmcs retry`); dead = WHMCS failed every',
    'attempt (`paydesk whmcs retry <id>` once WHMCS is back).',
    '',
    'Exit codes: 0 nothing pending, 1 something pending, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    if (positionals.length > 0) throw new UsageError('no arguments expected.');
    const target = await openTarget(loadConfig(env));
    let rows: WhmcsPendingItem[];
    if (target.kind === 'remote') {
      const r = await target.call('GET', '/admin/whmcs/pending', undefined, 30_000);
      if (r.status !== 200) throw remoteFailure('listing what is pending for WHMCS', r);
      rows = (r.json as { data: WhmcsPendingItem[] }).data;
    } else {
      try {
        rows = await listWhmcsPending(target.context);
      } finally {
        await target.close();
      }
    }
    if (rows.length === 0) {
      io.out('Nothing is waiting for WHMCS.\n');
      return 0;
    }
    for (const r of rows) {
      io.out(
        `${r.kind.padEnd(7)}  ${r.id}  invoice #${r.invoice}  ${r.amount} ${r.currency} (minor units)  ${r.status}  ${r.charge ?? ''}  attempts ${r.attempts}${r.last_error ? `  ${r.last_error}` : ''}\n`,
      );
    }
    return 1;
  },
};

export const whmcsRetryCommand: Command = {
  summary: 'Write a dead or mismatched WHMCS payment, refund or chargeback on its invoice again.',
  usage: [
    'Usage: paydesk whmcs retry <id>',
    '',
    '<id> as `paydesk whmcs pending` lists it: cs_… (a payment), re_… (a refund), du_… (a chargeback).',
    'Queues its job again. The job checks GetTransactions first, so nothing already on the invoice is',
    'added twice; a payment whose invoice balance is still too small is reported as mismatch again.',
    '',
    'Exit codes: 0 queued, 1 nothing dead or mismatched has this id, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError('one id (cs_…, re_… or du_…) is required.');
    if (!WHMCS_PENDING_ID.test(id))
      throw new UsageError(`'${id}' is not an id from \`paydesk whmcs pending\` (cs_…, re_…, du_…).`);
    const target = await openTarget(loadConfig(env));
    let queued: boolean;
    if (target.kind === 'remote') {
      const r = await target.call('POST', `/admin/whmcs/pending/${encodeURIComponent(id)}/retry`, {}, 30_000);
      if (r.status !== 200 && r.status !== 409) throw remoteFailure(`retrying ${id}`, r);
      queued = r.status === 200;
    } else {
      try {
        queued = await retryWhmcsPending(target.context, id);
      } finally {
        await target.close();
      }
    }
    io.out(queued ? `${id}: queued again.\n` : `${id}: nothing dead or mismatched for WHMCS has this id.\n`);
    return queued ? 0 : 1;
  },
};
