import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type Stripe from 'stripe';
import { demoCatalogPath, loadCatalog } from '../catalog/catalog.js';
import { applySync, planSync, type SyncAction, type SyncActionKind } from '../catalog/sync.js';
import { type Config, loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createStripeClient } from '../platform/stripe/client.js';
import { connectStripe, EMULATOR_KEY } from '../platform/stripe/connect.js';
import { progressBar } from './progress.js';
import type { Command } from './run.js';
import { emulatorUrlOf, runningServer } from './running-server.js';

interface Target {
  stripe: Stripe;
  /** Where the changes go, said to the person running the command. */
  description: string;
  /** Set when a running paydesk serves the catalog it loaded at its start. */
  runningPid: number | undefined;
  close(): Promise<void>;
}

/**
 * Connects to Stripe as `paydesk serve` would. In embedded mode the emulator belongs to the running
 * paydesk when there is one (its port and data file are held), so the changes go to it; otherwise the
 * emulator is started here on the same data file, which keeps them for the next start.
 */
async function connect(config: Config): Promise<Target> {
  if (config.stripeSecretKey || config.stripeApiBase) {
    const c = await connectStripe(config, createLogger({ logLevel: 'silent' }));
    return {
      stripe: c.stripe,
      description:
        c.mode === 'stripe'
          ? `Stripe (${config.stripeSecretKey?.includes('_live_') ? 'LIVE mode' : 'test mode'})`
          : `the Stripe API at ${config.stripeApiBase}`,
      runningPid: undefined,
      close: () => c.close(),
    };
  }
  const running = await runningServer(config);
  if (running) {
    const url = emulatorUrlOf(running, config);
    return {
      stripe: createStripeClient({ secretKey: EMULATOR_KEY, apiBase: url }),
      description: `the emulator of the paydesk running at ${running.url} (pid ${running.pid}), ${url}`,
      runningPid: running.pid,
      close: async () => {},
    };
  }
  const { startEmulator } = await import('@paydesk/emulator');
  const dataFile = join(resolve(config.dataDir), 'emulator.json');
  // Port 0: nothing but this command talks to it, and the configured port may be taken.
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', dataFile });
  return {
    stripe: createStripeClient({ secretKey: EMULATOR_KEY, apiBase: emulator.url }),
    description: `the embedded emulator (data in ${dataFile})`,
    runningPid: undefined,
    close: () => emulator.close(),
  };
}

const groups: ReadonlyArray<{ kind: SyncActionKind; title: string }> = [
  { kind: 'create_product', title: 'Products to create' },
  { kind: 'update_product', title: 'Products to update' },
  { kind: 'create_price', title: 'Prices to create' },
  { kind: 'reactivate_price', title: 'Prices to reactivate (items back as they were)' },
  {
    kind: 'replace_price',
    title: 'Prices to replace (amount, currency or interval changed; Stripe prices are immutable)',
  },
  { kind: 'archive_price', title: 'Prices to archive' },
  { kind: 'archive_product', title: 'Products to archive' },
];

/** The plan as a person reads it: one heading per kind of change, one line per change. */
export function formatPlan(actions: readonly SyncAction[], unchanged: number): string {
  const lines: string[] = [];
  for (const { kind, title } of groups) {
    const of = actions.filter((a) => a.kind === kind);
    if (of.length === 0) continue;
    lines.push(`${title} (${of.length}):`, ...of.map((a) => `  ${a.summary}`), '');
  }
  lines.push(
    actions.length === 0
      ? `Stripe already matches the catalog (${unchanged} price${unchanged === 1 ? '' : 's'}); nothing to change.`
      : `${actions.length} change${actions.length === 1 ? '' : 's'}; ${unchanged} price${unchanged === 1 ? '' : 's'} already match.`,
  );
  return `${lines.join('\n')}\n`;
}

export const catalogSyncCommand: Command = {
  summary: 'Make Stripe products and prices match the catalog (--dry-run: only print the plan).',
  usage: [
    'Usage: paydesk catalog sync [--dry-run]',
    '',
    'Loads the catalog (PAYDESK_CATALOG, or the demo catalog), compares it with Stripe and prints the',
    'plan of changes, grouped by kind. Without --dry-run it then applies them, with a progress bar on',
    'stderr. Products and prices are matched by id and lookup key (archived prices included), so a',
    'second run changes nothing; a changed amount makes a new price and moves the lookup key to it',
    '(the old price is archived); items removed from the catalog are archived, never deleted, and an',
    'item added back as it was gets its archived price back.',
    '',
    'Stripe is reached as `paydesk serve` reaches it: STRIPE_SECRET_KEY, STRIPE_API_BASE, or in',
    "embedded mode the running paydesk's emulator (named in <PAYDESK_DATA_DIR>/server.json), else the",
    "emulator's data file in PAYDESK_DATA_DIR.",
    '',
    'Options:',
    '  --dry-run   print the plan and change nothing',
    '',
    'Exit codes: 0 done (or nothing to do), 1 failure, 2 usage error.',
  ].join('\n'),
  async run(args, env, io) {
    const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, strict: true });
    const dryRun = values['dry-run'] === true;
    const config = loadConfig(env);
    const path = config.catalogPath ?? demoCatalogPath;
    const catalog = await loadCatalog(path, config.instanceId);
    io.out(
      `Catalog ${path}: ${catalog.packs.length} pack(s), ${catalog.plans.length} plan(s), ${catalog.prices.length} price(s); instance ${catalog.instanceId}.\n`,
    );
    const target = await connect(config);
    try {
      io.out(`Stripe: ${target.description}.\n\n`);
      const plan = await planSync(target.stripe, catalog);
      io.out(formatPlan(plan.actions, plan.unchanged));
      if (plan.actions.length === 0) return 0;
      if (dryRun) {
        io.out('Dry run: nothing was changed. Run without --dry-run to apply.\n');
        return 0;
      }
      const bar = progressBar((s) => io.err(s), io.errIsTTY === true);
      try {
        await applySync(target.stripe, plan, (done, total, action) => bar.step(done, total, action.summary));
      } finally {
        bar.finish();
      }
      io.out(`Applied ${plan.actions.length} change(s).\n`);
      if (target.runningPid !== undefined) {
        io.out(
          `The running paydesk (pid ${target.runningPid}) serves the catalog it loaded at start: restart it to serve this one.\n`,
        );
      }
      return 0;
    } finally {
      await target.close();
    }
  },
};
