import type { App } from '../../core/app.js';
import type { Ctx } from '../../core/context.js';
import { systemCtx } from './context.js';
import { billingSettings } from './settings.js';
import {
  advanceDraft,
  collectAutomatically,
  expireIncomplete,
  renew,
  resumeCollection,
  trialWillEnd,
  upcomingRenewal,
} from './subscription-hooks.js';
import { periodOf } from './subscription-model.js';

/**
 * The one scheduler behind both clocks. Every piece of time-driven billing work (renewals, trial
 * ends and `trial_will_end`, cancel at period end, pause resumption, incomplete expiry, drafts that
 * finalize, payment retries) is derived from the objects themselves, so nothing is queued that could
 * go stale: `runDue` repeatedly picks the earliest due job of a time domain — a test clock, or the
 * emulator clock for customers without one — and runs it at its own time, until none is left.
 */
export interface Job {
  at: number;
  /** Tie-breaker at equal times: lower first (lifecycle before collection). */
  rank: number;
  run(ctx: Ctx): void;
}

/** More time-driven work from other modules (subscription schedules' phases), same rules. */
const jobSources: ((app: App, domain: string | null, out: Job[]) => void)[] = [];

export function addJobSource(source: (app: App, domain: string | null, out: Job[]) => void): void {
  jobSources.push(source);
}

function jobs(app: App, domain: string | null): Job[] {
  const out: Job[] = [];
  for (const source of jobSources) source(app, domain, out);
  const store = app.store;
  const settings = billingSettings(app);
  for (const sub of store.c('subscription').values()) {
    if (sub.test_clock !== domain) continue;
    const st = sub.status;
    if (st === 'canceled' || st === 'incomplete_expired') continue;
    const state = store.c('_subscription_state').get(sub.id);
    if (st === 'incomplete') {
      if (state?.incomplete_expires_at) {
        out.push({ at: state.incomplete_expires_at, rank: 0, run: (c) => expireIncomplete(c, sub) });
      }
      continue;
    }
    if (st === 'paused') continue;
    if (sub.pause_collection?.resumes_at) {
      out.push({ at: sub.pause_collection.resumes_at, rank: 1, run: (c) => resumeCollection(c, sub) });
    }
    if (st === 'trialing' && sub.trial_end !== null && !state?.trial_will_end_sent) {
      const at = sub.trial_end - settings.trialWillEndDays * 86_400;
      if (sub.trial_start !== null && at > sub.trial_start) {
        out.push({ at, rank: 2, run: (c) => trialWillEnd(c, sub) });
      }
    }
    const { start, end } = periodOf(sub);
    const days = settings.upcomingRenewalDays;
    if (
      days !== null &&
      sub.collection_method === 'charge_automatically' &&
      (sub.cancel_at === null || sub.cancel_at > end) &&
      state?.upcoming_sent_for !== end
    ) {
      const at = end - days * 86_400;
      if (at > start) out.push({ at, rank: 2, run: (c) => upcomingRenewal(c, sub) });
    }
    const cancelAt = sub.cancel_at !== null && sub.cancel_at < end ? sub.cancel_at : end;
    out.push({ at: cancelAt, rank: 3, run: (c) => renew(c, sub) });
  }
  for (const inv of store.c('invoice').values()) {
    if (inv.test_clock !== domain) continue;
    if (inv.status === 'draft' && inv.auto_advance && inv.automatically_finalizes_at !== null) {
      out.push({ at: inv.automatically_finalizes_at, rank: 4, run: (c) => advanceDraft(c, inv) });
    } else if (
      inv.status === 'open' &&
      inv.next_payment_attempt !== null &&
      inv.collection_method === 'charge_automatically'
    ) {
      out.push({ at: inv.next_payment_attempt, rank: 5, run: (c) => collectAutomatically(c, inv) });
    }
  }
  return out;
}

const MAX_JOBS_PER_RUN = 100_000;

/**
 * Runs every job of `domain` due at or before `until`, earliest first. `onTime` is told each job's
 * time before it runs (a test clock moves its `frozen_time` along).
 */
export function runDue(app: App, domain: string | null, until: number, onTime?: (t: number) => void): number {
  let ran = 0;
  for (; ran < MAX_JOBS_PER_RUN; ran++) {
    let next: Job | undefined;
    for (const j of jobs(app, domain)) {
      if (j.at > until) continue;
      if (next === undefined || j.at < next.at || (j.at === next.at && j.rank < next.rank)) next = j;
    }
    if (next === undefined) break;
    onTime?.(next.at);
    next.run(systemCtx(app, next.at));
  }
  return ran;
}

/** When the next job of `domain` is due (undefined: nothing scheduled). */
export function nextDue(app: App, domain: string | null): number | undefined {
  let at: number | undefined;
  for (const j of jobs(app, domain)) if (at === undefined || j.at < at) at = j.at;
  return at;
}

interface EmulatorClockState {
  /** Cached time of the next due job for customers without a test clock; recomputed after changes. */
  next: number | undefined;
  dirty: boolean;
  running: boolean;
  /** The previous request could have changed billing objects (any non-GET). */
  afterWrite: boolean;
}

const clockStates = new WeakMap<App, EmulatorClockState>();

function clockState(app: App): EmulatorClockState {
  let s = clockStates.get(app);
  if (s === undefined) {
    s = { next: undefined, dirty: true, running: false, afterWrite: false };
    clockStates.set(app, s);
  }
  return s;
}

/** Billing objects changed: the emulator-clock schedule must be looked at again. */
export function touchBilling(app: App): void {
  clockState(app).dirty = true;
}

/**
 * Runs the emulator-clock domain's due work. Called before each API request (so advancing the
 * emulator clock through the control API or in tests takes effect at the next call) and by
 * `advanceEmulatorClock`. Cheap when nothing is due: one comparison against a cached time.
 */
export function runEmulatorClock(app: App): void {
  const s = clockState(app);
  if (s.running) return;
  const now = app.clock.now();
  if (s.dirty) {
    s.next = nextDue(app, null);
    s.dirty = false;
  }
  if (s.next === undefined || s.next > now) return;
  s.running = true;
  try {
    runDue(app, null, now);
  } finally {
    s.running = false;
    s.next = nextDue(app, null);
    s.dirty = false;
  }
}

/** The request interceptor: runs due work before each request; a write marks the schedule stale. */
export function beforeRequest(app: App, method: string): void {
  const s = clockState(app);
  if (s.afterWrite) s.dirty = true;
  s.afterWrite = method !== 'GET';
  runEmulatorClock(app);
}

/** Moves the emulator clock forward and runs everything that fell due on the way, in time order. */
export function advanceEmulatorClock(app: App, seconds: number): void {
  app.clock.advance(seconds);
  touchBilling(app);
  runEmulatorClock(app);
}
