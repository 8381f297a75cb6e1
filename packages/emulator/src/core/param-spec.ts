import { isCurrency } from './currencies.js';
import { invalidRequest, missingParam, StripeError } from './errors.js';
import type { Param, Params } from './form.js';

/**
 * Declarative parameter descriptions, one per route, and the validator the router runs on every
 * request before its handler (and before an idempotency key is recorded: Stripe saves no result for a
 * request whose parameters failed validation).
 *
 * A spec is a leaf token or a node. Leaf tokens: `str` (`str:N`: at most N characters, else 5000),
 * `int`, `num`, `dec` (a decimal string), `bool`, `email`, `cur` (a currency code), `meta`
 * (metadata: a hash of strings), `map` (a hash of strings), `any`, `=a|b|c` (one of). A leading `!`
 * makes it required, a trailing `?` accepts `''` (which unsets). Nodes: `o({…})` a hash, `a(x)` an
 * array of x, `u(flags, …)` one of several forms (`created`: an integer or a range hash).
 */
export type Spec = string | SpecNode;
export interface SpecNode {
  readonly k: 'o' | 'a' | 'u';
  readonly flags: string;
  readonly fields?: Readonly<Record<string, Spec>>;
  readonly item?: Spec;
  readonly alts?: readonly Spec[];
}
/** `'POST /v1/customers'` → the hash of its parameters. */
export type RouteSpecs = Readonly<Record<string, SpecNode>>;

export const o = (fields: Record<string, Spec>, flags = ''): SpecNode => ({ k: 'o', flags, fields });
export const a = (item: Spec, flags = ''): SpecNode => ({ k: 'a', flags, item });
export const u = (flags: string, ...alts: Spec[]): SpecNode => ({ k: 'u', flags, alts });

type Kind =
  | 'str'
  | 'int'
  | 'num'
  | 'dec'
  | 'bool'
  | 'email'
  | 'cur'
  | 'meta'
  | 'map'
  | 'any'
  | 'enum'
  | 'obj'
  | 'arr'
  | 'union';

/** A compiled spec: what the validator walks. */
export interface Checker {
  readonly kind: Kind;
  readonly required: boolean;
  readonly emptyable: boolean;
  readonly max: number;
  readonly values: ReadonlySet<string> | undefined;
  readonly fields: ReadonlyMap<string, Checker> | undefined;
  readonly requiredFields: readonly string[];
  readonly item: Checker | undefined;
  readonly alts: readonly Checker[];
}

const LEAVES = new Set(['str', 'int', 'num', 'dec', 'bool', 'email', 'cur', 'meta', 'map', 'any']);
const DEFAULT_MAX = 5000;

export function compile(spec: Spec): Checker {
  if (typeof spec === 'string') return compileLeaf(spec);
  const required = spec.flags.includes('!');
  const emptyable = spec.flags.includes('?');
  const base = { required, emptyable, max: 0, values: undefined, requiredFields: [] as string[] };
  if (spec.k === 'o') {
    const fields = new Map<string, Checker>();
    const requiredFields: string[] = [];
    for (const [name, s] of Object.entries(spec.fields ?? {})) {
      const c = compile(s);
      fields.set(name, c);
      if (c.required) requiredFields.push(name);
    }
    return { ...base, kind: 'obj', fields, requiredFields, item: undefined, alts: [] };
  }
  if (spec.k === 'a') {
    return { ...base, kind: 'arr', fields: undefined, item: compile(spec.item ?? 'any'), alts: [] };
  }
  return { ...base, kind: 'union', fields: undefined, item: undefined, alts: (spec.alts ?? []).map(compile) };
}

/** `compile(spec)` on first use (so starting the emulator compiles nothing). */
export function lazyChecker(spec: Spec): () => Checker {
  let c: Checker | undefined;
  return () => {
    c ??= compile(spec);
    return c;
  };
}

function compileLeaf(token: string): Checker {
  let t = token;
  const required = t.startsWith('!');
  if (required) t = t.slice(1);
  const emptyable = t.endsWith('?');
  if (emptyable) t = t.slice(0, -1);
  const common = { required, emptyable, fields: undefined, requiredFields: [], item: undefined, alts: [] };
  if (t.startsWith('=')) return { ...common, kind: 'enum', max: 0, values: new Set(t.slice(1).split('|')) };
  const [kind, max] = t.split(':');
  if (!LEAVES.has(kind!)) throw new Error(`param spec: unknown leaf '${token}'`);
  return { ...common, kind: kind as Kind, max: max ? Number(max) : DEFAULT_MAX, values: undefined };
}

/** Throws Stripe's 400 for the first thing wrong with `params` against the route's hash. */
export function validateParams(root: Checker, params: Params): void {
  checkFields(root, params, '');
}

