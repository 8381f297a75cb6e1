#!/usr/bin/env node
// Bundles the `paydesk` CLI (packages/gateway/dist/cli/main.js, as tsc compiled it) with the packages
// it loads into one CommonJS file, packages/gateway/dist/bundle/cli.cjs, which dist/cli.js runs while
// it is current (see src/cli.ts). Node then reads and compiles one file instead of about a thousand
// modules, and dist/cli.js can keep V8's compiled code for that one file between starts.
// Run after `tsc -b` (npm run build and npm start do); it does nothing when no input changed.
//
// PGlite stays outside, loaded from node_modules as before (its .wasm and .data sit beside its
// module), and pg-native, pg's optional binding. Files inside the bundle that locate files relative
// to themselves keep doing so: import.meta.url in paydesk's compiled files stands for the URL of
// that file in dist/ (the migrations, the demo catalog), and __dirname/__filename in CommonJS
// packages for their directory in node_modules (Swagger UI's static files).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = `${root}packages/gateway/dist/cli/main.js`;
const outdir = `${root}packages/gateway/dist/bundle`;
const outfile = `${outdir}/cli.cjs`;
const manifestFile = `${outdir}/inputs.json`;
const external = ['@electric-sql/pglite', 'pg-native'];
// An install replaces packages without touching the workspace's files: it rewrites this file.
const installMarker = `${root}node_modules/.package-lock.json`;

const fromOutdir = (path) => relative(outdir, path).split(sep).join('/');

function isCurrent() {
  try {
    const { inputs } = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (!existsSync(outfile)) return false;
    return Object.entries(inputs).every(
      ([file, mtimeMs]) =>
        statSync(fileURLToPath(new URL(file, pathToFileURL(`${outdir}/`)))).mtimeMs === mtimeMs,
    );
  } catch {
    return false;
  }
}

if (!existsSync(entry)) {
  console.error(`paydesk: ${relative(root, entry)} is missing; run \`tsc -b\` first.`);
  process.exit(1);
}
if (isCurrent()) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('paydesk: esbuild is not installed; run `npm ci` first.');
  process.exit(1);
}

// The old bundle, its manifest and its code caches go first: whatever happens next, dist/cli.js
// never runs a bundle (or compiled code) that does not match the current build.
rmSync(outdir, { recursive: true, force: true });

const result = await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  external,
  absWorkingDir: root,
  logLevel: 'warning',
  banner: {
    js: "const __paydeskBundleDir = __dirname, __paydeskBundleUrl = require('node:url').pathToFileURL(__filename).href;",
  },
  plugins: [
    {
      name: 'file-locations',
      setup(build) {
        build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
          let contents = await readFile(args.path, 'utf8');
          if (contents.includes('import.meta.url')) {
            const url = `new URL(${JSON.stringify(fromOutdir(args.path))}, __paydeskBundleUrl).href`;
            contents = contents.replaceAll('import.meta.url', url);
          }
          return { contents, loader: 'js', resolveDir: dirname(args.path) };
        });
        build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
          const contents = await readFile(args.path, 'utf8');
          const uses = /\b__(dirname|filename)\b/.test(contents);
          if (!uses || /\b(var|let|const)\s+__(dirname|filename)\b/.test(contents)) return undefined;
          const at = (path) =>
            `require('node:path').join(__paydeskBundleDir, ${JSON.stringify(fromOutdir(path))})`;
          // Inside the module's wrapper these shadow the bundle's own __dirname and __filename.
          const header = `var __filename = ${at(args.path)}, __dirname = ${at(dirname(args.path))};`;
          return { contents: `${header}\n${contents}`, loader: 'js', resolveDir: dirname(args.path) };
        });
      },
    },
  ],
});

// The bundle is kept ASCII. V8 holds a script's source for as long as its functions live (to compile
// them lazily), as one-byte characters when every character of it fits in Latin-1 and as two-byte
// (UTF-16) otherwise: a single `—` anywhere would double the 6–7 MB that dist/cli.js keeps in memory.
// esbuild already escapes string literals, but not comments nor template literals (tagged templates,
// such as the pages' html`…`, can see their raw text). Each other character becomes its \uXXXX
// escape, which means the same in a string, template, regular expression or identifier (the one
// visible change: String.raw and a tag's strings.raw get the escape instead of the character).
const source = await readFile(outfile, 'utf8');
const ascii = source.replace(
  /[\u0080-\uffff]/g,
  (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
);
if (ascii !== source) await writeFile(outfile, ascii);

const inputs = {};
for (const input of Object.keys(result.metafile.inputs)) {
  if (input.startsWith('packages/'))
    inputs[fromOutdir(join(root, input))] = statSync(join(root, input)).mtimeMs;
}
if (existsSync(installMarker)) inputs[fromOutdir(installMarker)] = statSync(installMarker).mtimeMs;
// And the bundle itself: a bundle changed or removed since is not used either.
inputs[fromOutdir(outfile)] = statSync(outfile).mtimeMs;
// The build id names this bundle's code cache files, so that a cache is only ever used with the
// bundle it was made from.
const build = randomBytes(6).toString('hex');
await writeFile(manifestFile, `${JSON.stringify({ build, inputs }, null, 1)}\n`);
