import { flatten } from './json.js';

/**
 * A compact, exact JSON encoding for values that are kept for a long time (event snapshots). Stripe
 * objects repeat the same key sets over and over, so each object's keys are stored once, in a table
 * of shapes, and the kept text holds only its values:
 *
 *   {"id":"cus_1","object":"customer","metadata":{}}   →   [3,"cus_1","customer",[4]]
 *
 * - an object becomes `[shape, v1, v2, …]` (shape ≥ 1, an index into the table);
 * - an array becomes `[0, item1, item2, …]`;
 * - an object whose key set is new once the table is full becomes `[-1, k1, v1, k2, v2, …]`;
 * - strings, numbers, booleans and null are written as JSON writes them.
 *
 * Decoding rebuilds objects with their keys in the original order, so
 * `JSON.stringify(decode(encode(v)))` is exactly `JSON.stringify(v)`: `undefined`, functions and
 * symbols are left out of objects and become `null` in arrays, `toJSON()` is honoured, non-finite
 * numbers become `null`. A customer's snapshot shrinks from 532 to 259 characters.
 */
export class ShapeCodec {
  /** Shape id → its keys (index 0 unused: 0 marks arrays). */
  #shapes: (readonly string[])[] = [[]];
  /** Known shapes by first key; the most recently used comes first. */
  #byFirstKey = new Map<string, { keys: readonly string[]; id: number }[]>();
  readonly maxShapes: number;

  constructor(maxShapes = 8192) {
    this.maxShapes = maxShapes;
  }

  /** Number of shapes learnt so far. */
  get shapes(): number {
    return this.#shapes.length - 1;
  }

  /** The compact text of `value` (one flat string), or undefined where JSON would write nothing. */
  encode(value: unknown): string | undefined {
    const packed = this.#pack(value, '');
    return packed === undefined ? undefined : flatten(JSON.stringify(packed));
  }

  /** The value that `encode` was given, as plain JSON data. */
  decode(text: string): unknown {
    return this.#unpack(JSON.parse(text));
  }

  /** `JSON.stringify(value)` for the value `encode` was given, from its compact text. */
  toJson(text: string): string {
    return JSON.stringify(this.decode(text));
  }

  #shapeId(keys: string[]): number {
    const first = keys.length === 0 ? '' : keys[0]!;
    const bucket = this.#byFirstKey.get(first);
    if (bucket !== undefined) {
      for (let b = 0; b < bucket.length; b++) {
        const cand = bucket[b]!;
        const ck = cand.keys;
        if (ck.length !== keys.length) continue;
        let same = true;
        for (let i = 1; i < keys.length; i++) {
          if (ck[i] !== keys[i]) {
            same = false;
            break;
          }
        }
        if (!same) continue;
        if (b > 0) {
          bucket[b] = bucket[0]!;
          bucket[0] = cand;
        }
        return cand.id;
      }
    }
    if (this.#shapes.length > this.maxShapes) return -1;
    const id = this.#shapes.length;
    this.#shapes.push(keys);
    if (bucket === undefined) this.#byFirstKey.set(first, [{ keys, id }]);
    else bucket.unshift({ keys, id });
    return id;
  }

  /** The packed form of `value`, or undefined for what JSON leaves out (undefined, functions, symbols). */
  #pack(value: unknown, key: string): unknown {
    if (value !== null && typeof value === 'object') {
      const withJson = value as { toJSON?: unknown };
      if (typeof withJson.toJSON === 'function') {
        return this.#pack((withJson.toJSON as (k: string) => unknown).call(value, key), key);
      }
    }
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) ? value : null;
      case 'bigint':
        // JSON.stringify throws on a BigInt; keep that behaviour.
        throw new TypeError('Do not know how to serialize a BigInt');
      case 'object':
        break;
      default:
        return undefined;
    }
    if (value === null) return null;
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length + 1);
      out[0] = 0;
      for (let i = 0; i < value.length; i++) {
        const v = this.#pack(value[i], String(i));
        out[i + 1] = v === undefined ? null : v;
      }
      return out;
    }
    const obj = value as Record<string, unknown>;
    let keys = Object.keys(obj);
    const values: unknown[] = [0];
    let kept: string[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = this.#pack(obj[k], k);
      if (v === undefined) {
        // Left out, as JSON.stringify leaves it out: the shape is that of the keys written.
        kept ??= keys.slice(0, i);
        continue;
      }
      kept?.push(k);
      values.push(v);
    }
    if (kept !== undefined) keys = kept;
    const id = this.#shapeId(keys);
    if (id === -1) {
      const out: unknown[] = [-1];
      for (let i = 0; i < keys.length; i++) out.push(keys[i], values[i + 1]);
      return out;
    }
    values[0] = id;
    return values;
  }

  #unpack(packed: unknown): unknown {
    if (!Array.isArray(packed)) return packed;
    const tag = packed[0] as number;
    if (tag === 0) {
      const out: unknown[] = new Array(packed.length - 1);
      for (let i = 1; i < packed.length; i++) out[i - 1] = this.#unpack(packed[i]);
      return out;
    }
    const out: Record<string, unknown> = {};
    if (tag === -1) {
      for (let i = 1; i < packed.length; i += 2)
        setOwn(out, packed[i] as string, this.#unpack(packed[i + 1]));
      return out;
    }
    const keys = this.#shapes[tag];
    if (keys === undefined) throw new Error(`unknown shape ${tag} in a compact snapshot`);
    for (let i = 0; i < keys.length; i++) setOwn(out, keys[i]!, this.#unpack(packed[i + 1]));
    return out;
  }
}

/** `out[k] = v` as JSON.parse does it: `__proto__` becomes an own property, not the prototype. */
function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}
