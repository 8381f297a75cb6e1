import type { App } from './app.js';
import type { Clock } from './clock.js';
import type { Handler, RouteOptions } from './context.js';
import type { EventLog } from './events.js';
import type { Includer, Resolver } from './expand.js';
import type { Kind, Store } from './store.js';

/** What a resource's `register` function gets: the way to plug routes and fields into the emulator. */
export interface Api {
  readonly app: App;
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventLog;
  get(path: string, handler: Handler, options?: RouteOptions): void;
  post(path: string, handler: Handler, options?: RouteOptions): void;
  del(path: string, handler: Handler, options?: RouteOptions): void;
  /** `expand[]=path` on objects of `type` replaces the id at `path` with `resolve(id)`. */
  expandable(type: string, path: string, resolve: Resolver): void;
  /** A field absent unless expanded (`invoice.confirmation_secret`), computed from the object. */
  includable(type: string, path: string, include: Includer): void;
  /** How "No such …" errors name this kind's objects. */
  label(kind: Kind, label: string): void;
}

export interface Resource {
  readonly name: string;
  register(api: Api): void;
}

export function defineResource(name: string, register: (api: Api) => void): Resource {
  return { name, register };
}
