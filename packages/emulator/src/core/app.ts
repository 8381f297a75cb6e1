import { type ApiKey, authenticate } from './auth.js';
import { Clock } from './clock.js';
import type { Ctx, Handler, RouteOptions } from './context.js';
import { apiError, authenticationError, idempotencyError, invalidRequest, StripeError } from './errors.js';
import { EventLog } from './events.js';
import { ExpandRegistry } from './expand.js';
import { canonicalParams, decodeForm, type Params } from './form.js';
import { IdempotencyCache, type IdempotentEntry } from './idempotency.js';
import { newId } from './ids.js';
import { flatten } from './json.js';
import { type Checker, lazyChecker, type RouteSpecs, validateParams } from './param-spec.js';
import { expandList } from './params.js';
import type { Api, Resource } from './resource.js';
import { type Method, Router } from './router.js';
import { ShapeCodec } from './shape-json.js';
import { type SnapshotCollections, Store } from './store.js';
import { API_VERSION } from './version.js';

/** One API request, independent of node:http (so tests and other transports can call `dispatch`). */
export interface ApiRequest {
  method: string;
  path: string;
  /** Raw query string without `?`. */
  query: string;
  /** Raw form body. */
  body: string;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
}

export interface ApiResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** Route pattern that matched (undefined for 404s), for logs and fault injection. */
  pattern: string | undefined;
}

/** A route as `App.routes()` lists it; `params()` is its compiled description. */
export interface RouteInfo {
  method: Method;
  pattern: string;
  params: (() => Checker) | undefined;
}

interface Route {
  handler: Handler;
  options: RouteOptions;
  /** What the route accepts (every request is validated against it before the handler runs). */
  params: (() => Checker) | undefined;
}

/** Something that may answer instead of the handler (fault injection). */
export type Interceptor = (method: string, pattern: string) => StripeError | undefined;

export interface Snapshot {
  format: 'paydesk-emulator-snapshot';
  version: 1;
  clock: { frozenMs: number | null; offsetMs: number };
  collections: SnapshotCollections;
}

export interface AppOptions {
  resources: readonly Resource[];
  clock?: Clock;
  /**
   * One parameter description per route (`'POST /v1/customers'` → its hash): requests are validated
   * against it and every route must have one. Without it nothing is validated (the spec generator).
   */
  paramSpecs?: RouteSpecs;
  /** Called for errors that are not StripeErrors (bugs): they become 500 api_error. */
  onInternalError?: (err: unknown, req: ApiRequest) => void;
}

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The emulator's state and request pipeline: auth → route → params → idempotency → handler →
 * expand → JSON. Built from a list of resources; knows nothing about node:http.
 */
export class App {
  readonly clock: Clock;
  readonly store = new Store();
  readonly events: EventLog;
  readonly expand = new ExpandRegistry();
  readonly idempotency: IdempotencyCache;
  /** Compact text for what is kept long (event snapshots, idempotent responses); one shape table. */
  readonly codec = new ShapeCodec();
  readonly interceptors: Interceptor[] = [];
  /** Callbacks run by `reset()` after the store is cleared (e.g. to drop delivery queues). */
  readonly resetHooks: (() => void)[] = [];
  #router = new Router<Route>();
  #routes: RouteInfo[] = [];
  #onInternalError: (err: unknown, req: ApiRequest) => void;

