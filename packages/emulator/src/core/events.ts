import type Stripe from 'stripe';
import type { Clock } from './clock.js';
import { Collection } from './collection.js';
import { IdIndex } from './id-index.js';
import { newId } from './ids.js';
import { flatten } from './json.js';
import { ShapeCodec } from './shape-json.js';
import type { Store } from './store.js';
import { API_VERSION } from './version.js';
import type { Wire } from './wire.js';

/** Event types Stripe sends that the SDK's pinned version does not list yet, with their objects. */
interface UnlistedEvents {
  'quote.will_expire': Stripe.Quote;
}
export type EventType = Stripe.Event['type'] | keyof UnlistedEvents;
/** The object an event of type `T` carries, as the SDK types it. */
export type EventObject<T extends EventType> = T extends keyof UnlistedEvents
  ? Wire<UnlistedEvents[T]>
  : Wire<Extract<Stripe.Event, { type: T }>['data']['object']>;

/**
 * An event as the API's pipeline sees it: `object_json` is the JSON text of the object snapshot taken
 * at emit time (immune to later mutation). This is also the shape events have in a saved snapshot file.
 * The event log does not keep these objects: see `EventCollection`.
 */
export interface StoredEvent {
  id: string;
  object: 'event';
  type: EventType;
  created: number;
  api_version: string;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  object_json: string;
  previous_attributes: Record<string, unknown> | null;
}

declare module './store.js' {
  interface CollectionTypes {
    event: StoredEvent;
  }
}

export interface EventRequest {
  id: string | null;
  idempotency_key: string | null;
}

export type EventListener = (event: StoredEvent) => void;

/**
 * The `event` collection, stored by column instead of one record per event. An event is one flat
 * string — two length characters, its id, its request id, then its compact snapshot (`ShapeCodec`:
 * values only, each key set stored once) — plus a slot in three typed arrays (type, created, pending
 * webhooks); the rare idempotency keys, previous attributes and foreign API versions sit in sparse
 * maps. The id → position index reads ids inside those strings, so an event keeps no id string, map
 * entry or record object of its own. Reads hand out `EventRecord` views over the columns, so the
 * `Collection` API (lists, cursors, lookups, delete, snapshot save and load) works unchanged; a view's
 * `pending_webhooks` writes through.
 */
