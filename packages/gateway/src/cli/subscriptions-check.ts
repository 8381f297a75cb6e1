import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { type CheckSummary, checkSubscriptions } from '../webhooks/reconcile.js';
import { progressBar } from './progress.js';
import type { Command } from './run.js';
import { openTarget, remoteFailure } from './service-context.js';

/** One block per subscription that drifted or has a problem, then the totals. */
export function formatCheck(r: CheckSummary, dryRun: boolean): string {
  const lines: string[] = [];
  for (const d of r.results) {
    const fields = Object.entries(d.fields);
    if (fields.length === 0 && !d.problem) continue;
    const state = d.problem
      ? `not fixed: ${d.problem}`
      : dryRun
        ? 'drift'
        : d.fixed
          ? 'fixed'
          : `not fixed: ${d.fix_reason ?? 'unknown'}`;
    lines.push(`${d.subscription} (${d.stripe_subscription}, customer ${d.customer}): ${state}`);
    for (const [field, [ours, theirs]] of fields)
      lines.push(`  ${field}: paydesk ${ours} → Stripe ${theirs}`);
  }
  if (lines.length > 0) lines.push('');
  lines.push(
    `${r.checked} checked, ${r.drifted} drifted${dryRun ? '' : `, ${r.fixed} fixed`}${r.problems > 0 ? `, ${r.problems} with problems` : ''}.`,
  );
  if (dryRun && r.drifted > 0) lines.push('Dry run: nothing was changed. Run without --dry-run to fix.');
  return `${lines.join('\n')}\n`;
}

export const subscriptionsCheckCommand: Command = {
  summary: 'Compare local subscriptions with Stripe, report drift and fix it (--dry-run: report only).',
  usage: [
    'Usage: paydesk subscriptions check [--dry-run]',
    '',
    "For every subscription paydesk knows, fetches Stripe's copy and compares status, plan, interval,",
    'current period end and cancel_at_period_end. Without --dry-run, each drifted subscription is',
    "recorded as Stripe has it through the webhook pipeline's own path, so entitlements, credits and",
    'notifications to your product follow. A subscription Stripe no longer has is reported, not changed.',
    '',
    'Embedded mode with a running paydesk: the running paydesk does it, through its admin API.',
    '',
    'Exit codes: 0 in sync (or all fixed), 1 drift left (a dry run that found drift, or problems), 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, strict: true });
    const dryRun = values['dry-run'] === true;
    const config = loadConfig(env);
    const target = await openTarget(config);
    io.out(`Checking subscriptions in ${target.description}.\n`);
    let summary: CheckSummary;
    if (target.kind === 'remote') {
      const r = await target.call('POST', '/admin/subscriptions/check', { dry_run: dryRun }, 30 * 60_000);
      if (r.status !== 200) throw remoteFailure('subscriptions check', r);
      summary = r.json as CheckSummary;
    } else {
      const bar = progressBar((t) => io.err(t), io.errIsTTY === true);
      try {
        summary = await checkSubscriptions(target.context, {
          fix: !dryRun,
          onProgress: (done, total, label) => bar.step(done, total, label),
        });
      } finally {
        bar.finish();
        await target.close();
      }
    }
    io.out(formatCheck(summary, dryRun));
    const left = dryRun ? summary.drifted : summary.drifted - summary.fixed;
    return left > 0 || summary.problems > 0 ? 1 : 0;
  },
};
