#!/usr/bin/env node
// Runs the repository's tests with node's own test runner (through tsx, so tests are TypeScript).
// Usage: node scripts/run-tests.mjs [path ...]   (default: every *.test.ts under packages/, bench/ and integrations/)
// A folder contributes its *.test.ts files; a file named explicitly runs whatever its name (the
// PostgreSQL fault tests, *.fault.ts, are only ever run that way, by .ci/run).
// Each test file runs in its own process, as node's runner does; files are found here because
// Node 20's runner does not expand globs itself. PAYDESK_TEST_CONCURRENCY sets how many files run at
// once. After the run it names the slowest files (--durations=N, default 10; 0 for none), from what
// scripts/test-durations.mjs recorded; the runner's own summary (ℹ pass N / ℹ fail N) comes before it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const skip = new Set(['node_modules', 'dist', '.paydesk', '.bench', '.git']);

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (skip.has(name)) continue;
    const inner = join(path, name);
    if (statSync(inner).isFile() && !name.endsWith('.test.ts')) continue;
    collect(inner, out);
  }
  return out;
}

const args = process.argv.slice(2);
const durationsFlag = args.find((a) => a.startsWith('--durations'));
const slowest = durationsFlag ? Number(durationsFlag.split('=')[1] ?? 10) : 10;
const flags = args.filter((a) => a.startsWith('--') && a !== durationsFlag);
const targets = args.filter((a) => !a.startsWith('--'));
const roots = targets.length > 0 ? targets : ['packages', 'bench', 'integrations'];
const files = roots.flatMap((r) => collect(join(root, r), [])).map((f) => relative(root, f));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}

const recordDir = mkdtempSync(join(tmpdir(), 'paydesk-test-durations-'));
const record = join(recordDir, 'files.jsonl');
const started = Date.now();
const child = spawn(
  process.execPath,
  [
    '--conditions=development',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts/test-durations.mjs')}`,
    `--test-reporter-destination=${record}`,
    `--test-concurrency=${process.env.PAYDESK_TEST_CONCURRENCY ?? '2'}`,
    ...flags,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);

function report() {
  let rows = [];
  try {
    rows = readFileSync(record, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return;
  } finally {
    rmSync(recordDir, { recursive: true, force: true });
  }
  if (slowest <= 0 || rows.length < 2) return;
  rows.sort((a, b) => b.tests_ms - a.tests_ms);
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`.padStart(8);
  console.log(
    `\nslowest test files (their tests' time; ${rows.length} files, ${s(Date.now() - started).trim()} in all):`,
  );
  for (const r of rows.slice(0, slowest)) console.log(`${s(r.tests_ms)}  ${relative(root, r.file)}`);
}

child.on('exit', (code, signal) => {
  report();
  process.exit(code ?? (signal ? 1 : 0));
});
