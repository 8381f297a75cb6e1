// Start-up benchmark: time from spawning `paydesk serve` to the first 200 from /readyz, and the
// process's peak RSS (VmHWM), for the embedded first start, the embedded warm start and a start on
// PostgreSQL. Runs the built CLI (packages/gateway/dist), as `npm start` does: `npm run build` has
// bundled it (dist/bundle/cli.cjs, see scripts/bundle.mjs).
//   npm run bench:startup [-- --runs 5] [-- --pg postgres://postgres@127.0.0.1:5432/postgres]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'packages/gateway/dist/cli.js');
const templateModule = join(root, 'packages/gateway/dist/platform/db/pglite-template.js');
const bundleDir = join(root, 'packages/gateway/dist/bundle');

/**
 * Removes the V8 code cache that dist/cli.js writes when `paydesk serve` exits (see src/cli.ts), so
 * that a first start compiles everything, as the first start after an install does.
 */
function removeCodeCache() {
  for (const f of readdirSync(bundleDir)) if (f.endsWith('.cache')) rmSync(join(bundleDir, f));
}

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const runs = Number(values.runs);

interface Sample {
  readyMs: number;
  peakRssMb: number;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function ready(url: string, deadline: number): Promise<void> {
  while (performance.now() < deadline) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  throw new Error('paydesk did not become ready in time');
}

async function startOnce(env: Record<string, string>): Promise<Sample> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const started = performance.now();
  const child = spawn(process.execPath, [cli, 'serve'], {
    // The in-process emulator on a free port: 12111 may be taken by another paydesk on the machine.
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      PAYDESK_EMULATOR_PORT: '0',
      PAYDESK_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await ready(`http://127.0.0.1:${port}`, started + 60_000);
    const readyMs = performance.now() - started;
    return { readyMs, peakRssMb: peakRssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function report(name: string, samples: Sample[], goal: string) {
  const ms = samples.map((s) => s.readyMs);
  const rss = samples.map((s) => s.peakRssMb);
  console.log(
    `${name.padEnd(34)} ready ${median(ms).toFixed(0).padStart(5)} ms (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)})` +
      `   peak RSS ${median(rss).toFixed(0).padStart(4)} MB   goal: ${goal}`,
  );
}

async function main() {
  console.log(`paydesk start-up: ${runs} run(s) each, node ${process.version}, median shown`);
  console.log(`load average before: ${readFileSync('/proc/loadavg', 'utf8').trim()}\n`);
  if (!existsSync(join(bundleDir, 'cli.cjs'))) throw new Error('no CLI bundle: run `npm run build` first');

  // The template is made once per install (npm start does it before the first serve).
  const prep = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(templateModule)});
       (await import('node:fs')).rmSync(m.pgliteTemplateDir(), { recursive: true, force: true });
       const t = performance.now(); await m.ensurePgliteTemplate();
       console.log(JSON.stringify({ ms: performance.now() - t, rssKb: process.resourceUsage().maxRSS }));`,
    ],
    { encoding: 'utf8' },
  );
  if (prep.status !== 0) throw new Error(`template preparation failed: ${prep.stderr}`);
  const { ms, rssKb } = JSON.parse(prep.stdout.trim().split('\n').at(-1)!) as { ms: number; rssKb: number };
  console.log(
    `${'template preparation (once/install)'.padEnd(34)} took  ${ms.toFixed(0).padStart(5)} ms   peak RSS ${(rssKb / 1024).toFixed(0).padStart(4)} MB   (initdb in WebAssembly, its own process)\n`,
  );

  const first: Sample[] = [];
  const warm: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'paydesk-bench-'));
    try {
      // First start: empty data directory, no code cache. Warm start: both left by the first.
      removeCodeCache();
      first.push(await startOnce({ PAYDESK_DATA_DIR: dir }));
      warm.push(await startOnce({ PAYDESK_DATA_DIR: dir }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  report('embedded, first start (empty dir)', first, '≤ 10 s, ≤ 400 MB');
  report('embedded, warm start', warm, '≤ 1.5 s, ≤ 400 MB');

  const admin = new pg.Client({ connectionString: values.pg });
  try {
    await admin.connect();
  } catch (err) {
    console.log(
      `${'PostgreSQL'.padEnd(34)} skipped: cannot connect to ${values.pg} (${(err as Error).message})`,
    );
    return;
  }
  const pgSamples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const name = `paydesk_bench_${process.pid}_${i}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(values.pg);
    url.pathname = `/${name}`;
    try {
      pgSamples.push(await startOnce({ DATABASE_URL: url.toString() }));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }
  await admin.end();
  report('PostgreSQL (fresh database)', pgSamples, '≤ 150 MB');
}

async function finish() {
  await main();
  console.log(`\nload average after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
}

await finish();
