// Time as the machinery sees it: the current time and timers. The job queue and its leases run on a
// Clock handed in (the system's by default), so a test moves time instead of sleeping through it
// (testing/clock.ts). Times inside the database (due jobs, lease ends) are the database's own now().

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` (it does not keep the process alive); returns a cancel function. */
  timer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  timer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
