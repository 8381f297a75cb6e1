#!/usr/bin/env node
// `npm start`: builds what changed (tsc -b is incremental), prepares the embedded database template
// once per install, then runs `paydesk serve` (or the paydesk command given after `--`).
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

const args = process.argv.slice(2);
const command = args.length > 0 ? args : ['serve'];
const cli = `${root}packages/gateway/dist/cli.js`;

// Embedded mode copies this template instead of running initdb (6.5 s, ~850 MB) in the server
// process. Made in its own short-lived process so that memory is returned before paydesk starts.
if (!process.env.DATABASE_URL) {
  const template = run(process.execPath, [
    '--input-type=module',
    '-e',
    "const m = await import('./packages/gateway/dist/platform/db/pglite-template.js'); if (!m.hasPgliteTemplate()) { console.error('paydesk: preparing the embedded database (once per install)…'); await m.ensurePgliteTemplate(); }",
  ]);
  if (template.status !== 0) process.exit(template.status ?? 1);
}

const child = spawn(process.execPath, ['--enable-source-maps', cli, ...command], {
  cwd: root,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
