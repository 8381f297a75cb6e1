import { resourceMissing } from './errors.js';
import { IdIndex } from './id-index.js';

export interface Identified {
  id: string;
}

/**
 * One typed collection of objects, kept in creation order. Lookups are O(1); lists walk from the
 * newest end (Stripe lists newest first) and start from a cursor in O(1) thanks to a position index.
 * Stored objects are mutable: update them in place, then emit the event.
 */
export class Collection<T extends Identified> {
  readonly kind: string;
  /** How "No such …" messages name this object (e.g. `customer`, `PaymentIntent`). */
  readonly label: string;
  /** Creation order, with `undefined` holes for deleted objects (compacted when they pile up). */
  #order: (T | undefined)[] = [];
  /** Id → position in `#order`: one index serves lookups and cursors. */
  #position = new IdIndex((pos) => this.#order[pos]!.id);
  #holes = 0;

  constructor(kind: string, label = kind) {
    this.kind = kind;
    this.label = label;
  }

  get size(): number {
    return this.#position.size;
  }

  get(id: string): T | undefined {
    const pos = this.#position.get(id);
    return pos === undefined ? undefined : this.#order[pos];
  }

  has(id: string): boolean {
    return this.#position.get(id) !== undefined;
  }

  /** The object, or `resource_missing`: 404 for the path's object (`id`), else 400 naming `param`. */
  require(id: string, param = 'id', status?: 404): T {
    const found = this.get(id);
    if (found === undefined) throw resourceMissing(this.label, id, param, status);
    return found;
  }

  insert(obj: T): T {
    const pos = this.#position.get(obj.id);
    if (pos !== undefined) {
      // Replacing keeps the original position (used by snapshot load and by custom ids).
      this.#order[pos] = obj;
    } else {
      this.#order.push(obj);
      this.#position.add(obj.id, this.#order.length - 1);
    }
    return obj;
  }

  delete(id: string): T | undefined {
    const pos = this.#position.get(id);
    if (pos === undefined) return undefined;
    const found = this.#order[pos]!;
    this.#position.delete(id);
    this.#order[pos] = undefined;
    this.#holes++;
    if (this.#holes > 1024 && this.#holes * 2 > this.#order.length) this.#compact();
    return found;
  }

  clear(): void {
    this.#order = [];
    this.#position.clear();
    this.#holes = 0;
  }

  /** Position in creation order (for cursors), or undefined. */
  positionOf(id: string): number | undefined {
    return this.#position.get(id);
  }

  /** The object at a creation-order position (undefined for holes and out of range). */
  at(position: number): T | undefined {
    return this.#order[position];
  }

  /** One past the newest position. */
  get end(): number {
    return this.#order.length;
  }

  /** Oldest first. */
  *values(): IterableIterator<T> {
    for (const v of this.#order) if (v !== undefined) yield v;
  }

  /** Newest first. */
  *newestFirst(): IterableIterator<T> {
    for (let i = this.#order.length - 1; i >= 0; i--) {
      const v = this.#order[i];
      if (v !== undefined) yield v;
    }
  }

  /** The objects as plain data for a snapshot, oldest first. */
  toSnapshot(): T[] {
    return [...this.values()];
  }

  find(predicate: (v: T) => boolean): T | undefined {
    for (const v of this.#order) if (v !== undefined && predicate(v)) return v;
    return undefined;
  }

  #compact(): void {
    const live = this.#order.filter((v): v is T => v !== undefined);
    this.#order = live;
    this.#position.rebuild(live.keys());
    this.#holes = 0;
  }
}
