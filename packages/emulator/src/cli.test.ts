import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';

// The CLI as `npm run emulator` starts it (from source, through tsx): the emulator runs in a worker
// thread with a capped young generation, the main thread forwards signals.
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const NODE_ARGS = ['--conditions=development', '--import', 'tsx', CLI];
const dir = mkdtempSync(join(tmpdir(), 'paydesk-emulator-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('serves the API, logs each request, and saves its data file on SIGTERM', async () => {
  const dataFile = join(dir, 'state.json');
  const child = spawn(process.execPath, [...NODE_ARGS, '--port', '0', '--data', dataFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (s: string) => {
      out += s;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = new URL(await listening);
    const stripe = new Stripe('sk_test_cli', {
      host: url.hostname,
      port: Number(url.port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const c = await stripe.customers.create({ name: 'from the CLI' });
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /POST \/v1\/customers 200 [0-9.]+ms req_/);
    assert.match(out, /SIGTERM: saving and shutting down/);
    assert.ok(readFileSync(dataFile, 'utf8').includes(c.id));
  } finally {
    child.kill('SIGKILL');
  }
});

test('a bad option exits with status 2 and the usage', () => {
  const r = spawnSync(process.execPath, [...NODE_ARGS, '--port', 'abc'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid --port: abc[\s\S]*Usage: paydesk-emulator/);
});
