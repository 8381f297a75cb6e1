import { ConfigError, loadConfig } from '../platform/config.js';
import { MigrationError } from '../platform/db/migrate.js';
import { version } from '../version.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  summary: string;
  usage: string;
  /** Returns an exit code, or undefined for a long-running command that exits on its own. */
  run(args: string[], env: Readonly<Record<string, string | undefined>>, io: Io): Promise<number | undefined>;
}

export const commands: Readonly<Record<string, Command>> = {
  serve: serveCommand,
  migrate: migrateCommand,
};

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
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic ? commands[topic] : undefined;
    io.out(command ? `${command.usage}\n` : help());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${version}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`paydesk: unknown command '${name}'. Run 'paydesk --help' for the list.\n`);
    return 2;
  }
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
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      io.err(`paydesk ${name}: ${err.message}\n${command.usage}\n`);
      return 2;
    }
    io.err(`paydesk ${name}: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

export { loadConfig };
