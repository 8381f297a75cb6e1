#!/usr/bin/env node
// `npm start`: builds what changed (tsc -b is incremental; the CLI bundle is remade only when one of
// its inputs changed), prepares the embedded database template once per install, then runs
// `paydesk serve` (or the paydesk command given after `--`).
//   npm start                 → paydesk serve
//   npm run paydesk -- migrate → paydesk migrate
//   npm start -- --whmcs-demo  → paydesk serve, and the fake WHMCS beside it (docs/whmcs.md)
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

const given = process.argv.slice(2);
const whmcsDemo = given.includes('--whmcs-demo');
const args = given.filter((a) => a !== '--whmcs-demo');
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
const env = { ...process.env };
let demo;
if (whmcsDemo) {
  if (command[0] !== 'serve') {
    console.error('paydesk: --whmcs-demo goes with `npm start` (paydesk serve) only.');
    process.exit(2);
  }
  if (spawnSync(process.env.PHP_BINARY ?? 'php', ['-v'], { stdio: 'ignore' }).status !== 0) {
    console.error(
      'paydesk: --whmcs-demo renders the WHMCS module with php-cli; install it (apt install php-cli).',
    );
    process.exit(1);
  }
  const { startWhmcsDemo } = await import('../integrations/whmcs/dist/fake/demo.js');
  const paydeskUrl = env.PAYDESK_PUBLIC_URL ?? `http://127.0.0.1:${env.PORT ?? 8080}`;
  try {
    demo = await startWhmcsDemo({ paydeskUrl });
  } catch (err) {
    console.error(`paydesk: the fake WHMCS could not start (${err.message}); is port 8081 taken?`);
    process.exit(1);
  }
  Object.assign(env, demo.env);
  console.error(
    `paydesk: WHMCS demo: a fake WHMCS on ${demo.fake.url}; pay an invoice at ${demo.fake.url}/viewinvoice.php?id=1 (card 4242 4242 4242 4242)`,
  );
}
const child = spawn(process.execPath, [cli, ...command], {
  cwd: root,
  stdio: 'inherit',
  env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', async (code, signal) => {
  await demo?.fake.close();
  process.exit(code ?? (signal ? 1 : 0));
});
