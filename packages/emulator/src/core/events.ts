import type Stripe from 'stripe';
import type { Clock } from './clock.js';
import { newId } from './ids.js';
import { flatJson } from './json.js';
import type { Store } from './store.js';
import { API_VERSION } from './version.js';
import type { Wire } from './wire.js';

export type EventType = Stripe.Event['type'];
/** The object an event of type `T` carries, as the SDK types it. */
export type EventObject<T extends EventType> = Wire<Extract<Stripe.Event, { type: T }>['data']['object']>;

/**
 * An event as the emulator keeps it: the object snapshot is stored as its JSON text, taken once at
 * emit time (cheap to keep, immune to later mutation, and reused verbatim for webhook bodies).
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

/** Creates, stores and announces events. Delivery (webhooks) subscribes with `onEmit`. */
export class EventLog {
  #store: Store;
  #clock: Clock;
  #listeners: EventListener[] = [];
  /** Counts the endpoints an event will be sent to (set by webhook delivery), for `pending_webhooks`. */
  countRecipients: (type: EventType) => number = () => 0;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  onEmit(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  emit<T extends EventType>(
    type: T,
    object: EventObject<T>,
    previousAttributes?: Record<string, unknown> | null,
    request: EventRequest = { id: null, idempotency_key: null },
    /** Event time in unix seconds; defaults to the emulator clock (test clocks pass their own time). */
    created?: number,
  ): StoredEvent {
    const event: StoredEvent = {
      id: newId('evt'),
      object: 'event',
      type,
      created: created ?? this.#clock.now(),
      api_version: API_VERSION,
      pending_webhooks: this.countRecipients(type),
      request,
      object_json: flatJson(object),
      previous_attributes: previousAttributes ?? null,
    };
    this.#store.c('event').insert(event);
    for (const l of this.#listeners) l(event);
    return event;
  }
}

/** The event as the API returns it. */
export function toStripeEvent(e: StoredEvent): Wire<Stripe.Event> {
  const data: { object: unknown; previous_attributes?: Record<string, unknown> } = {
    object: JSON.parse(e.object_json),
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

/** The JSON text of an event, built without re-serialising the stored object snapshot. */
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
