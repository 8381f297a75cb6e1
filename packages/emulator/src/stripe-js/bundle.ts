import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

/** The browser programs the emulator serves, built from packages/emulator/browser/. */
export type BrowserProgram = 'stripe' | 'frame';

const ENTRIES: Record<BrowserProgram, string> = {
  stripe: fileURLToPath(new URL('../../browser/stripe.ts', import.meta.url)),
  frame: fileURLToPath(new URL('../../browser/frame/main.ts', import.meta.url)),
};

/**
 * Bundles a browser program with esbuild's API on its first request and keeps the text for the
 * life of the process (about 30 ms each). Built in-process rather than in a build step because the
 * emulator runs from src under tsx (tests, `npm run emulator`), from dist (`npm start`) and from
 * the gateway's single-file bundle, and each finds packages/emulator/browser/ at the same place
 * relative to itself; nothing built can go stale. esbuild is a root development dependency, as the
 * CLI's bundle step needs it too.
 */
export class BrowserBundles {
  #built = new Map<BrowserProgram, Promise<string>>();

  get(program: BrowserProgram): Promise<string> {
    let text = this.#built.get(program);
    if (text === undefined) {
      text = build(ENTRIES[program]);
      // A failed build is tried again at the next request (after a fix, say).
      text.catch(() => this.#built.delete(program));
      this.#built.set(program, text);
    }
    return text;
  }
}

async function build(entry: string): Promise<string> {
  // A computed specifier: bundlers (scripts/bundle.mjs) leave it to Node, which loads esbuild from
  // node_modules, where its platform binary is.
  const specifier = 'esbuild';
  const esbuild = (await import(specifier)) as typeof Esbuild;
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (out === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return out.text;
}
