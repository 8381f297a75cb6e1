#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runTriggerFile, TriggerStepError } from './runner.js';

const USAGE = `Usage: node --import tsx packages/emulator/src/triggers/cli.ts FIXTURE.json [--url URL] [--key sk_test_…]

Replays one Stripe CLI trigger fixture against a running emulator (or any Stripe-compatible API),
one line per call. Exit status 1 when a call does not end as the fixture says.
  --url  API base (default http://127.0.0.1:12111)
  --key  secret test key (default sk_test_emulator; live keys are refused)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:12111' },
      key: { type: 'string', default: 'sk_test_emulator' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const file = positionals[0];
  if (values.help || file === undefined || positionals.length > 1) {
    console.log(USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (!values.key.startsWith('sk_test_')) {
    console.error('refusing a key that is not a secret test key (sk_test_…)');
    process.exitCode = 2;
    return;
  }
  try {
    await runTriggerFile(file, {
      baseUrl: values.url,
      apiKey: values.key,
      env: process.env,
      onStep: (r) =>
        console.log(
          `${r.name.padEnd(24)} ${r.method} ${r.url} → ${r.status}` +
            (r.errorType ? ` ${r.errorType}${r.expectedErrorType === r.errorType ? ' (expected)' : ''}` : ''),
        ),
    });
  } catch (err) {
    console.error(err instanceof TriggerStepError ? err.message : err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}

void main();
