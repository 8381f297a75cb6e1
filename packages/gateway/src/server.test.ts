import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from './platform/config.js';
import { MigrationError } from './platform/db/migrate.js';
import { createLogger } from './platform/logger.js';
import { startServer } from './server.js';
import { LogCapture } from './testing/app.js';
import { createTestDatabase, type TestDatabase } from './testing/db.js';

let tdb: TestDatabase;

before(async () => {
  tdb = await createTestDatabase();
});
after(async () => {
  await tdb.destroy();
});

function dbEnv(): Record<string, string> {
  return tdb.url ? { DATABASE_URL: tdb.url } : { PAYDESK_DATA_DIR: dirname(tdb.dataDir!) };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** paydesk processes this file started; any still running when it ends are killed. */
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * Spawns `node <args>` (a `paydesk serve`) on free ports and this file's database, and waits for its
 * listening line; a process that prints none in 90 s is killed and the test fails with its output.
 * (Start-up speed is the start-up benchmark's business; from source, through tsx, on a machine busy
 * with other test files, the listening line has taken more than 30 s.)
 */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', PORT: '0', PAYDESK_EMULATOR_PORT: '0', ...dbEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    out += c;
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in 90 s: ${out}`)), 90_000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code ?? signal}) before listening: ${out}`));
      });
      child.stdout.on('data', (c: string) => {
        out += c;
        const m = /paydesk listening on (http:\/\/[^"\s]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    return { child, url, output: () => out };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

function slowRoute(ms: number) {
  return (app: FastifyInstance) => {
    app.get('/_test/slow', async () => {
      await sleep(ms);
      return { finished: true };
    });
  };
}

describe('graceful shutdown', () => {
  test('a slow in-flight request completes; then the port is closed and the database released', async () => {
    const config = loadConfig({
      PORT: '0',
      PAYDESK_EMULATOR_PORT: '0',
      PAYDESK_LOG_LEVEL: 'silent',
      ...dbEnv(),
    });
    const server = await startServer(config, { plugins: [slowRoute(700)] });
    const inFlight = get(`${server.url}/_test/slow`);
    await sleep(150);
    const shutdown = server.shutdown('test');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { finished: true });
    await shutdown;
    await server.closed;
    await assert.rejects(get(`${server.url}/healthz`), /ECONNREFUSED/);
  });

  test('a request slower than the shutdown timeout does not hold the process', async () => {
    const logs = new LogCapture();
    const config = loadConfig({
      PORT: '0',
      PAYDESK_EMULATOR_PORT: '0',
      PAYDESK_SHUTDOWN_TIMEOUT_MS: '300',
      ...dbEnv(),
    });
    const server = await startServer(config, {
      plugins: [slowRoute(10_000)],
      logger: createLogger(config, logs),
    });
    const inFlight = get(`${server.url}/_test/slow`).catch((err: Error) => err);
    await sleep(100);
    const started = performance.now();
    await server.shutdown('test');
    const took = performance.now() - started;
    assert.ok(took < 3_000, `shutdown took ${took} ms`);
    assert.ok((await inFlight) instanceof Error, 'the unfinished request was cut off');
    assert.match(logs.text, /shutdown timeout reached/);
  });

  test('paydesk serve stops on SIGTERM with exit code 0', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const { child, url, output } = await serve(['--conditions=development', '--import', 'tsx', cli, 'serve']);
    assert.equal((await get(`${url}/healthz`)).status, 200);
    const stopping = Date.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output());
    // With nothing running, nothing waits out the 10 s bounds (the queue's drain timer kept the
    // process alive for all of them once).
    assert.ok(Date.now() - stopping < 8_000, `exited ${Date.now() - stopping} ms after SIGTERM`);
    assert.match(output(), /"reason":"SIGTERM"/);
    assert.match(output(), /"msg":"stopped"/);
  });
});

describe('the built CLI', () => {
  test("runs from its bundle: serve answers, serves the docs UI files, and keeps V8's code cache", async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    for (const [cmd, args] of [
      [join(root, 'node_modules/.bin/tsc'), ['-b', 'packages/gateway']],
      [process.execPath, ['scripts/bundle.mjs']],
    ] as const) {
      const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
      assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    }
    const bundleDir = join(root, 'packages/gateway/dist/bundle');
    const { build } = JSON.parse(readFileSync(join(bundleDir, 'inputs.json'), 'utf8')) as { build: string };
    const cache = join(bundleDir, `cli-${build}.cache`);
    rmSync(cache, { force: true });

    const { child, url, output } = await serve([join(root, 'packages/gateway/dist/cli.js'), 'serve']);
    try {
      let ready = await get(`${url}/readyz`);
      for (let i = 0; i < 100 && ready.status !== 200; i++) {
        await sleep(50);
        ready = await get(`${url}/readyz`);
      }
      assert.equal(ready.status, 200, ready.body);
      // Swagger UI's files are found beside its package, from inside the bundle.
      assert.equal((await get(`${url}/docs/static/swagger-ui.css`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output());
    assert.ok(existsSync(cache), 'the first serve of a build writes its code cache (only the bundle does)');
  });
});

describe('start-up failures', () => {
  test('a failing migration stops the start with its file name and the database error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paydesk-broken-'));
    const fresh = await createTestDatabase();
    try {
      await writeFile(join(dir, '0001_broken.sql'), 'ALTER TABLE nowhere ADD COLUMN x int;');
      const env = fresh.url ? { DATABASE_URL: fresh.url } : { PAYDESK_DATA_DIR: dirname(fresh.dataDir!) };
      const config = loadConfig({
        PORT: '0',
        PAYDESK_EMULATOR_PORT: '0',
        PAYDESK_LOG_LEVEL: 'silent',
        ...env,
      });
      await assert.rejects(
        startServer(config, { migrationsDir: dir }),
        (err: unknown) =>
          err instanceof MigrationError &&
          /0001_broken\.sql/.test(err.message) &&
          /nowhere/.test(err.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
      await fresh.destroy();
    }
  });
});
