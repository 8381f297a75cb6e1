// paydesk refunds create | list | retry: the refunds API (POST/GET /v1/refunds) from the shell, with
// the admin key (admin-client.ts).
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import type { RefundView } from '../refunds/view.js';
import { failure, openAdminClient, table } from './admin-client.js';
import type { Command } from './run.js';
import { UsageError } from './usage.js';

function line(r: RefundView): string {
  const extra = [
    r.stripe_refund ? `Stripe ${r.stripe_refund}` : undefined,
    r.failure_reason ? `reason: ${r.failure_reason}` : undefined,
    r.credits
      ? `credits taken back ${r.credits.taken}${r.credits.shortfall ? ` (shortfall ${r.credits.shortfall})` : ''}`
      : undefined,
  ].filter(Boolean);
  return `${r.id} ${r.status}: ${r.amount} ${r.currency} of ${r.payment} (request ${r.request_id}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})${extra.length ? `; ${extra.join('; ')}` : ''}\n`;
}

const where = [
  'Embedded mode with a running paydesk: the running paydesk does it, through its API (admin key from',
  'PAYDESK_ADMIN_KEY or the data directory). Otherwise this process opens the database and Stripe.',
];

export const refundsCreateCommand: Command = {
  summary: 'Refund a payment, in full or in part (synchronous unless --async).',
  usage: [
    'Usage: paydesk refunds create (--payment pay_… | --payment-intent pi_… | --charge ch_…)',
    '                              [--amount N] [--reason R] [--request-id ID] [--async]',
    '                              [--cancel-subscription] [--json]',
    '',
    'Refunds through POST /v1/refunds: checked against what is left to refund of the payment, and made',
    'once per request id (repeat the same --request-id to retry safely).',
    '',
    'Options:',
    '  --amount N               minor units (default: what is left to refund)',
    '  --reason R               duplicate, fraudulent or requested_by_customer',
    '  --request-id ID          the operation; the Stripe idempotency key derives from it',
    '  --async                  queue it; a job carries it out with retries (prints the request id)',
    '  --cancel-subscription    subscription payments: cancel the subscription once refunded',
    '  --json                   print the API answer as JSON',
    '',
    ...where,
    '',
    'Exit codes: 0 refunded (or queued), 1 refused or failed, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        payment: { type: 'string' },
        'payment-intent': { type: 'string' },
        charge: { type: 'string' },
        amount: { type: 'string' },
        reason: { type: 'string' },
        'request-id': { type: 'string' },
        async: { type: 'boolean' },
        'cancel-subscription': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'.`);
    const targets = [values.payment, values['payment-intent'], values.charge].filter((v) => v !== undefined);
    if (targets.length !== 1)
      throw new UsageError('give exactly one of --payment, --payment-intent or --charge.');
    if (values.amount !== undefined && !/^[1-9]\d{0,10}$/.test(values.amount))
      throw new UsageError('--amount is a whole number of minor units, 1 or more.');
    const body = {
      ...(values.payment ? { payment: values.payment } : {}),
      ...(values['payment-intent'] ? { payment_intent: values['payment-intent'] } : {}),
      ...(values.charge ? { charge: values.charge } : {}),
      ...(values.amount ? { amount: Number(values.amount) } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
      ...(values['request-id'] ? { request_id: values['request-id'] } : {}),
      ...(values.async ? { async: true } : {}),
      ...(values['cancel-subscription'] ? { cancel_subscription: true } : {}),
    };
    const client = await openAdminClient(loadConfig(env));
    try {
      const r = await client.call('POST', '/v1/refunds', body);
      if (r.status >= 300) throw failure('the refund', r);
      if (values.json) io.out(`${JSON.stringify(r.json, null, 2)}\n`);
      else if (r.status === 202) {
        const q = r.json as { request_id: string; refund: string; status: string };
        io.out(
          `${q.refund} ${q.status} (request ${q.request_id}): follow it with \`paydesk refunds list\`.\n`,
        );
      } else io.out(line(r.json as RefundView));
      return 0;
    } finally {
      await client.close();
    }
  },
};

export const refundsListCommand: Command = {
  summary: 'List refunds, newest first (by payment and status).',
  usage: [
    'Usage: paydesk refunds list [--payment pay_…|pi_…] [--status S] [--limit N] [--json]',
    '',
    'Statuses: queued, processing, pending, succeeded, failed, canceled.',
    '',
    ...where,
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({
      args,
      options: {
        payment: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    const q = new URLSearchParams();
    if (values.payment) q.set('payment', values.payment);
    if (values.status) q.set('status', values.status);
    q.set('limit', values.limit ?? '50');
    const client = await openAdminClient(loadConfig(env));
    try {
      const r = await client.call('GET', `/v1/refunds?${q}`);
      if (r.status !== 200) throw failure('listing refunds', r);
      const page = r.json as { data: RefundView[]; has_more: boolean };
      if (values.json) io.out(`${JSON.stringify(page, null, 2)}\n`);
      else if (page.data.length === 0) io.out('No refunds.\n');
      else {
        io.out(
          table([
            ['ID', 'STATUS', 'AMOUNT', 'PAYMENT', 'REQUEST', 'STRIPE', 'ATTEMPTS', 'REASON'],
            ...page.data.map((x) => [
              x.id,
              x.status,
              `${x.amount} ${x.currency}`,
              x.payment,
              x.request_id,
              x.stripe_refund ?? '-',
              String(x.attempts),
              x.failure_reason ?? '-',
            ]),
          ]),
        );
        if (page.has_more) io.out('(more: narrow with --payment or --status, or raise --limit)\n');
      }
      return 0;
    } finally {
      await client.close();
    }
  },
};

export const refundsRetryCommand: Command = {
  summary: 'Queue again a refund paydesk gave up on (its job dead) or that failed before reaching Stripe.',
  usage: [
    'Usage: paydesk refunds retry <refund id | request id>',
    '',
    'Checks that the amount is still refundable, then queues the refund again with the same request id:',
    'Stripe makes it at most once. Refused (exit 1) for a refund Stripe made or refused itself.',
    '',
    ...where,
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    const [ref, ...extra] = positionals;
    if (!ref || extra.length > 0) throw new UsageError('one refund id or request id is required.');
    const client = await openAdminClient(loadConfig(env));
    try {
      const r = await client.call('POST', `/v1/refunds/${encodeURIComponent(ref)}/retry`);
      if (r.status !== 200) throw failure(`retrying ${ref}`, r);
      io.out(line(r.json as RefundView));
      return 0;
    } finally {
      await client.close();
    }
  },
};
