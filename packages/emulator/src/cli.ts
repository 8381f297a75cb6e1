#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const USAGE = `Usage: paydesk-emulator [--port 12111] [--host 127.0.0.1] [--data FILE] [--quiet]
                         [--merchant-name NAME] [--card-tokens-end-of-life]

Serves the offline Stripe emulator in the foreground, one log line per request.
  --port   port to listen on (default 12111; 0 picks a free one)
  --host   address to bind (default 127.0.0.1)
  --data   snapshot file: loaded at start if present, saved after changes and on exit
  --quiet  no per-request log lines
  --merchant-name  business name on the hosted Checkout, portal and 3-D Secure pages
  --card-tokens-end-of-life  refuse card tokens and sources on the Customers and Charges APIs, as
                   Stripe does for accounts that have not enabled them in their API policies`;

/**
 * The emulator runs in a worker thread of this process whose young generation V8 caps at this size
 * (node's default lets it grow to 32 MB, two 16 MB semi-spaces, and keeps it there after a burst of
 * requests that keeps most of what it allocates, as creating objects does). 3 MB means 1 MB semi-spaces:
 * less RSS after a fill (docs/benchmarks.md, Emulator), for a few more scavenges. The main thread only parses the arguments,
 * forwards signals and prints what the worker logs.
 */
const YOUNG_GENERATION_MB = 3;

interface CliOptions {
  port: number;
  host: string;
  data: string | undefined;
  quiet: boolean;
  merchantName: string | undefined;
  cardTokensEndOfLife: boolean;
}

/** Parses the arguments; undefined when the CLI should exit (help printed or an error reported). */
function options(): CliOptions | undefined {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '12111' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'merchant-name': { type: 'string' },
      'card-tokens-end-of-life': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`invalid --port: ${values.port}\n\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
  return {
    port,
    host: values.host,
    data: values.data,
    quiet: values.quiet,
    merchantName: values['merchant-name'],
    cardTokensEndOfLife: values['card-tokens-end-of-life'],
  };
}

/** Main thread: starts the worker and asks it to save and stop on SIGINT/SIGTERM. */
function main(): void {
  const opts = options();
  if (opts === undefined) return;
  const settings = { workerData: opts, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
  // From source (`npm run emulator`, through tsx), the worker needs tsx's loader too: node 20 does not
  // run the `--import tsx` of the main thread in workers.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`,
        { ...settings, eval: true },
      )
    : new Worker(new URL(import.meta.url), settings);
  const stop = (signal: string): void => worker.postMessage({ stop: signal });
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  worker.on('error', (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
  worker.on('exit', (code) => {
    if (code !== 0) process.exitCode ||= code;
    process.exit();
  });
}

/** Worker thread: the emulator itself. */
async function serve(opts: CliOptions): Promise<void> {
  const { startEmulator } = await import('./server.js');
  const started = performance.now();
  const emu = await startEmulator({
    port: opts.port,
    host: opts.host,
    dataFile: opts.data,
    merchantName: opts.merchantName,
    cardTokensEndOfLife: opts.cardTokensEndOfLife,
    onRequest: opts.quiet
      ? undefined
      : (l) =>
          console.log(
            `${new Date().toISOString()} ${l.method} ${l.path} ${l.status} ${l.ms.toFixed(1)}ms ${l.requestId ?? ''}`,
          ),
  });
  console.log(
    `paydesk Stripe emulator listening on ${emu.url} (ready in ${(performance.now() - started).toFixed(0)} ms)` +
      (opts.data ? `, data file ${opts.data}` : ''),
  );
  parentPort?.once('message', (m: { stop: string }) => {
    console.log(`${m.stop}: saving and shutting down`);
    emu.close().then(() => process.exit(0));
  });
}

if (isMainThread) main();
else await serve(workerData as CliOptions);
