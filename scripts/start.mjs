#!/usr/bin/env node
// `npm start`: builds what changed (tsc -b is incremental; the CLI bundle is remade only when one of
// its inputs changed), prepares the embedded database template once per install, then runs
// `paydesk serve` (or the paydesk command given after `--`).
//   npm start                 → paydesk serve
//   npm run paydesk -- migrate → paydesk migrate
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

const tsc = `${root}node_modules/typescript/bin/tsc`;
if (!existsSync(tsc)) {
  console.error('paydesk: dependencies are not installed; run `npm ci` first.');
  process.exit(1);
}
const build = run(process.execPath, [tsc, '-b']);
if (build.status !== 0) {
  console.error('paydesk: the build failed (see above).');
  process.exit(build.status ?? 1);
}
const bundle = run(process.execPath, [`${root}scripts/bundle.mjs`]);
if (bundle.status !== 0) {
  console.error('paydesk: bundling the CLI failed (see above).');
  process.exit(bundle.status ?? 1);
}

const args = process.argv.slice(2);
const command = args.length > 0 ? args : ['serve'];
const cli = `${root}packages/gateway/dist/cli.js`;

// Embedded mode copies this template instead of running initdb (seconds, and more memory than a start
// may take: docs/benchmarks.md) in the server process. Made in its own short-lived process so that memory is returned before paydesk starts.
if (!process.env.DATABASE_URL) {
  const template = run(process.execPath, [
    '--input-type=module',
    '-e',
    "const m = await import('./packages/gateway/dist/platform/db/pglite-template.js'); if (!m.hasPgliteTemplate()) { console.error('paydesk: preparing the embedded database (once per install)…'); await m.ensurePgliteTemplate(); }",
  ]);
  if (template.status !== 0) process.exit(template.status ?? 1);
}

// No --enable-source-maps: paydesk runs from the bundle (dist/bundle/cli.cjs, compiled through
// node:vm to keep V8's code cache), whose stack traces Node 20 does not map back to src; each
// section of the bundle starts with a comment naming its file. `node --enable-source-maps
// packages/gateway/dist/cli/main.js serve` runs the compiled modules with mapped traces.
const child = spawn(process.execPath, [cli, ...command], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
