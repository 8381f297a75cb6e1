import { ConfigError, loadConfig } from '../platform/config.js';
import { MigrationError } from '../platform/db/migrate.js';
import { version } from '../version.js';
import { catalogSyncCommand } from './catalog-sync.js';
import { devTokenCommand } from './dev-token.js';
import { jobsDeadCommand, jobsListCommand, jobsRetryCommand } from './jobs.js';
import { keysCreateCommand } from './keys-create.js';
import { keysListCommand } from './keys-list.js';
import { keysRevokeCommand } from './keys-revoke.js';
import { migrateCommand } from './migrate.js';
import { reconcileCommand } from './reconcile.js';
import { refundsCreateCommand, refundsListCommand, refundsRetryCommand } from './refunds.js';
import { serveCommand } from './serve.js';
import { subscriptionsCheckCommand } from './subscriptions-check.js';
import { isUsageError } from './usage.js';
import { webhooksReplayCommand } from './webhooks-replay.js';
import { whmcsPendingCommand, whmcsRetryCommand } from './whmcs.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal (progress bars redraw one line there; otherwise they print plain lines). */
  errIsTTY?: boolean;
}

export interface Command {
  summary: string;
  usage: string;
  /** Returns an exit code, or undefined for a long-running command that exits on its own. */
  run(args: string[], env: Readonly<Record<string, string | undefined>>, io: Io): Promise<number | undefined>;
}

/** Commands by name; a name may be two words (`keys create`), the first naming a group. */
export const commands: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  'catalog sync': catalogSyncCommand,
  'keys create': keysCreateCommand,
  'keys list': keysListCommand,
  'keys revoke': keysRevokeCommand,
  'dev token': devTokenCommand,
  reconcile: reconcileCommand,
  'subscriptions check': subscriptionsCheckCommand,
  'webhooks replay': webhooksReplayCommand,
  'whmcs pending': whmcsPendingCommand,
  'whmcs retry': whmcsRetryCommand,
  'refunds create': refundsCreateCommand,
  'refunds list': refundsListCommand,
  'refunds retry': refundsRetryCommand,
  'jobs list': jobsListCommand,
  'jobs dead': jobsDeadCommand,
  'jobs retry': jobsRetryCommand,
};

/** The command named by the start of argv (one or two words), and the remaining arguments. */
function lookup(argv: readonly string[]): { name: string; command: Command; rest: string[] } | undefined {
  const two = argv.length >= 2 ? `${argv[0]} ${argv[1]}` : undefined;
  if (two && commands[two]) return { name: two, command: commands[two], rest: argv.slice(2) };
  const one = argv[0] !== undefined ? commands[argv[0]] : undefined;
  return one ? { name: argv[0]!, command: one, rest: argv.slice(1) } : undefined;
}

/** The commands of a group (`keys` → keys create, keys list, keys revoke). */
function group(word: string): string[] {
  return Object.keys(commands).filter((n) => n.startsWith(`${word} `));
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `paydesk ${version}: self-hosted billing beside your product`,
    '',
    'Usage: paydesk <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run `paydesk <command> --help` for a command's options. Settings come from the environment;",
    'see the configuration table in README.md.',
    '',
  ].join('\n');
}

/** Runs one CLI invocation; never throws. */
export async function runCli(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  io: Io,
): Promise<number | undefined> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? lookup(argv.slice(1)) : undefined;
    io.out(topic ? `${topic.command.usage}\n` : help());
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(`${version}\n`);
    return 0;
  }
  const found = lookup(argv);
  if (!found) {
    const members = group(first);
    if (members.length > 0) {
      const asked = argv[1] === '--help' || argv[1] === '-h';
      const text = `Usage: paydesk ${first} <${members.map((m) => m.split(' ')[1]).join('|')}> [options]\n\n${members
        .map((m) => `  ${m}  ${commands[m]!.summary}`)
        .join('\n')}\n`;
      if (asked) {
        io.out(text);
        return 0;
      }
      io.err(
        `${argv[1] === undefined ? `paydesk ${first}: a subcommand is required.` : `paydesk: unknown command '${first} ${argv[1]}'.`}\n${text}`,
      );
      return 2;
    }
    io.err(`paydesk: unknown command '${first}'. Run 'paydesk --help' for the list.\n`);
    return 2;
  }
  const { name, command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, env, io);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MigrationError) {
      io.err(`paydesk: ${err.message}\n`);
      return 1;
    }
    if (isUsageError(err)) {
      io.err(`paydesk ${name}: ${err.message}\n${command.usage}\n`);
      return 2;
    }
    io.err(`paydesk ${name}: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

export { loadConfig };
