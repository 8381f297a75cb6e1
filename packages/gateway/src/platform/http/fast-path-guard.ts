import type { FastifyInstance, RouteOptions } from 'fastify';
import type { FastPathServer } from './fast-path.js';

/** Fastify's hooks that run around a request to a route. */
const lifecycleHooks = [
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort',
] as const;
export type LifecycleHook = (typeof lifecycleHooks)[number];

// biome-ignore lint/complexity/noBannedTypes: hooks are compared by identity, whatever their signature.
type HookFunction = Function;

/** A hook the fast path does what for, on the routes `applies` accepts (all by default). */
interface Reproduced {
  fn: HookFunction;
  applies: (route: RouteOptions) => boolean;
}

/** The hooks the fast path reproduces: the only ones that may run on a route it serves. */
export class ReproducedHooks {
  readonly #byHook = new Map<LifecycleHook, Reproduced[]>();

  /**
   * Declares that the fast path does what `fn` (a `hook` hook) does, or that `fn` does nothing, on the
   * routes `applies` accepts.
   */
  add(hook: LifecycleHook, fn: HookFunction, applies: (route: RouteOptions) => boolean = () => true): void {
    const list = this.#byHook.get(hook) ?? [];
    list.push({ fn, applies });
    this.#byHook.set(hook, list);
  }

  has(hook: LifecycleHook, fn: HookFunction, route: RouteOptions): boolean {
    return this.#byHook.get(hook)?.some((r) => r.fn === fn && r.applies(route)) ?? false;
  }
}

/**
 * The hook lists of a Fastify instance: its own and its parents' hooks, as Fastify applies them to the
 * routes registered on it. Fastify has no public accessor for them: they sit under its `fastify.hooks`
 * symbol. Undefined when that is not found (another Fastify): then no route is served fast.
 */
function hooksOf(instance: FastifyInstance): Partial<Record<LifecycleHook, HookFunction[]>> | undefined {
  const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.hooks');
  const hooks = symbol && (instance as unknown as Record<symbol, unknown>)[symbol];
  return typeof hooks === 'object' &&
    hooks !== null &&
    Array.isArray((hooks as { onRequest?: unknown }).onRequest)
    ? (hooks as Partial<Record<LifecycleHook, HookFunction[]>>)
    : undefined;
}

/** Why Fastify's route `options` (registered on `instance`) cannot be served fast, or undefined. */
function refusal(
  instance: FastifyInstance,
  options: RouteOptions,
  known: ReproducedHooks,
): string | undefined {
  if (options.bodyLimit !== undefined) return 'it has a body limit of its own';
  const hooks = hooksOf(instance);
  if (!hooks) return "Fastify's hook lists cannot be read";
  for (const hook of lifecycleHooks) {
    const own = options[hook] as HookFunction | HookFunction[] | undefined;
    const all = [...(hooks[hook] ?? []), ...(own === undefined ? [] : Array.isArray(own) ? own : [own])];
    const unknown = all.find((fn) => !known.has(hook, fn, options));
    if (unknown)
      return `its ${hook} hook ${unknown.name || '(anonymous)'} is not reproduced by the fast path`;
  }
  return undefined;
}

/**
 * Enables the fast path's routes once Fastify is ready, each only if every hook Fastify would run on
 * that route (instance-wide and route-level, however registered) is one `known` lists. Otherwise the
 * route stays Fastify's, and a warning says why. Call it right after creating the app, before any route is registered.
 */
export function guardFastPath(app: FastifyInstance, server: FastPathServer, known: ReproducedHooks): void {
  const routes = new Map<string, { instance: FastifyInstance; options: RouteOptions }>();
  app.addHook('onRoute', function (this: FastifyInstance, options) {
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    if (methods.includes('POST')) routes.set(options.url, { instance: this, options });
  });
  app.addHook('onReady', (done) => {
    for (const path of server.addedPaths()) {
      const route = routes.get(path);
      const why = route ? refusal(route.instance, route.options, known) : 'Fastify has no POST route there';
      if (why) app.log.warn({ route: path }, `fast path off for POST ${path}: ${why}; Fastify serves it`);
      else server.enable(path);
    }
    done();
  });
}
