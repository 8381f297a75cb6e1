#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';

const USAGE = `Usage: paydesk-emulator [--port 12111] [--host 127.0.0.1] [--data FILE] [--quiet]

Serves the offline Stripe emulator in the foreground, one log line per request.
  --port   port to listen on (default 12111; 0 picks a free one)
  --host   address to bind (default 127.0.0.1)
  --data   snapshot file: loaded at start if present, saved after changes and on exit
  --quiet  no per-request log lines`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '12111' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid --port: ${values.port}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const emu = await startEmulator({
    port,
    host: values.host,
    dataFile: values.data,
    onRequest: values.quiet
      ? undefined
      : (l) =>
          console.log(
            `${new Date().toISOString()} ${l.method} ${l.path} ${l.status} ${l.ms.toFixed(1)}ms ${l.requestId ?? ''}`,
          ),
  });
  console.log(
    `paydesk Stripe emulator listening on ${emu.url} (ready in ${(performance.now() - started).toFixed(0)} ms)` +
      (values.data ? `, data file ${values.data}` : ''),
  );
  const stop = (signal: string): void => {
    console.log(`${signal}: saving and shutting down`);
    emu.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
