/**
 * Stripe's wire format for parameters: `application/x-www-form-urlencoded` with bracket notation.
 * `a[b][0][c]=v`, `a[]=v` and `a[0]=v` decode to nested objects and arrays. GET/DELETE query strings
 * use the same rules.
 */
export type Param = string | Param[] | Params;
export interface Params {
  [key: string]: Param;
}

/** Indexes above this make an object with numeric keys rather than a (huge, sparse) array. */
const MAX_ARRAY_INDEX = 1000;

function decode(s: string): string {
  if (s.indexOf('+') !== -1) s = s.replaceAll('+', ' ');
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  let i = open;
  while (i < key.length && key[i] === '[') {
    const close = key.indexOf(']', i);
    if (close === -1) break;
    parts.push(key.slice(i + 1, close));
    i = close + 1;
  }
  if (i < key.length) {
    // Trailing garbage after the brackets: keep it in the last segment, as written.
    parts[parts.length - 1] += key.slice(i);
  }
  return parts;
}

function isIndex(seg: string): boolean {
  if (seg.length === 0 || seg.length > 4) return false;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(seg) <= MAX_ARRAY_INDEX;
}

function toObject(arr: Param[]): Params {
  const out: Params = {};
  arr.forEach((v, i) => {
    out[String(i)] = v;
  });
  return out;
}

type Container = Params | Param[];

function assign(root: Params, segs: string[], value: string): void {
  let container: Container = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (Array.isArray(container)) {
      if (seg === '') {
        if (last) {
          container.push(value);
          return;
        }
        // `a[][k]=v`: start a new element, unless the last one lacks this key (same object).
        const next = segs[i + 1]!;
        const tail: Param | undefined = container[container.length - 1];
        if (tail !== undefined && typeof tail === 'object' && !Array.isArray(tail) && !(next in tail)) {
          container = tail;
        } else {
          const fresh: Params = {};
          container.push(fresh);
          container = fresh;
        }
        continue;
      }
      if (!isIndex(seg)) {
        // A named key inside what looked like an array: the parent is really an object.
        const obj = toObject(container);
        replaceChild(root, segs, i, obj);
        container = obj;
      } else {
        const idx = Number(seg);
        if (last) {
          container[idx] = value;
          return;
        }
        let child: Param | undefined = container[idx];
        if (child === undefined || typeof child === 'string') {
          child = childFor(segs[i + 1]!);
          container[idx] = child;
        }
        container = child;
        continue;
      }
    }
    const obj = container as Params;
    if (last) {
      obj[seg] = value;
      return;
    }
    let child: Param | undefined = obj[seg];
    if (child === undefined || typeof child === 'string') {
      child = childFor(segs[i + 1]!);
      obj[seg] = child;
    }
    container = child;
  }
}

function childFor(nextSeg: string): Container {
  return nextSeg === '' || isIndex(nextSeg) ? [] : {};
}

/** Replace the container reached by `segs[0..depth)` with `value` (array → object promotion). */
function replaceChild(root: Params, segs: string[], depth: number, value: Params): void {
  let node: Container = root;
  for (let j = 0; j < depth - 1; j++) {
    const s = segs[j]!;
    node = (Array.isArray(node) ? node[Number(s)] : node[s]) as Container;
  }
  const key = segs[depth - 1]!;
  if (Array.isArray(node)) node[Number(key)] = value;
  else node[key] = value;
}

/** Decode a form body or query string (without the leading `?`). */
export function decodeForm(input: string): Params {
  const out: Params = {};
  if (input.length === 0) return out;
  let start = 0;
  while (start <= input.length) {
    let end = input.indexOf('&', start);
    if (end === -1) end = input.length;
    if (end > start) {
      const pair = input.slice(start, end);
      const eq = pair.indexOf('=');
      const rawKey = eq === -1 ? pair : pair.slice(0, eq);
      const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
      const key = decode(rawKey);
      if (key.length > 0) assign(out, splitKey(key), decode(rawValue));
    }
    start = end + 1;
  }
  return out;
}

/** Encode params the way the SDK does (used by tests and the trigger runner). */
export function encodeForm(params: Record<string, unknown>): string {
  const parts: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value === undefined) return;
    if (value === null) {
      parts.push(`${encodeURIComponent(prefix)}=`);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(`${prefix}[${i}]`, v);
      });
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}[${k}]` : k, v);
    } else {
      parts.push(
        `${encodeURIComponent(prefix).replaceAll('%5B', '[').replaceAll('%5D', ']')}=${encodeURIComponent(String(value))}`,
      );
    }
  };
  walk('', params);
  return parts.join('&');
}

/** Stable serialisation of decoded params, for comparing idempotent requests. */
export function canonicalParams(p: Param): string {
  if (typeof p === 'string') return JSON.stringify(p);
  if (Array.isArray(p)) return `[${p.map((v) => (v === undefined ? 'null' : canonicalParams(v))).join(',')}]`;
  const keys = Object.keys(p).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalParams(p[k]!)}`).join(',')}}`;
}
