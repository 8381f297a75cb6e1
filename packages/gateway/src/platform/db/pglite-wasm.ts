// PGlite's PostgreSQL is a large WebAssembly module, compiled by V8 on every start (Node 20 keeps no
// compiled WebAssembly between runs). V8 spreads that compilation over as many of its worker threads
// as it has (four in Node), and each thread's glibc malloc arena keeps the memory its compiler used
// after it is freed: ~20 MB per thread, resident until the process exits (~85 MB in all at a start;
// docs/benchmarks.md, start-up). One compilation task needs ~40 MB in one arena and, on a machine of
// a few cores that is also running paydesk's start-up on the main thread, is not slower.
import { setFlagsFromString } from 'node:v8';

let limited = false;

/**
 * Compiles WebAssembly (PGlite) with one background task. Call before the first PGlite is created;
 * V8 reads the flag whenever it starts compiling a module, so later compilations use it too.
 */
export function limitWasmCompilationTasks(): void {
  if (limited) return;
  limited = true;
  setFlagsFromString('--wasm-num-compilation-tasks=1');
}
