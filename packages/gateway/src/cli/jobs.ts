// paydesk jobs list | dead | retry: the job queue (refunds, notifications, subscription cancellations)
// through the admin API (/admin/jobs).
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import type { jobSchema } from '../queue-admin/routes.js';
import { failure, openAdminClient, table } from './admin-client.js';
import type { Command } from './run.js';
import { UsageError } from './usage.js';

type JobView = import('zod').infer<typeof jobSchema>;

async function listJobs(
  env: Readonly<Record<string, string | undefined>>,
  io: { out(s: string): void },
  options: {
    status?: string | undefined;
    kind?: string | undefined;
    limit?: string | undefined;
    json?: boolean | undefined;
  },
): Promise<number> {
  const q = new URLSearchParams();
  if (options.status) q.set('status', options.status);
  if (options.kind) q.set('kind', options.kind);
  q.set('limit', options.limit ?? '50');
  const client = await openAdminClient(loadConfig(env));
  try {
    const r = await client.call('GET', `/admin/jobs?${q}`);
    if (r.status !== 200) throw failure('listing jobs', r);
    const page = r.json as { data: JobView[]; has_more: boolean };
    if (options.json) io.out(`${JSON.stringify(page, null, 2)}\n`);
    else if (page.data.length === 0) io.out(options.status === 'dead' ? 'No dead jobs.\n' : 'No jobs.\n');
    else {
      io.out(
        table([
          ['ID', 'KIND', 'STATUS', 'ATTEMPTS', 'KEY', 'UPDATED', 'LAST ERROR'],
          ...page.data.map((j) => [
            String(j.id),
            j.kind,
            j.status,
            `${j.attempts}/${j.max_attempts}`,
            j.key ?? '-',
            j.updated_at.slice(0, 19).replace('T', ' '),
            (j.last_error ?? '-').slice(0, 80),
          ]),
        ]),
      );
      if (page.has_more) io.out('(more: narrow with --kind or --status, or raise --limit)\n');
    }
    return 0;
  } finally {
    await client.close();
  }
}

const listOptions = {
  kind: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const jobsListCommand: Command = {
  summary: 'List jobs of the queue, newest first (refunds, notifications, …).',
  usage: [
    'Usage: paydesk jobs list [--status queued|running|done|dead] [--kind KIND] [--limit N] [--json]',
    '',
    'Kinds: refund.execute, refund.cancel_subscription, notify. (Webhook events are their own jobs:',
    'see `paydesk webhooks replay`.)',
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({
      args,
      options: { ...listOptions, status: { type: 'string' } },
      strict: true,
    });
    return listJobs(env, io, values);
  },
};

export const jobsDeadCommand: Command = {
  summary: 'List dead jobs (out of attempts), to retry with `paydesk jobs retry`.',
  usage: 'Usage: paydesk jobs dead [--kind KIND] [--limit N] [--json]',
  async run(args, env, io) {
    const { values } = parseArgs({ args, options: listOptions, strict: true });
    return listJobs(env, io, { ...values, status: 'dead' });
  },
};

export const jobsRetryCommand: Command = {
  summary: 'Run a dead job again with a fresh set of attempts.',
  usage: [
    'Usage: paydesk jobs retry <job id>',
    '',
    'A dead refund job is retried through its refund: refused (exit 1) when the amount is no longer',
    'refundable or Stripe already made or refused the refund.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0 || !/^[1-9]\d*$/.test(id))
      throw new UsageError('one job id (a number) is required.');
    const client = await openAdminClient(loadConfig(env));
    try {
      const r = await client.call('POST', `/admin/jobs/${id}/retry`);
      if (r.status !== 200) throw failure(`retrying job ${id}`, r);
      const j = r.json as JobView;
      io.out(`job ${j.id} (${j.kind}) ${j.status}, due now.\n`);
      return 0;
    } finally {
      await client.close();
    }
  },
};