const child = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}[${key}]`);

function checkFields(c: Checker, value: Params, prefix: string): void {
  const fields = c.fields!;
  for (const key in value) {
    const f = fields.get(key);
    const name = child(prefix, key);
    if (f === undefined) {
      throw invalidRequest(`Received unknown parameter: ${name}`, name, 'parameter_unknown');
    }
    check(f, value[key]!, name);
  }
  for (const key of c.requiredFields) {
    if (value[key] === undefined) throw missingParam(child(prefix, key));
  }
}

function check(c: Checker, v: Param, name: string): void {
  if (v === '' && c.kind !== 'str' && c.kind !== 'any') {
    if (c.emptyable) return;
    if (c.kind === 'obj' || c.kind === 'arr' || c.kind === 'meta' || c.kind === 'map' || c.kind === 'union') {
      if (c.kind !== 'union' || !c.alts.some((x) => x.emptyable)) throw emptyError(name);
      return;
    }
    throw emptyError(name);
  }
  switch (c.kind) {
    case 'any':
      return;
    case 'str': {
      const s = leafString(v, name, 'string');
      if (s === '' && !c.emptyable) throw emptyError(name);
      if (s.length > c.max) {
        throw invalidRequest(
          `Invalid string: ${s.slice(0, 20)}...; must be at most ${c.max} characters`,
          name,
        );
      }
      return;
    }
    case 'int': {
      const s = leafString(v, name, 'integer');
      if (!/^-?\d{1,16}$/.test(s) || !Number.isSafeInteger(Number(s))) {
        throw invalidRequest(`Invalid integer: ${s}`, name, 'parameter_invalid_integer');
      }
      return;
    }
    case 'num':
    case 'dec': {
      const s = leafString(v, name, 'decimal');
      if (!/^-?\d+(\.\d+)?$/.test(s)) throw invalidRequest(`Invalid decimal: ${s}`, name);
      return;
    }
    case 'bool': {
      const s = leafString(v, name, 'boolean');
      if (s !== 'true' && s !== 'false') throw invalidRequest(`Invalid boolean: ${s}`, name);
      return;
    }
    case 'email': {
      const s = leafString(v, name, 'string');
      if (s.length > 512 || !EMAIL.test(s)) {
        throw invalidRequest(`Invalid email address: ${s}`, name, 'email_invalid');
      }
      return;
    }
    case 'cur': {
      const s = leafString(v, name, 'string');
      if (!isCurrency(s)) {
        throw invalidRequest(
          `Invalid currency: ${s.toLowerCase()}. Stripe currently supports these currencies: ` +
            'see https://stripe.com/docs/currencies',
          name,
        );
      }
      return;
    }
    case 'enum': {
      const s = leafString(v, name, 'string');
      const values = c.values!;
      if (!values.has(s)) throw invalidRequest(`Invalid ${name}: must be one of ${oneOf([...values])}`, name);
      return;
    }
    case 'meta':
    case 'map': {
      const h = hash(v, name);
      for (const key in h) {
        const x = h[key]!;
        if (typeof x !== 'string') {
          throw invalidRequest(`Invalid ${name}[${key}]: must be a string.`, `${name}[${key}]`);
        }
      }
      return;
    }
    case 'obj':
      checkFields(c, hash(v, name), name);
      return;
    case 'arr': {
      const items = list(v, name);
      for (let i = 0; i < items.length; i++) {
        if (items[i] !== undefined) check(c.item!, items[i]!, `${name}[${i}]`);
      }
      return;
    }
    case 'union': {
      const shape = typeof v === 'string' ? 'leaf' : 'tree';
      let last: StripeError | undefined;
      for (const alt of c.alts) {
        const altShape =
          alt.kind === 'obj' || alt.kind === 'arr' || alt.kind === 'meta' || alt.kind === 'map';
        if (alt.kind !== 'any' && altShape !== (shape === 'tree')) continue;
        try {
          check(alt, v, name);
          return;
        } catch (err) {
          if (!(err instanceof StripeError)) throw err;
          last = err;
        }
      }
      throw last ?? invalidRequest(`Invalid ${name}: unexpected value.`, name);
    }
  }
}

/** Stripe's loose e-mail check: something@something.tld, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function oneOf(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`;
}

function leafString(v: Param, name: string, what: string): string {
  if (typeof v === 'string') return v;
  throw invalidRequest(`Invalid ${what}: ${name} must be a ${what}, not a hash or an array.`, name);
}

function hash(v: Param, name: string): Params {
  if (typeof v === 'string') {
    throw invalidRequest(`Invalid object: ${name} must be a hash (use ${name}[key]=value).`, name);
  }
  if (Array.isArray(v)) {
    const out: Params = {};
    for (let i = 0; i < v.length; i++) if (v[i] !== undefined) out[String(i)] = v[i]!;
    return out;
  }
  return v;
}

function list(v: Param, name: string): (Param | undefined)[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') {
    throw invalidRequest(`Invalid array: ${name} must be an array (use ${name}[]=value).`, name);
  }
  const keys = Object.keys(v);
  if (keys.every((k) => /^\d+$/.test(k))) {
    const out: (Param | undefined)[] = [];
    for (const k of keys) out[Number(k)] = v[k];
    return out;
  }
  throw invalidRequest(`Invalid array: ${name} must be an array.`, name);
}

function emptyError(name: string): StripeError {
  return invalidRequest(
    `You passed an empty string for '${name}'. We assume empty values are an attempt to unset a ` +
      `parameter; however '${name}' cannot be unset. You should remove '${name}' from your request or ` +
      'supply a non-empty value.',
    name,
    'parameter_invalid_empty',
  );
}

/** The names a route accepts, nested ones as `a[b]` and array items as `a[][b]` (for docs and tests). */
export function acceptedNames(c: Checker, prefix = ''): string[] {
  const out: string[] = [];
  const walk = (x: Checker, p: string) => {
    if (x.kind === 'obj') {
      for (const [k, f] of x.fields!) {
        const n = child(p, k);
        out.push(n);
        walk(f, n);
      }
    } else if (x.kind === 'arr') walk(x.item!, `${p}[]`);
    else if (x.kind === 'union') for (const alt of x.alts) walk(alt, p);
  };
  walk(c, prefix);
  return [...new Set(out)];
}
