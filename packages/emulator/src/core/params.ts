import { invalidRequest, missingParam } from './errors.js';
import type { Param, Params } from './form.js';

/**
 * Typed readers over decoded params. Each takes the parent object, the key and the parameter's full
 * name for error messages (defaults to the key; pass `recurring[interval]` for nested ones).
 * They throw Stripe-shaped 400s: `parameter_missing`, `parameter_invalid_integer`, … naming `param`.
 */

export function has(p: Params, key: string): boolean {
  return p[key] !== undefined;
}

export function str(p: Params, key: string, name = key): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${name} must be a string.`, name);
  return v;
}

export function reqStr(p: Params, key: string, name = key): string {
  const v = str(p, key, name);
  if (v === undefined || v === '') throw missingParam(name);
  return v;
}

/** A string that may be sent as `''` to clear the field: returns `null` for `''`. */
export function emptyableStr(p: Params, key: string, name = key): string | null | undefined {
  const v = str(p, key, name);
  if (v === '') return null;
  return v;
}

export function int(p: Params, key: string, name = key): number | undefined {
  const v = str(p, key, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) {
    throw invalidRequest(`Invalid integer: ${v}`, name, 'parameter_invalid_integer');
  }
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw invalidRequest(`Invalid integer: ${v}`, name, 'parameter_invalid_integer');
  return n;
}

export function reqInt(p: Params, key: string, name = key): number {
  const v = int(p, key, name);
  if (v === undefined) throw missingParam(name);
  return v;
}

export function num(p: Params, key: string, name = key): number | undefined {
  const v = str(p, key, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw invalidRequest(`Invalid decimal: ${v}`, name);
  return n;
}

/** A decimal kept as its string (e.g. `unit_amount_decimal`), validated. */
export function decimalStr(p: Params, key: string, name = key): string | undefined {
  const v = str(p, key, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw invalidRequest(`Invalid decimal: ${v}`, name);
  return v;
}

export function bool(p: Params, key: string, name = key): boolean | undefined {
  const v = str(p, key, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidRequest(`Invalid boolean: ${v}`, name);
}

export function oneOf<T extends string>(
  p: Params,
  key: string,
  allowed: readonly T[],
  name = key,
): T | undefined {
  const v = str(p, key, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw invalidRequest(`Invalid ${name}: must be one of ${allowed.join(', ')}`, name);
  }
  return v as T;
}

/** A nested object (`a[b]=…`). Arrays with numeric keys are turned back into objects. */
export function obj(p: Params, key: string, name = key): Params | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    throw invalidRequest(`Invalid object: ${name} must be a hash (use ${name}[key]=value).`, name);
  }
  if (Array.isArray(v)) {
    const out: Params = {};
    v.forEach((x, i) => {
      if (x !== undefined) out[String(i)] = x;
    });
    return out;
  }
  return v;
}

/** An array (`a[]=…` or `a[0]=…`); an object with only numeric keys counts as one. */
export function arr(p: Params, key: string, name = key): Param[] | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.filter((x) => x !== undefined);
  if (typeof v === 'string') {
    if (v === '') return [];
    throw invalidRequest(`Invalid array: ${name} must be an array (use ${name}[]=value).`, name);
  }
  const keys = Object.keys(v);
  if (keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => v[k]!);
  }
  throw invalidRequest(`Invalid array: ${name} must be an array.`, name);
}

export function strArr(p: Params, key: string, name = key): string[] | undefined {
  const a = arr(p, key, name);
  if (a === undefined) return undefined;
  return a.map((x, i) => {
    if (typeof x !== 'string') throw invalidRequest(`Invalid string: ${name}[${i}]`, `${name}[${i}]`);
    return x;
  });
}

/** The `expand[]` list. */
export function expandList(p: Params): string[] {
  return strArr(p, 'expand') ?? [];
}