  constructor(options: AppOptions) {
    this.clock = options.clock ?? new Clock();
    this.events = new EventLog(this.store, this.clock, this.codec);
    this.idempotency = new IdempotencyCache(this.clock);
    this.#onInternalError =
      options.onInternalError ?? ((err) => console.error('[emulator] internal error', err));
    const specs = options.paramSpecs;
    const missing: string[] = [];
    const api = this.#api((route) => {
      if (specs === undefined) return undefined;
      const spec = specs[route];
      if (spec === undefined) missing.push(route);
      return spec === undefined ? undefined : lazyChecker(spec);
    });
    for (const r of options.resources) r.register(api);
    if (missing.length > 0) {
      throw new Error(
        `routes without a parameter description (resources/param-specs.ts): ${missing.join(', ')}`,
      );
    }
  }

  /** Every route served, with what it accepts (tests, the spec generator, docs). */
  routes(): readonly RouteInfo[] {
    return this.#routes;
  }

  #api(describe: (route: string) => (() => Checker) | undefined): Api {
    const add =
      (method: Method) =>
      (path: string, handler: Handler, options: RouteOptions = {}) => {
        const params = describe(`${method} ${path}`);
        this.#routes.push({ method, pattern: path, params });
        this.#router.add(method, path, { handler, options, params });
      };
    return {
      app: this,
      store: this.store,
      clock: this.clock,
      events: this.events,
      get: add('GET'),
      post: add('POST'),
      del: add('DELETE'),
      expandable: (type, path, resolve) => this.expand.expandable(type, path, resolve),
      includable: (type, path, include) => this.expand.includable(type, path, include),
      label: (kind, label) => this.store.label(kind, label),
    };
  }

  reset(): void {
    this.store.reset();
    this.idempotency.clear();
    for (const h of this.resetHooks) h();
  }

  snapshot(): Snapshot {
    return {
      format: 'paydesk-emulator-snapshot',
      version: 1,
      clock: this.clock.toJSON(),
      collections: this.store.toSnapshot(),
    };
  }

  restore(snapshot: Snapshot): void {
    if (snapshot.format !== 'paydesk-emulator-snapshot' || snapshot.version !== 1) {
      throw new Error('not a paydesk emulator snapshot (format/version mismatch)');
    }
    this.reset();
    this.clock.restore(snapshot.clock);
    this.store.loadSnapshot(snapshot.collections);
  }

  /** Handle one API request. Synchronous unless a handler returns a promise. */
  dispatch(req: ApiRequest): ApiResponse | Promise<ApiResponse> {
    const requestId = newId('req', 14);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Request-Id': requestId,
      'Stripe-Version': req.stripeVersion ?? API_VERSION,
    };
    let pattern: string | undefined;
    let key: ApiKey | undefined;
    let idemKey: string | undefined;
    let paramsKey = '';
    try {
      key = authenticate(req.authorization);
      // Browsers call publishable-key endpoints from the merchant's origin (Stripe.js does), so those
      // answers may be read by any origin; the preflight is answered in core/cors.ts.
      if (key.kind === 'publishable') headers['Access-Control-Allow-Origin'] = '*';
      const match = this.#router.match(req.method, req.path);
      if (match === undefined) {
        throw new StripeError({
          status: 404,
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${req.method}: ${req.path}). The emulator does not serve this endpoint.`,
        });
      }
      pattern = match.pattern;
      const route = match.handler;
      if (key.kind === 'publishable' && !route.options.publishable) {
        throw authenticationError(
          'This API call cannot be made with a publishable API key. Please use a secret API key.',
        );
      }
      const params: Params = req.method === 'POST' ? decodeForm(req.body) : decodeForm(req.query);
      if (route.params !== undefined) validateParams(route.params(), params);

      if (req.idempotencyKey !== undefined && req.method === 'POST') {
        idemKey = req.idempotencyKey;
        if (idemKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
          throw invalidRequest(
            `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long.`,
            undefined,
            'idempotency_key_too_long',
          );
        }
        headers['Idempotency-Key'] = idemKey;
        paramsKey = canonicalParams(params);
        const prior = this.idempotency.get(key.key, idemKey);
        if (prior !== undefined) {
          idemKey = undefined; // never overwrite the stored entry
          return replay(prior, req, paramsKey, headers, pattern, this.codec);
        }
        this.idempotency.set(key.key, idemKey, {
          method: req.method,
          path: req.path,
          paramsKey: flatten(paramsKey),
          status: 0,
          body: '',
          compact: false,
          requestId,
          createdMs: this.clock.nowMs(),
          inFlight: true,
        });
      }

      for (const intercept of this.interceptors) {
        const fault = intercept(req.method, pattern);
        if (fault) throw fault;
      }

      const idempotencyKey = idemKey ?? null;
      const events = this.events;
      const request = { id: requestId, idempotency_key: idempotencyKey };
      const ctx: Ctx = {
        app: this,
        store: this.store,
        clock: this.clock,
        method: req.method,
        path: req.path,
        params,
        args: match.args,
        requestId,
        apiKey: key.key,
        idempotencyKey,
        stripeVersion: req.stripeVersion,
        now: () => this.clock.now(),
        emit: (type, object, previous) => events.emit(type, object, previous, request),
      };
      const result = route.handler(ctx);
      if (result instanceof Promise) {
        const apiKey = key.key;
        const ik = idemKey;
        return result.then(
          (value) => {
            const rendered = this.#rendered(value, params);
            return this.#finish(200, JSON.stringify(rendered), headers, pattern, apiKey, ik, rendered);
          },
          (err: unknown) => this.#fail(err, req, requestId, headers, pattern, apiKey, ik),
        );
      }
      const rendered = this.#rendered(result, params);
      return this.#finish(200, JSON.stringify(rendered), headers, pattern, key.key, idemKey, rendered);
    } catch (err) {
      return this.#fail(err, req, requestId, headers, pattern, key?.key, idemKey);
    }
  }

  /** The answer with `expand[]` applied. */
  #rendered(value: unknown, params: Params): unknown {
    const expand = expandList(params);
    return expand.length > 0 ? this.expand.apply(value, expand) : value;
  }

  #finish(
    status: number,
    body: string,
    headers: Record<string, string>,
    pattern: string | undefined,
    apiKey: string | undefined,
    idemKey: string | undefined,
    /** The value `body` is the JSON of, when there is one (kept compactly for idempotent replays). */
    value?: unknown,
  ): ApiResponse {
    if (apiKey !== undefined && idemKey !== undefined) {
      const entry = this.idempotency.get(apiKey, idemKey);
      if (entry !== undefined) {
        // Stripe saves the result once the endpoint has started executing, errors included, but not
        // rate limits, server errors or conflicts: those may be retried with the same key.
        if (status === 409 || status === 429 || status >= 500) this.idempotency.delete(apiKey, idemKey);
        else {
          entry.status = status;
          const compact = value === undefined ? undefined : this.codec.encode(value);
          entry.compact = compact !== undefined;
          entry.body = compact ?? flatten(body);
          entry.inFlight = false;
        }
      }
    }
    return { status, body, headers, pattern };
  }

  #fail(
    err: unknown,
    req: ApiRequest,
    requestId: string,
    headers: Record<string, string>,
    pattern: string | undefined,
    apiKey: string | undefined,
    idemKey: string | undefined,
  ): ApiResponse {
    let e: StripeError;
    if (err instanceof StripeError) e = err;
    else {
      this.#onInternalError(err, req);
      e = apiError();
    }
    if (e.headers) Object.assign(headers, e.headers);
    return this.#finish(e.status, JSON.stringify(e.toBody(requestId)), headers, pattern, apiKey, idemKey);
  }
}

function replay(
  prior: IdempotentEntry,
  req: ApiRequest,
  paramsKey: string,
  headers: Record<string, string>,
  pattern: string | undefined,
  codec: ShapeCodec,
): ApiResponse {
  if (prior.inFlight) {
    throwConflict();
  }
  if (prior.method !== req.method || prior.path !== req.path) {
    throw idempotencyError(
      `Keys for idempotent requests can only be used for the same endpoint they were first used for ` +
        `('${prior.method} ${prior.path}' vs '${req.method} ${req.path}'). Try using a key other than ` +
        `'${req.idempotencyKey}' if you meant to execute a different request.`,
    );
  }
  if (prior.paramsKey !== paramsKey) {
    throw idempotencyError(
      `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
        `Try using a key other than '${req.idempotencyKey}' if you meant to execute a different request.`,
    );
  }
  return {
    status: prior.status,
    body: prior.compact ? codec.toJson(prior.body) : prior.body,
    headers: { ...headers, 'Idempotent-Replayed': 'true', 'Original-Request': prior.requestId },
    pattern,
  };
}

function throwConflict(): never {
  throw new StripeError({
    status: 409,
    type: 'idempotency_error',
    message:
      'There is currently another in-progress request using this idempotency key (that probably means ' +
      'you submitted twice, and the other request is still going through). Try again later.',
  });
}
