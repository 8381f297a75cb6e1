#!/usr/bin/env node
// The `paydesk` command. Each subcommand lives in cli/<name>.ts and is listed in `commands` in
// cli/run.ts, which is also where `paydesk --help` gets its text.
//
// `npm run build` (and `npm start`) also bundles cli/main.js with the packages it loads into one
// CommonJS file, dist/bundle/cli.cjs (scripts/bundle.mjs): Node then reads and compiles one file
// instead of about a thousand modules. The bundle records the files it was made from and their
// modification times, and it is used only while all of them are unchanged (a `tsc -b` on its own
// does not update it); otherwise the compiled modules run as they are. From src (tsx) there is no
// bundle.
//
// The bundle is compiled with node:vm so that V8's code cache can be kept: the first `paydesk serve`
// of a build writes the code V8 compiled (the bundle's top level and every function that ran) to
// dist/bundle/cli-<build>.cache when it exits, and later runs of that build start from it instead of
// compiling again. V8 checks that a cache fits its version and flags and ignores it otherwise; the
// build id in its name ties it to one bundle (npm run build removes the old ones).
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, Script } from 'node:vm';

const bundleDir = new URL('./bundle/', import.meta.url);

/** The build id of the bundle when it is current, else undefined. */
function currentBundle(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(new URL('inputs.json', bundleDir), 'utf8')) as {
      build: string;
      inputs: Record<string, number>;
    };
    for (const [file, mtimeMs] of Object.entries(manifest.inputs)) {
      if (statSync(new URL(file, bundleDir)).mtimeMs !== mtimeMs) return undefined;
    }
    return manifest.build;
  } catch {
    return undefined;
  }
}

function runBundle(build: string): void {
  const file = fileURLToPath(new URL('cli.cjs', bundleDir));
  const cacheFile = fileURLToPath(new URL(`cli-${build}.cache`, bundleDir));
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // no cache yet
  }
  // The same wrapper as Node's CommonJS loader, so the bundle runs as if require()d. The bundle is
  // ASCII (scripts/bundle.mjs), so V8 keeps this source, which it holds while paydesk runs, one byte
  // per character.
  const wrapper = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n});`;
  const script = new Script(wrapper, {
    filename: file,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if ((!cachedData || script.cachedDataRejected) && process.argv[2] === 'serve') {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // a read-only install: every start compiles, as without the cache
      }
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

const build = currentBundle();
if (build) runBundle(build);
else await import('./cli/main.js');
