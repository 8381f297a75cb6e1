#!/usr/bin/env node
// The `paydesk` command. Each subcommand lives in cli/<name>.ts and is listed in `commands` below,
// which is also where `paydesk --help` gets its text.
import { commands, runCli } from './cli/run.js';

export { commands };

const code = await runCli(process.argv.slice(2), process.env, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  errIsTTY: process.stderr.isTTY === true,
});
if (code !== undefined) process.exitCode = code;
