import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { controlHandler } from './control/routes.js';
import { App } from './core/app.js';
import type { Clock } from './core/clock.js';
import { corsPreflightHandler } from './core/cors.js';
import { type FaultConfig, Faults } from './core/faults.js';
import type { RequestLog } from './core/http.js';
import { ApiServer } from './core/http-front.js';
import type { RouteSpecs } from './core/param-spec.js';
import { loadSnapshot, saveSnapshot } from './core/persistence.js';
import type { Resource } from './core/resource.js';
import { setCardTokensEndOfLife, setMerchantName } from './resources/common/account.js';
import { setBaseUrl } from './resources/common/base-url.js';
import { allResources } from './resources/index.js';
import { paramSpecs } from './resources/param-specs.js';
import { paymentPagesHandler } from './resources/payment-pages.js';
import { stripeJsHandler } from './stripe-js/routes.js';
import { type RetrySchedule, WebhookDelivery } from './webhooks/delivery.js';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Snapshot file: loaded at start when it exists, saved after changes and on close. */
  dataFile?: string;
  /** One call per answered request (the CLI prints them). */
  onRequest?: (log: RequestLog) => void;
  clock?: Clock;
  /** Defaults to every resource; tests may pass a subset or extra ones. */
  resources?: readonly Resource[];
  /** What each route accepts (defaults to the emulator's own; tests with extra routes add theirs). */
  paramSpecs?: RouteSpecs;
  /**
   * How often a dirty state is written to `dataFile`, in ms (default 1000); longer while the state is
   * large (see `nextSaveDelay`).
   */
  saveIntervalMs?: number;
  /** Webhook retry schedule (compress it in tests: `{ baseDelayMs: 20, factor: 2 }`). */
  webhookSchedule?: Partial<RetrySchedule>;
  /** Faults active from the start (also settable through `/_emulator/faults`). */
  faults?: FaultConfig;
  /** The business name on the hosted pages (default `paydesk test store`). */
  merchantName?: string | undefined;
  /**
   * Refuse card tokens and card sources on the Customers and Charges APIs with Stripe's end-of-life
   * answer, as an account without that API policy enabled (default false: they work).
   */
  cardTokensEndOfLife?: boolean | undefined;
}

/**
 * The pause before the next check for unsaved changes: the interval, or 50 times what the last save
 * took when that is longer, so that writing a large state (the whole snapshot is written each time)
 * takes at most about 2 % of the thread that serves requests.
 */
export function nextSaveDelay(intervalMs: number, lastSaveMs: number): number {
  return Math.max(intervalMs, Math.ceil(lastSaveMs * 50));
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  host: string;
  port: number;
  /** State and control: store, clock, events, reset(), snapshot(), restore(). */
  app: App;
  /** Fault injection (API errors and latency, webhook drop/duplicate/reorder/delay). */
  faults: Faults;
  /** Webhook delivery: `log()`, `idle()`, `schedule`. */
  delivery: WebhookDelivery;
  server: Server;
  /** Saves the snapshot (when `dataFile` is set) and stops listening. */
  close(): Promise<void>;
}

/** Builds the emulator and listens. The gateway's embedded mode and the tests use this. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const app = new App({
    resources: options.resources ?? allResources,
    paramSpecs: options.paramSpecs ?? paramSpecs,
    clock: options.clock,
  });
  const { dataFile } = options;
  if (dataFile) loadSnapshot(app, dataFile);

  if (options.merchantName) setMerchantName(app, options.merchantName);
  if (options.cardTokensEndOfLife) setCardTokensEndOfLife(app, true);
  const faults = new Faults();
  if (options.faults) faults.configure(options.faults);
  app.interceptors.push((method, pattern) => faults.apiFault(method, pattern));
  const delivery = new WebhookDelivery(app, faults, options.webhookSchedule);

  let dirty = false;
  const pages = paymentPagesHandler(app);
  const onRequest = options.onRequest;
  const server = new ApiServer(
    app,
    {
      onRequest: (log) => {
        if (log.method !== 'GET') dirty = true;
        onRequest?.(log);
      },
      extra: [
        corsPreflightHandler(),
        stripeJsHandler(),
        // A page's form post changes state too (a payment on the hosted Checkout page): save it.
        (req, res, path, query) => {
          const handled = pages(req, res, path, query);
          if (handled && req.method !== 'GET' && req.method !== 'HEAD') dirty = true;
          return handled;
        },
        controlHandler({ app, faults, delivery, dataFile }),
      ],
      delayFor: (method, pattern) => faults.latency(method, pattern),
    },
    65_000,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const saveInterval = options.saveIntervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  const scheduleSave = (delay: number): void => {
    timer = setTimeout(() => {
      if (!dirty) return scheduleSave(saveInterval);
      dirty = false;
      const started = performance.now();
      saveSnapshot(app, dataFile!);
      scheduleSave(nextSaveDelay(saveInterval, performance.now() - started));
    }, delay);
    timer.unref();
  };
  if (dataFile) scheduleSave(saveInterval);

  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  setBaseUrl(app, url);
  let closing: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    app,
    faults,
    delivery,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (timer) clearTimeout(timer);
        delivery.stop();
        if (dataFile) saveSnapshot(app, dataFile);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
