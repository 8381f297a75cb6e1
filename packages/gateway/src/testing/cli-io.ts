import type { Io } from '../cli/run.js';

/** An Io that keeps what a command prints, for tests. */
export function captureIo(errIsTTY = false): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    errIsTTY,
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}
