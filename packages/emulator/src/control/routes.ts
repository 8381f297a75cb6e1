import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../core/app.js';
import type { FaultConfig, Faults } from '../core/faults.js';
import type { ExtraHandler } from '../core/http.js';
import { loadSnapshot, saveSnapshot } from '../core/persistence.js';
import { touchBilling } from '../resources/billing/scheduler.js';
import { type BillingSettings, billingSettings, configureBilling } from '../resources/billing/settings.js';
import type { RetrySchedule, WebhookDelivery } from '../webhooks/delivery.js';

export interface ControlDeps {
  app: App;
  faults: Faults;
  delivery: WebhookDelivery;
  dataFile: string | undefined;
}

type Json = Record<string, unknown>;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readJson(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const v: unknown = JSON.parse(text);
        if (v === null || typeof v !== 'object' || Array.isArray(v))
          throw new Error('body must be a JSON object');
        resolve(v as Json);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

const AFTER_RETRIES: readonly BillingSettings['afterRetries'][] = ['cancel', 'unpaid', 'past_due'];

/** Checks a posted partial billing configuration; every key is optional, unknown keys are refused. */
function readBillingSettings(body: Json): Partial<BillingSettings> {
  const out: Partial<BillingSettings> = {};
  for (const [k, v] of Object.entries(body)) {
    switch (k) {
      case 'retryDays':
        if (!Array.isArray(v) || !v.every((d) => typeof d === 'number')) {
          throw new Error('retryDays must be a list of whole days');
        }
        out.retryDays = v as number[];
        break;
      case 'afterRetries':
        if (!AFTER_RETRIES.includes(v as BillingSettings['afterRetries'])) {
          throw new Error(`afterRetries must be one of ${AFTER_RETRIES.join(', ')}`);
        }
        out.afterRetries = v as BillingSettings['afterRetries'];
        break;
      case 'trialWillEndDays':
      case 'incompleteExpiryHours':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
          throw new Error(`${k} must be a whole number, 0 or more`);
        }
        out[k] = v;
        break;
      case 'upcomingRenewalDays':
      case 'quoteWillExpireDays':
        if (v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
          throw new Error(`${k} must be a whole number of days, 1 or more, or null`);
        }
        out[k] = v;
        break;
      default:
        throw new Error(`unknown billing setting: ${k}`);
    }
  }
  return out;
}

/**
 * The control API, under `/_emulator/` (never `/v1/`): JSON in, JSON out, no API key (the emulator
 * listens on 127.0.0.1 by default).
 *
 *   POST   /_emulator/reset                      drop all state
 *   GET    /_emulator/snapshot                   the state as JSON
 *   POST   /_emulator/snapshot                   replace the state with the posted snapshot
 *   POST   /_emulator/save  {file?}              write the snapshot to file (default --data)
 *   POST   /_emulator/load  {file?}              read it back
 *   GET    /_emulator/clock                      {now, frozen}
 *   POST   /_emulator/clock {set?|advance?|real?}
 *   GET|POST|DELETE /_emulator/faults            FaultConfig (routes, webhooks, seed)
 *   GET    /_emulator/deliveries?endpoint=we_…   the webhook delivery log
 *   GET|POST /_emulator/webhooks/schedule        retry schedule {baseDelayMs, factor, maxAttempts, timeoutMs}
 *   GET|POST /_emulator/billing                  billing settings {retryDays, afterRetries,
 *                                                trialWillEndDays, incompleteExpiryHours,
 *                                                upcomingRenewalDays, quoteWillExpireDays}
 */
export function controlHandler(deps: ControlDeps): ExtraHandler {
  const { app, faults, delivery } = deps;
  const routes: Record<string, (body: Json, query: URLSearchParams) => unknown> = {
    'POST /_emulator/reset': () => {
      app.reset();
      return { ok: true };
    },
    'GET /_emulator/snapshot': () => app.snapshot(),
    'POST /_emulator/snapshot': (body) => {
      app.restore(body as unknown as ReturnType<App['snapshot']>);
      return { ok: true };
    },
    'POST /_emulator/save': (body) => {
      const file = typeof body.file === 'string' ? body.file : deps.dataFile;
      if (!file) throw new Error('no file given and no --data file configured');
      saveSnapshot(app, file);
      return { ok: true, file };
    },
    'POST /_emulator/load': (body) => {
      const file = typeof body.file === 'string' ? body.file : deps.dataFile;
      if (!file) throw new Error('no file given and no --data file configured');
      if (!loadSnapshot(app, file)) throw new Error(`no such file: ${file}`);
      return { ok: true, file };
    },
    'GET /_emulator/clock': () => ({ now: app.clock.now(), frozen: app.clock.frozen }),
    'POST /_emulator/clock': (body) => {
      if (body.real === true) app.clock.useRealTime();
      if (typeof body.set === 'number') app.clock.set(body.set);
      if (typeof body.advance === 'number') app.clock.advance(body.advance);
      return { now: app.clock.now(), frozen: app.clock.frozen };
    },
    'GET /_emulator/faults': () => faults.config,
    'POST /_emulator/faults': (body) => {
      faults.configure(body as FaultConfig);
      return faults.config;
    },
    'DELETE /_emulator/faults': () => {
      faults.clear();
      return faults.config;
    },
    'GET /_emulator/deliveries': (_b, q) => ({ data: delivery.log(q.get('endpoint') ?? undefined) }),
    'GET /_emulator/webhooks/schedule': () => delivery.schedule,
    'POST /_emulator/webhooks/schedule': (body) => {
      const next: Partial<RetrySchedule> = {};
      for (const k of ['baseDelayMs', 'factor', 'maxAttempts', 'timeoutMs'] as const) {
        const v = body[k];
        if (typeof v === 'number' && v >= 0) next[k] = v;
      }
      delivery.schedule = { ...delivery.schedule, ...next };
      return delivery.schedule;
    },
    'GET /_emulator/billing': () => billingSettings(app),
    'POST /_emulator/billing': (body) => {
      const next = configureBilling(app, readBillingSettings(body));
      touchBilling(app); // trial_will_end and retry times derive from the settings
      return next;
    },
  };

  return (req, res, path, query) => {
    if (!path.startsWith('/_emulator/')) return false;
    const route = routes[`${req.method} ${path}`];
    if (route === undefined) {
      send(res, 404, {
        error: { type: 'invalid_request_error', message: `Unknown control route ${req.method} ${path}` },
      });
      return true;
    }
    readJson(req)
      .then((body) => send(res, 200, route(body, new URLSearchParams(query))))
      .catch((err: unknown) =>
        send(res, 400, {
          error: { type: 'invalid_request_error', message: err instanceof Error ? err.message : String(err) },
        }),
      );
    return true;
  };
}
