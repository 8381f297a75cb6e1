// A progress bar on stderr without a dependency: on a terminal one line redrawn in place; elsewhere
// (CI logs, pipes) one plain line per step, so the log stays readable.

export interface Progress {
  step(done: number, total: number, label: string): void;
  /** Ends the bar (a terminal gets its final newline). */
  finish(): void;
}

const WIDTH = 24;

export function progressBar(write: (text: string) => void, isTTY: boolean, columns = 100): Progress {
  let drawn = false;
  return {
    step(done, total, label) {
      const counter = `${String(done).padStart(String(total).length)}/${total}`;
      if (!isTTY) {
        write(`[${counter}] ${label}\n`);
        return;
      }
      const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${counter} `;
      const room = Math.max(0, columns - bar.length - 1);
      const text = label.length > room ? `${label.slice(0, Math.max(0, room - 1))}…` : label;
      // \r back to the start, \x1b[K clears what a longer previous label left behind.
      write(`\r${bar}${text}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (isTTY && drawn) write('\n');
      drawn = false;
    },
  };
}