export class EventCollection extends Collection<StoredEvent> {
  readonly codec: ShapeCodec;
  /** `chr(id.length) chr(requestId.length + 1, or 0 for none) id requestId snapshot`; undefined once deleted. */
  #records: (string | undefined)[] = [];
  #types = new Uint16Array(1024);
  #created = new Float64Array(1024);
  #pending = new Int32Array(1024);
  /** Event types by number (`#types` holds the numbers). */
  #typeNames: EventType[] = [];
  #typeNumbers = new Map<EventType, number>();
  #idempotencyKeys = new Map<number, string>();
  #previous = new Map<number, Record<string, unknown>>();
  /** Only for events loaded from a snapshot taken at another API version. */
  #apiVersions = new Map<number, string>();
  #index = new IdIndex(
    (pos) => this.idAt(pos),
    (pos, id) => {
      const r = this.#records[pos];
      return r !== undefined && r.charCodeAt(0) === id.length && r.startsWith(id, 2);
    },
  );

  constructor(codec = new ShapeCodec()) {
    super('event');
    this.codec = codec;
  }

  /** Appends an event; returns its position. `object` is the compact snapshot (`codec.encode`). */
  append(
    id: string,
    type: EventType,
    created: number,
    pending: number,
    request: EventRequest,
    object: string,
    previous: Record<string, unknown> | null,
  ): number {
    const pos = this.#records.length;
    if (pos === this.#types.length) this.#grow();
    this.#records.push(record(id, request.id, object));
    this.#index.add(id, pos);
    this.#types[pos] = this.#typeNumber(type);
    this.#created[pos] = created;
    this.#pending[pos] = pending;
    if (request.idempotency_key !== null) this.#idempotencyKeys.set(pos, flatten(request.idempotency_key));
    if (previous !== null) this.#previous.set(pos, previous);
    return pos;
  }

  #typeNumber(type: EventType): number {
    let n = this.#typeNumbers.get(type);
    if (n === undefined) {
      n = this.#typeNames.length;
      if (n > 0xffff) throw new Error('too many event types');
      this.#typeNames.push(type);
      this.#typeNumbers.set(type, n);
    }
    return n;
  }

  #grow(): void {
    const cap = this.#types.length * 2;
    const types = new Uint16Array(cap);
    types.set(this.#types);
    this.#types = types;
    const created = new Float64Array(cap);
    created.set(this.#created);
    this.#created = created;
    const pending = new Int32Array(cap);
    pending.set(this.#pending);
    this.#pending = pending;
  }

  override get size(): number {
    return this.#index.size;
  }

  override get(id: string): StoredEvent | undefined {
    const pos = this.#index.get(id);
    return pos === undefined ? undefined : new EventRecord(this, pos);
  }

  override has(id: string): boolean {
    return this.#index.get(id) !== undefined;
  }

  /** Adds an event given as plain data (snapshot load); an event with the same id is replaced. */
  override insert(e: StoredEvent): StoredEvent {
    const object = this.codec.encode(JSON.parse(e.object_json)) ?? 'null';
    let pos = this.#index.get(e.id);
    if (pos === undefined) {
      pos = this.append(
        e.id,
        e.type,
        e.created,
        e.pending_webhooks,
        e.request,
        object,
        e.previous_attributes,
      );
    } else {
      this.#records[pos] = record(e.id, e.request.id, object);
      this.#types[pos] = this.#typeNumber(e.type);
      this.#created[pos] = e.created;
      this.#pending[pos] = e.pending_webhooks;
      setOrDelete(this.#idempotencyKeys, pos, e.request.idempotency_key);
      setOrDelete(this.#previous, pos, e.previous_attributes);
    }
    setOrDelete(this.#apiVersions, pos, e.api_version !== API_VERSION ? e.api_version : null);
    return new EventRecord(this, pos);
  }

  /** Deleted events leave a hole (only rollbacks delete events, so holes stay rare). */
  override delete(id: string): StoredEvent | undefined {
    const pos = this.#index.get(id);
    if (pos === undefined) return undefined;
    const found = new EventRecord(this, pos).toJSON();
    this.#index.delete(id);
    this.#records[pos] = undefined;
    this.#idempotencyKeys.delete(pos);
    this.#previous.delete(pos);
    this.#apiVersions.delete(pos);
    return found;
  }

  override clear(): void {
    this.#records = [];
    this.#types = new Uint16Array(1024);
    this.#created = new Float64Array(1024);
    this.#pending = new Int32Array(1024);
    this.#idempotencyKeys.clear();
    this.#previous.clear();
    this.#apiVersions.clear();
    this.#index.clear();
  }

  override positionOf(id: string): number | undefined {
    return this.#index.get(id);
  }

  override at(position: number): StoredEvent | undefined {
    return this.#records[position] === undefined ? undefined : new EventRecord(this, position);
  }

  override get end(): number {
    return this.#records.length;
  }

  override *values(): IterableIterator<StoredEvent> {
    for (let i = 0; i < this.#records.length; i++)
      if (this.#records[i] !== undefined) yield new EventRecord(this, i);
  }

  override *newestFirst(): IterableIterator<StoredEvent> {
    for (let i = this.#records.length - 1; i >= 0; i--)
      if (this.#records[i] !== undefined) yield new EventRecord(this, i);
  }

  /** Plain records, detached from the columns (a snapshot outlives a later reset). */
  override toSnapshot(): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const e of this.values()) out.push((e as EventRecord).toJSON());
    return out;
  }

  override find(predicate: (v: StoredEvent) => boolean): StoredEvent | undefined {
    for (const v of this.values()) if (predicate(v)) return v;
    return undefined;
  }

  // Column access for EventRecord.
  idAt(pos: number): string {
    const r = this.#records[pos];
    return r === undefined ? '' : r.slice(2, 2 + r.charCodeAt(0));
  }
  typeAt(pos: number): EventType {
    return this.#typeNames[this.#types[pos]!]!;
  }
  createdAt(pos: number): number {
    return this.#created[pos]!;
  }
  pendingAt(pos: number): number {
    return this.#pending[pos]!;
  }
  setPending(pos: number, n: number): void {
    this.#pending[pos] = n;
  }
  apiVersionAt(pos: number): string {
    return this.#apiVersions.get(pos) ?? API_VERSION;
  }
  requestAt(pos: number): EventRequest {
    const r = this.#records[pos] ?? '\u0000\u0000';
    const idEnd = 2 + r.charCodeAt(0);
    const reqLen = r.charCodeAt(1);
    return {
      id: reqLen === 0 ? null : r.slice(idEnd, idEnd + reqLen - 1),
      idempotency_key: this.#idempotencyKeys.get(pos) ?? null,
    };
  }
  objectAt(pos: number): string {
    const r = this.#records[pos] ?? '\u0000\u0000null';
    const reqLen = r.charCodeAt(1);
    return r.slice(2 + r.charCodeAt(0) + (reqLen === 0 ? 0 : reqLen - 1));
  }
  previousAt(pos: number): Record<string, unknown> | null {
    return this.#previous.get(pos) ?? null;
  }
}

/** One event's string: the lengths of its id and request id as two characters, then both, then the snapshot. */
function record(id: string, requestId: string | null, object: string): string {
  if (id.length > 0xfffe || (requestId !== null && requestId.length > 0xfffe)) {
    throw new Error('event or request id too long');
  }
  const head = String.fromCharCode(id.length, requestId === null ? 0 : requestId.length + 1);
  return flatten(head + id + (requestId ?? '') + object);
}

function setOrDelete<V>(map: Map<number, V>, pos: number, value: V | null): void {
  if (value === null) map.delete(pos);
  else map.set(pos, value);
}

/** A view of one event in an `EventCollection` (cheap, short-lived; reads the columns). */
export class EventRecord implements StoredEvent {
  readonly #col: EventCollection;
  readonly #pos: number;
  /** The snapshot's JSON text when the emitter already had it (events with webhook recipients). */
  #json: string | undefined;

  constructor(col: EventCollection, pos: number, json?: string) {
    this.#col = col;
    this.#pos = pos;
    this.#json = json;
  }

  get id(): string {
    return this.#col.idAt(this.#pos);
  }
  get object(): 'event' {
    return 'event';
  }
  get type(): EventType {
    return this.#col.typeAt(this.#pos);
  }
  get created(): number {
    return this.#col.createdAt(this.#pos);
  }
  get api_version(): string {
    return this.#col.apiVersionAt(this.#pos);
  }
  get pending_webhooks(): number {
    return this.#col.pendingAt(this.#pos);
  }
  set pending_webhooks(n: number) {
    this.#col.setPending(this.#pos, n);
  }
  get request(): EventRequest {
    return this.#col.requestAt(this.#pos);
  }
  get object_json(): string {
    this.#json ??= this.#col.codec.toJson(this.#col.objectAt(this.#pos));
    return this.#json;
  }
  get previous_attributes(): Record<string, unknown> | null {
    return this.#col.previousAt(this.#pos);
  }

  /** The snapshot as plain data (no JSON text in between). */
  dataObject(): unknown {
    return this.#json !== undefined
      ? JSON.parse(this.#json)
      : this.#col.codec.decode(this.#col.objectAt(this.#pos));
  }

  /** Plain data, as saved in snapshot files. */
  toJSON(): StoredEvent {
    return {
      id: this.id,
      object: 'event',
      type: this.type,
      created: this.created,
      api_version: this.api_version,
      pending_webhooks: this.pending_webhooks,
      request: this.request,
      object_json: this.object_json,
      previous_attributes: this.previous_attributes,
    };
  }
}

/** Creates, stores and announces events. Delivery (webhooks) subscribes with `onEmit`. */
export class EventLog {
  #clock: Clock;
  #col: EventCollection;
  #listeners: EventListener[] = [];
  /** Counts the endpoints an event will be sent to (set by webhook delivery), for `pending_webhooks`. */
  countRecipients: (type: EventType) => number = () => 0;

  /** `codec` encodes the snapshots (the app shares one with its idempotency cache). */
  constructor(store: Store, clock: Clock, codec?: ShapeCodec) {
    this.#clock = clock;
    this.#col = new EventCollection(codec);
    store.adopt('event', this.#col);
  }

  onEmit(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  emit<T extends EventType>(
    type: T,
    object: EventObject<T>,
    previousAttributes?: Record<string, unknown> | null,
    request: EventRequest = NO_REQUEST,
    /** Event time in unix seconds; defaults to the emulator clock (test clocks pass their own time). */
    created?: number,
  ): StoredEvent {
    const pending = this.countRecipients(type);
    const pos = this.#col.append(
      newId('evt'),
      type,
      created ?? this.#clock.now(),
      pending,
      request,
      this.#col.codec.encode(object) ?? 'null',
      previousAttributes ?? null,
    );
    // Webhook bodies need the plain JSON: take it now, while it is cheap, when someone will be sent it.
    const event = new EventRecord(this.#col, pos, pending > 0 ? JSON.stringify(object) : undefined);
    for (const l of this.#listeners) l(event);
    return event;
  }
}

const NO_REQUEST: EventRequest = Object.freeze({ id: null, idempotency_key: null });

/** The event as the API returns it. */
export function toStripeEvent(e: StoredEvent): Wire<Stripe.Event> {
  const data: { object: unknown; previous_attributes?: Record<string, unknown> } = {
    object: e instanceof EventRecord ? e.dataObject() : JSON.parse(e.object_json),
  };
  if (e.previous_attributes) data.previous_attributes = e.previous_attributes;
  const event = {
    id: e.id,
    object: e.object,
    api_version: e.api_version,
    created: e.created,
    data,
    livemode: false,
    pending_webhooks: e.pending_webhooks,
    request: e.request,
    type: e.type,
  };
  // The pairing of `type` with its `data.object` is checked where the event is emitted (`emit<T>`);
  // here the stored pair is reassembled, which TypeScript cannot re-prove across the union.
  return event as unknown as Wire<Stripe.Event>;
}

/** The JSON text of an event, built without re-serialising the object snapshot. */
export function eventJson(e: StoredEvent): string {
  const prev = e.previous_attributes ? `,"previous_attributes":${JSON.stringify(e.previous_attributes)}` : '';
  return (
    `{"id":${JSON.stringify(e.id)},"object":"event","api_version":${JSON.stringify(e.api_version)},` +
    `"created":${e.created},"data":{"object":${e.object_json}${prev}},"livemode":false,` +
    `"pending_webhooks":${e.pending_webhooks},"request":${JSON.stringify(e.request)},"type":${JSON.stringify(e.type)}}`
  );
}

/** Keys of `after` whose values differ from `before`, with their old values (for `previous_attributes`). */
export function diffPrevious(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  const prev: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of keys) {
    const a = before[k];
    const b = after[k];
    if (a === b) continue;
    if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      if (JSON.stringify(a) === JSON.stringify(b)) continue;
      if (!Array.isArray(a) && !Array.isArray(b)) {
        // Stripe lists only the changed sub-keys of a nested hash (e.g. metadata).
        prev[k] = diffNested(a as Record<string, unknown>, b as Record<string, unknown>);
        continue;
      }
    }
    prev[k] = a === undefined ? null : a;
  }
  return prev;
}

function diffNested(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out[k] = a[k] === undefined ? null : a[k];
  }
  return out;
}
