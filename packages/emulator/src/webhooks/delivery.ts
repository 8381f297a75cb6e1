import type { App } from '../core/app.js';
import { eventJson, type StoredEvent } from '../core/events.js';
import type { Faults } from '../core/faults.js';
import { newId } from '../core/ids.js';
import { subscribes, type WebhookEndpoint } from './endpoints.js';
import { signatureHeader } from './signature.js';

export interface RetrySchedule {
  /** Delay before the first retry, in ms; each next one is `factor` times longer. */
  baseDelayMs: number;
  factor: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** A delivery not answered within this many ms counts as failed. */
  timeoutMs: number;
}

/** Stripe retries for up to three days in live mode; this default spans about that (1 min × 3^n). */
export const DEFAULT_SCHEDULE: RetrySchedule = {
  baseDelayMs: 60_000,
  factor: 3,
  maxAttempts: 8,
  timeoutMs: 10_000,
};

/** One delivery attempt, as the per-endpoint log records it. */
export interface DeliveryAttempt {
  id: string;
  endpoint: string;
  event: string;
  event_type: string;
  attempt: number;
  /** Wall-clock ms when the attempt was made. */
  at: number;
  outcome: 'succeeded' | 'failed' | 'dropped';
  status: number | null;
  error: string | null;
  duration_ms: number;
  /** When the next retry is due (wall-clock ms), or null when none is. */
  next_retry_at: number | null;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    _webhook_attempt: DeliveryAttempt;
  }
}

/**
 * Sends every event to each subscribed, enabled endpoint, signed as Stripe signs, off the request
 * path (it never delays an API answer), retrying on non-2xx or timeout with exponential backoff.
 */
export class WebhookDelivery {
  schedule: RetrySchedule;
  #app: App;
  #faults: Faults;
  #timers = new Set<NodeJS.Timeout>();
  #inFlight = 0;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(app: App, faults: Faults, schedule: Partial<RetrySchedule> = {}) {
    this.#app = app;
    this.#faults = faults;
    this.schedule = { ...DEFAULT_SCHEDULE, ...schedule };
    app.events.countRecipients = (type) => this.#recipients(type).length;
    app.events.onEmit((event) => this.#enqueue(event));
    app.resetHooks.push(() => this.#cancelAll());
  }

  #recipients(type: string): WebhookEndpoint[] {
    const out: WebhookEndpoint[] = [];
    for (const ep of this.#app.store.c('webhook_endpoint').values()) if (subscribes(ep, type)) out.push(ep);
    return out;
  }

  #enqueue(event: StoredEvent): void {
    if (this.#stopped) return;
    const endpoints = this.#recipients(event.type);
    if (endpoints.length === 0) return;
    const body = eventJson(event);
    for (const ep of endpoints) {
      const fault = this.#faults.webhook();
      if (fault.drop) {
        this.#log(ep.id, event, 1, 'dropped', null, 'dropped by fault injection', 0, null);
        continue;
      }
      this.#later(fault.delayMs, () => this.#attempt(ep.id, event, body, 1));
      if (fault.duplicate) this.#later(fault.delayMs, () => this.#attempt(ep.id, event, body, 1));
    }
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  async #attempt(endpointId: string, event: StoredEvent, body: string, attempt: number): Promise<void> {
    const ep = this.#app.store.c('webhook_endpoint').get(endpointId);
    const secret = this.#app.store.c('_webhook_secret').get(endpointId)?.secret;
    if (ep === undefined || secret === undefined || ep.status !== 'enabled' || this.#stopped) {
      this.#checkIdle();
      return;
    }
    // Signatures use wall-clock time: the receiver checks them against its own clock.
    const t = Math.floor(Date.now() / 1000);
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    this.#inFlight++;
    try {
      const res = await fetch(ep.url, {
        method: 'POST',
        body,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signatureHeader(body, secret, t),
        },
        signal: AbortSignal.timeout(this.schedule.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = err instanceof Error ? (err.name === 'TimeoutError' ? 'timeout' : err.message) : String(err);
    } finally {
      this.#inFlight--;
    }
    const ms = performance.now() - started;
    const ok = status !== null && status >= 200 && status < 300;
    if (ok) {
      const stored = this.#app.store.c('event').get(event.id);
      if (stored && stored.pending_webhooks > 0) stored.pending_webhooks--;
      this.#log(endpointId, event, attempt, 'succeeded', status, null, ms, null);
    } else if (attempt < this.schedule.maxAttempts && !this.#stopped) {
      const delay = this.retryDelay(attempt);
      this.#log(
        endpointId,
        event,
        attempt,
        'failed',
        status,
        error ?? `HTTP ${status}`,
        ms,
        Date.now() + delay,
      );
      this.#later(delay, () => this.#attempt(endpointId, event, body, attempt + 1));
    } else {
      this.#log(endpointId, event, attempt, 'failed', status, error ?? `HTTP ${status}`, ms, null);
    }
    this.#checkIdle();
  }

  /** Delay before retry number `attempt` (1-based: after the first attempt fails). */
  retryDelay(attempt: number): number {
    return Math.round(this.schedule.baseDelayMs * this.schedule.factor ** (attempt - 1));
  }

  #log(
    endpoint: string,
    event: StoredEvent,
    attempt: number,
    outcome: DeliveryAttempt['outcome'],
    status: number | null,
    error: string | null,
    ms: number,
    next: number | null,
  ): void {
    this.#app.store.c('_webhook_attempt').insert({
      id: newId('whatt'),
      endpoint,
      event: event.id,
      event_type: event.type,
      attempt,
      at: Date.now(),
      outcome,
      status,
      error,
      duration_ms: Math.round(ms * 10) / 10,
      next_retry_at: next,
    });
  }

  /** The delivery log, oldest first, optionally for one endpoint. */
  log(endpoint?: string): DeliveryAttempt[] {
    const out: DeliveryAttempt[] = [];
    for (const a of this.#app.store.c('_webhook_attempt').values())
      if (!endpoint || a.endpoint === endpoint) out.push(a);
    return out;
  }

  /** Resolves when nothing is scheduled or in flight (tests; compressed schedules). */
  idle(): Promise<void> {
    if (this.#timers.size === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #checkIdle(): void {
    if (this.#timers.size === 0 && this.#inFlight === 0) {
      for (const r of this.#idle.splice(0)) r();
    }
  }

  #cancelAll(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#checkIdle();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelAll();
  }
}
