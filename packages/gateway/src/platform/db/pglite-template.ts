// A pristine PGlite data directory, made once per installed PGlite version and kept in
// node_modules/.cache. Copying it into an empty data directory replaces initdb, which runs in
// WebAssembly and alone would take seconds and more memory than embedded mode's start-up budget (the
// figures: docs/benchmarks.md, "Figures behind choices in the code"), with a file copy.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { limitWasmCompilationTasks } from './pglite-wasm.js';

function pglitePackageDir(): string {
  // require.resolve rather than import.meta.resolve: the CLI bundle is a CommonJS file (only the
  // package's directory is wanted, whichever of its entry files this finds).
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const marker = `${sep}node_modules${sep}@electric-sql${sep}pglite${sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot locate the @electric-sql/pglite package from ${entry}`);
  return entry.slice(0, at + marker.length - 1);
}

/** Where the template for the installed PGlite version lives (it may not exist yet). */
export function pgliteTemplateDir(): string {
  const pkg = pglitePackageDir();
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const nodeModules = dirname(dirname(pkg));
  return join(nodeModules, '.cache', 'paydesk', `pglite-${version}-template`);
}

export function hasPgliteTemplate(dir = pgliteTemplateDir()): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

/** Creates the template if it is missing; safe when several processes race to do it. */
export async function ensurePgliteTemplate(): Promise<string> {
  const dir = pgliteTemplateDir();
  if (hasPgliteTemplate(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  limitWasmCompilationTasks();
  const db = await PGlite.create(tmp);
  await db.close();
  try {
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!hasPgliteTemplate(dir)) throw err;
  }
  return dir;
}
