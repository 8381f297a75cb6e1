// Starts the compiled paydesk CLI (`node packages/gateway/dist/cli.js serve`, what `npm start` runs)
// as its own process for a benchmark, waits for /readyz, and stops it by its pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

// From bench/checkout/*.ts, or compiled from bench/dist/checkout/*.js.
const root = new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url);
export const paydeskCli = fileURLToPath(new URL('packages/gateway/dist/cli.js', root));

export interface PaydeskProcess {
  child: ChildProcess;
  url: string;
  /** The in-process emulator's URL in embedded mode (from server.json). */
  emulatorUrl: string | undefined;
  stop(): Promise<void>;
}

/** A port the kernel just handed out on 127.0.0.1 (free when this returns). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * env: paydesk's configuration (PAYDESK_DATA_DIR is required). Only PATH is inherited, so the
 * benchmark's own environment does not leak into paydesk's configuration.
 */
export async function startPaydesk(
  env: Record<string, string>,
  timeoutMs = 90_000,
  /** Flags for node itself, before the CLI (e.g. --cpu-prof, which NODE_OPTIONS does not accept). */
  nodeArgs: readonly string[] = [],
): Promise<PaydeskProcess> {
  const dataDir = env.PAYDESK_DATA_DIR;
  if (!dataDir) throw new Error('PAYDESK_DATA_DIR is required');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...nodeArgs, paydeskCli, 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), PAYDESK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`paydesk exited with ${child.exitCode} before it was ready`);
      if (performance.now() > deadline) throw new Error('paydesk did not become ready in time');
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await sleep(25);
    }
    // paydesk writes server.json just after it starts answering /readyz; in embedded mode (no
    // STRIPE_API_BASE, no STRIPE_SECRET_KEY) wait for it, since it names the in-process emulator.
    const embedded = !env.STRIPE_API_BASE && !env.STRIPE_SECRET_KEY;
    let emulatorUrl: string | undefined;
    for (;;) {
      const info = await readFile(join(dataDir, 'server.json'), 'utf8').catch(() => undefined);
      if (info) emulatorUrl = (JSON.parse(info) as { emulator_url?: string }).emulator_url;
      if (emulatorUrl || !embedded) break;
      if (performance.now() > deadline) throw new Error('paydesk did not write server.json in time');
      await sleep(25);
    }
    return { child, url, emulatorUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
