// Runs one `paydesk` invocation from process.argv. src/cli.ts loads this module, or the bundle that
// scripts/bundle.mjs makes from it (a CommonJS file, hence no top-level await here).
import { runCli } from './run.js';

void runCli(process.argv.slice(2), process.env, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  errIsTTY: process.stderr.isTTY === true,
}).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
