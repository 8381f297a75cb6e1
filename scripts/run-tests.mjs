#!/usr/bin/env node
// Runs the repository's tests with node's own test runner (through tsx, so tests are TypeScript).
// Usage: node scripts/run-tests.mjs [path ...]   (default: every *.test.ts under packages/, bench/ and integrations/)
// A folder contributes its *.test.ts files; a file named explicitly runs whatever its name (the
// PostgreSQL fault tests, *.fault.ts, are only ever run that way, by .ci/run).
// Each test file runs in its own process, as node's runner does; files are found here because
// Node 20's runner does not expand globs itself.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
const flags = args.filter((a) => a.startsWith('--'));
const targets = args.filter((a) => !a.startsWith('--'));
const roots = targets.length > 0 ? targets : ['packages', 'bench', 'integrations'];
const files = roots.flatMap((r) => collect(join(root, r), [])).map((f) => relative(root, f));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}

const child = spawn(
  process.execPath,
  [
    '--conditions=development',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.PAYDESK_TEST_CONCURRENCY ?? '2'}`,
    ...flags,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
