import { Collection, type Identified } from './collection.js';

/**
 * The type of every collection, by kind. Each resource file adds its own entries by declaration
 * merging, so no central file has to change when a resource is added:
 *
 *   declare module '../core/store.js' {
 *     interface CollectionTypes { customer: Wire<Stripe.Customer> }
 *   }
 *
 * Kinds are the objects' `object` strings where there is one (`customer`, `price`,
 * `checkout.session`); emulator-private records use a leading underscore (`_webhook_delivery`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each resource file.
export interface CollectionTypes {}

export type Kind = keyof CollectionTypes & string;

type Stored<K extends Kind> = CollectionTypes[K] extends Identified ? CollectionTypes[K] : never;

export interface SnapshotCollections {
  [kind: string]: Identified[];
}

/** All state that lives in memory: one `Collection` per kind, created on first use. */
export class Store {
  #collections = new Map<string, Collection<Identified>>();
  #labels = new Map<string, string>();

  /** Declare how "No such …" messages name a kind (defaults to the kind itself). */
  label(kind: Kind, label: string): void {
    this.#labels.set(kind, label);
  }

  /** Use `col` as the collection for `kind` (a specialised store such as the event log's). */
  adopt<K extends Kind>(kind: K, col: Collection<Stored<K>>): void {
    this.#collections.set(kind, col as unknown as Collection<Identified>);
  }

  /** The typed collection for `kind`. */
  c<K extends Kind>(kind: K): Collection<Stored<K>> {
    let col = this.#collections.get(kind);
    if (col === undefined) {
      col = new Collection<Identified>(kind, this.#labels.get(kind) ?? kind);
      this.#collections.set(kind, col);
    }
    return col as Collection<Stored<K>>;
  }

  /** Kinds that have a collection so far. */
  kinds(): string[] {
    return [...this.#collections.keys()];
  }

  reset(): void {
    for (const col of this.#collections.values()) col.clear();
  }

  /** Plain data for a JSON snapshot (every collection, creation order kept). */
  toSnapshot(): SnapshotCollections {
    const out: SnapshotCollections = {};
    for (const [kind, col] of this.#collections) {
      if (col.size > 0) out[kind] = col.toSnapshot();
    }
    return out;
  }

  loadSnapshot(data: SnapshotCollections): void {
    this.reset();
    for (const [kind, items] of Object.entries(data)) {
      const col = this.c(kind as Kind) as unknown as Collection<Identified>;
      for (const item of items) col.insert(item);
    }
  }
}
