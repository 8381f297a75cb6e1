import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { type ReplayResult, replayEvent } from '../webhooks/reconcile.js';
import type { Command } from './run.js';
import { openTarget, remoteFailure } from './service-context.js';
import { UsageError } from './usage.js';

export const webhooksReplayCommand: Command = {
  summary: 'Apply a stored Stripe event again (fetched from Stripe when paydesk never stored it).',
  usage: [
    'Usage: paydesk webhooks replay <event-id>',
    '',
    'Runs the event through a new apply-job of its own. Handlers are idempotent: effects that already',
    'happened (credits, payments, notifications) do not happen twice; what is missing is done. An event',
    'paydesk never stored is fetched from Stripe and stored first. Prints the outcome (processed,',
    'ignored with its reason, or failed with the error).',
    '',
    'Embedded mode with a running paydesk: the running paydesk does it, through its admin API.',
    '',
    'Exit codes: 0 processed or ignored, 1 failed or not found, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
    const [id, ...extra] = positionals;
    if (!id || extra.length > 0) throw new UsageError('one event id is required.');
    if (!/^evt_[A-Za-z0-9_]+$/.test(id)) throw new UsageError(`'${id}' is not a Stripe event id (evt_…).`);
    const config = loadConfig(env);
    const target = await openTarget(config);
    let result: ReplayResult;
    if (target.kind === 'remote') {
      const r = await target.call('POST', `/admin/webhooks/events/${id}/replay`, {}, 120_000);
      if (r.status !== 200) throw remoteFailure(`replaying ${id}`, r);
      result = r.json as ReplayResult;
    } else {
      try {
        result = await replayEvent(target.context, id);
      } finally {
        await target.close();
      }
    }
    io.out(
      `${result.event_id} (${result.type})${result.fetched ? ', fetched from Stripe,' : ''} replayed (attempt ${result.attempts}): ${result.status}${result.reason ? ` (${result.reason})` : ''}\n`,
    );
    return result.status === 'processed' || result.status === 'ignored' ? 0 : 1;
  },
};
