// PGlite's PostgreSQL is a large WebAssembly module that V8 compiles at every start (and keeps
// compiling: its hot functions are optimised in the background while it runs). V8 spreads that work
// over as many of its worker threads as it has (four in Node), and each of those threads' glibc
// malloc arenas keeps the memory its compiler freed, resident until the process exits. One task keeps
// that to one arena, without a slower start on a machine of a few cores (docs/benchmarks.md,
// "Figures behind choices in the code").
import { setFlagsFromString } from 'node:v8';

/**
 * Compiles WebAssembly (PGlite) with one background task. Call before the first PGlite is created;
 * V8 reads the flag whenever it compiles, so it applies to every module compiled after it; setting it
 * again changes nothing.
 */
export function limitWasmCompilationTasks(): void {
  setFlagsFromString('--wasm-num-compilation-tasks=1');
}
