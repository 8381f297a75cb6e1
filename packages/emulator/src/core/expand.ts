import { invalidRequest } from './errors.js';

/**
 * The registry of expandable and includable fields, per object type.
 *
 * - `expandable('price', 'product', resolve)`: the field holds an id (string) that `expand[]=product`
 *   replaces with the object `resolve(id)` returns. Paths may be dotted inside the object
 *   (`invoice_settings.default_payment_method`).
 * - `includable('invoice', 'confirmation_secret', compute)`: the field is absent unless expanded;
 *   `compute(object)` produces it.
 *
 * `expand[]` paths chain through expanded objects (`latest_invoice.confirmation_secret`), walk into
 * lists through `data` (`data.customer` on a list, `items.data.price` on a subscription), and at most
 * four levels deep, as Stripe allows. Stored objects are never mutated: each expanded level is copied.
 */
type Json = Record<string, unknown>;

export type Resolver = (id: string) => unknown;
export type Includer = (object: Json) => unknown;

interface FieldSpec {
  resolve?: Resolver;
  include?: Includer;
}

const MAX_DEPTH = 4;

export class ExpandRegistry {
  #byType = new Map<string, Map<string, FieldSpec>>();

  #fields(type: string): Map<string, FieldSpec> {
    let m = this.#byType.get(type);
    if (m === undefined) {
      m = new Map();
      this.#byType.set(type, m);
    }
    return m;
  }

  expandable(type: string, path: string, resolve: Resolver): void {
    this.#fields(type).set(path, { resolve });
  }

  includable(type: string, path: string, include: Includer): void {
    this.#fields(type).set(path, { include });
  }

  /** Fields a type declares as includable (absent unless expanded). */
  isRegistered(type: string, path: string): boolean {
    return this.#byType.get(type)?.has(path) ?? false;
  }

  /** Apply every `expand[]` path to a response value. Returns a copy when anything is expanded. */
  apply<T>(value: T, paths: readonly string[]): T {
    if (paths.length === 0) return value;
    let out: unknown = value;
    for (const path of paths) {
      // A search result's count is computed by the search itself (core/search.ts).
      if (path === 'total_count' && (out as Json | null)?.object === 'search_result') continue;
      const segs = path.split('.');
      if (segs.length > MAX_DEPTH + (isList(out) ? 1 : 0)) {
        throw invalidRequest(
          `You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`,
          'expand',
        );
      }
      out = this.#expand(out, segs, 0, path);
    }
    return out as T;
  }

  #expand(value: unknown, segs: string[], from: number, full: string): unknown {
    if (from >= segs.length || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => this.#expand(v, segs, from, full));
    const obj = value as Json;
    if (
      (obj.object === 'list' || obj.object === 'search_result') &&
      segs[from] === 'data' &&
      Array.isArray(obj.data)
    ) {
      return { ...obj, data: obj.data.map((v) => this.#expand(v, segs, from + 1, full)) };
    }
    const type = typeof obj.object === 'string' ? obj.object : '';
    const fields = this.#byType.get(type);
    // Longest registered dotted prefix starting at `from` (e.g. `invoice_settings.default_payment_method`).
    for (let end = segs.length; end > from; end--) {
      const key = segs.slice(from, end).join('.');
      const spec = fields?.get(key);
      if (spec === undefined) continue;
      const copy = cloneAlong(obj, segs.slice(from, end - 1));
      const { parent, leaf } = locate(copy, segs.slice(from, end));
      if (parent === undefined) return copy;
      let current = parent[leaf];
      if (spec.include) {
        current = spec.include(obj);
      } else if (typeof current === 'string' && spec.resolve) {
        const found = spec.resolve(current);
        if (found !== undefined) current = found;
      }
      parent[leaf] = this.#expand(current, segs, end, full);
      return copy;
    }
    // Not expandable here: walking into a plain nested object is allowed only when a deeper path is
    // registered on this type (handled above), or when the value is a list; otherwise it's an error.
    throw invalidRequest(`This property cannot be expanded (${segs.slice(from).join('.')}).`, 'expand');
  }
}

function isList(v: unknown): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    ((v as Json).object === 'list' || (v as Json).object === 'search_result')
  );
}

/** Shallow-copy `obj` and every nested object along `path`, so setting a leaf never touches the store. */
function cloneAlong(obj: Json, path: string[]): Json {
  const root: Json = { ...obj };
  let node = root;
  for (const seg of path) {
    const child = node[seg];
    if (child === null || typeof child !== 'object') break;
    const copy = Array.isArray(child) ? [...child] : { ...(child as Json) };
    node[seg] = copy;
    node = copy as Json;
  }
  return root;
}

function locate(root: Json, path: string[]): { parent: Json | undefined; leaf: string } {
  let node: Json | undefined = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next: unknown = node?.[path[i]!];
    node = next !== null && typeof next === 'object' ? (next as Json) : undefined;
  }
  return { parent: node, leaf: path[path.length - 1]! };
}
