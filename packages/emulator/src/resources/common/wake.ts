import type { App } from '../../core/app.js';
import { runEmulatorClock } from '../billing/scheduler.js';

/**
 * Work due on the emulator clock runs before the next API request. Work that a payer would otherwise
 * wait for with no request coming (a bank debit settling, a dispute decided a few seconds after the
 * evidence) also gets a timer while the emulator clock runs in real time, so its events are sent
 * without anyone polling. A frozen or moved clock is left to the requests and the clock control.
 */
export function wakeAt(app: App, at: number): void {
  if (app.clock.frozen) return;
  const ms = Math.max(0, (at - app.clock.now()) * 1000) + 20;
  setTimeout(() => runEmulatorClock(app), ms).unref();
}
