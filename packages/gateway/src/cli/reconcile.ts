import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { defaultSince, parseSince, type ReconcileSummary, reconcileEvents } from '../webhooks/reconcile.js';
import { progressBar } from './progress.js';
import type { Command } from './run.js';
import { openTarget, remoteFailure } from './service-context.js';
import { UsageError } from './usage.js';

/** The summary as a person reads it. */
export function formatReconcile(r: ReconcileSummary): string {
  const lines = [
    `Events since ${r.since}${r.clippedTo ? ' (Stripe keeps events 30 days: the list starts there)' : ''}:`,
    `  seen     ${r.seen}`,
    `  new      ${r.new}   (missed webhooks, now stored)`,
    `  applied  ${r.processed}`,
    `  ignored  ${r.ignored}`,
  ];
  if (r.failed > 0)
    lines.push(`  failed   ${r.failed}   (the queue retries them; see the console's dead jobs)`);
  if (r.pending > 0)
    lines.push(`  pending  ${r.pending}   (not applied yet when the wait ended; the queue goes on)`);
  for (const [id, error] of Object.entries(r.errors)) lines.push(`  ${id}: ${error}`);
  return `${lines.join('\n')}\n`;
}

export const reconcileCommand: Command = {
  summary: 'Fetch the events Stripe lists that paydesk missed, and apply them (after an outage).',
  usage: [
    'Usage: paydesk reconcile [--since <time|duration>]',
    '',
    "Pages through Stripe's /v1/events from the newest back to --since, stores every event paydesk",
    'does not have (the webhook pipeline: events already stored are left alone) and has them applied,',
    'then prints what it saw: seen, new, applied, ignored (and failed or pending ones).',
    '',
    '--since takes an ISO time (2024-05-01, 2024-05-01T12:00:00Z) or a duration back from now (90m,',
    '12h, 3d, 1w). Default: one hour before the newest stored event, or 3 days when none is stored.',
    'Stripe keeps events 30 days; an older --since is clipped to that.',
    '',
    'When a paydesk runs on this data directory (embedded mode), it does the work and its queue',
    'applies the events (no progress bar). Otherwise this command opens the database and Stripe as',
    '`paydesk serve` would, shows a progress bar on stderr and runs the apply-jobs itself until done.',
    '',
    'Exit codes: 0 done, 1 failure (including events whose application failed), 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({ args, options: { since: { type: 'string' } }, strict: true });
    const config = loadConfig(env);
    if (values.since !== undefined && !parseSince(values.since, new Date()))
      throw new UsageError(`--since '${values.since}' is neither an ISO time nor a duration like 3d.`);
    const target = await openTarget(config);
    io.out(`Reconciling ${target.description}.\n`);
    let summary: ReconcileSummary;
    if (target.kind === 'remote') {
      const r = await target.call('POST', '/admin/webhooks/reconcile', { since: values.since }, 30 * 60_000);
      if (r.status !== 200) throw remoteFailure('reconcile', r);
      summary = r.json as ReconcileSummary;
    } else {
      try {
        const s = target.context;
        const since = values.since ? parseSince(values.since, s.now())! : await defaultSince(s);
        const bar = progressBar((t) => io.err(t), io.errIsTTY === true);
        try {
          summary = await reconcileEvents(s, {
            since,
            onProgress: (fraction, c) =>
              bar.step(Math.round(fraction * 100), 100, `% of the time range; ${c.seen} seen, ${c.new} new`),
          });
        } finally {
          bar.finish();
        }
      } finally {
        await target.close();
      }
    }
    io.out(formatReconcile(summary));
    return summary.failed > 0 ? 1 : 0;
  },
};
