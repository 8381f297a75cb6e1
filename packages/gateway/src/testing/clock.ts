// A clock that moves only when a test says so. Timers fire during advance(), in the order they are
// due; `waiting` counts the timers set and not yet fired, so a test can wait until a worker has gone
// to sleep (it looked, and found nothing to do) before asserting that nothing happened.
import { setTimeout as pause } from 'node:timers/promises';
import type { Clock } from '../platform/clock.js';

interface Timer {
  at: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private timers = new Set<Timer>();

  constructor(private t = Date.now()) {}

  now(): number {
    return this.t;
  }

  timer(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, fn };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Timers set and not yet fired nor cancelled. */
  get waiting(): number {
    return this.timers.size;
  }

  /** Moves time on by `ms`, firing every timer due meanwhile. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const next = [...this.timers].filter((x) => x.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
    }
    this.t = until;
  }

  /** Resolves once at least `n` timers are waiting (checked between turns of the event loop; 10 s at most). */
  async sleepers(n = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.timers.size < n) {
      if (Date.now() > deadline) throw new Error(`no ${n} timer(s) waiting after ${timeoutMs} ms`);
      await pause(1);
    }
  }
}
