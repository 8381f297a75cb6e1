import type { Collection, Identified } from './collection.js';
import { invalidRequest } from './errors.js';
import type { Params } from './form.js';
import { int, reqStr, str } from './params.js';

/**
 * Stripe's Search Query Language over a collection (`GET /v1/<resource>/search?query=…`):
 * clauses `field:value` (exact; `:null` for an empty field), `field~"sub"` (substring, 3 characters
 * or more), `field>n`, `field<n`, `>=`, `<=` (numbers), `-field:value` (negation) and
 * `metadata['key']:'value'`, joined by `AND` or by `OR` (not both), at most 10 clauses. Strings are
 * quoted with `"` or `'`. Search here is immediately consistent (Stripe's is eventually consistent).
 */
export type FieldKind = 'string' | 'number' | 'boolean';
export interface SearchField<T> {
  kind: FieldKind;
  get(obj: T): unknown;
}
export type SearchFields<T> = Readonly<Record<string, SearchField<T>>>;

export interface SearchResult<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
  total_count?: number;
}

type Op = ':' | '~' | '>' | '<' | '>=' | '<=';
interface Clause {
  field: string;
  metaKey: string | undefined;
  op: Op;
  value: string;
  negate: boolean;
}

const MAX_CLAUSES = 10;

function parseError(): never {
  throw invalidRequest(
    "We were unable to parse your search query. Try using the format `metadata['key']:'value'` to query " +
      "for metadata or `key:'value'` to query for other fields.",
    'query',
    'search_query_invalid',
  );
}

/** `email:"a@b.c" AND metadata['k']:'v'` → its clauses and how they are joined. */
export function parseQuery(query: string): { clauses: Clause[]; join: 'AND' | 'OR' } {
  const clauses: Clause[] = [];
  let join: 'AND' | 'OR' | undefined;
  let i = 0;
  const skipSpaces = () => {
    while (query[i] === ' ') i++;
  };
  const quoted = (): string => {
    const q = query[i];
    if (q !== '"' && q !== "'") parseError();
    const end = query.indexOf(q, i + 1);
    if (end === -1) parseError();
    const v = query.slice(i + 1, end);
    i = end + 1;
    return v;
  };
  for (;;) {
    skipSpaces();
    if (i >= query.length) break;
    if (clauses.length > 0) {
      const word = /^(AND|OR)\s+/.exec(query.slice(i));
      if (!word) parseError();
      const j = word[1] as 'AND' | 'OR';
      if (join !== undefined && join !== j) {
        throw invalidRequest(
          'Search queries may not contain both AND and OR. Use only one of them.',
          'query',
          'search_query_invalid',
        );
      }
      join = j;
      i += word[0].length;
    }
    const negate = query[i] === '-';
    if (negate) i++;
    const name = /^[a-z_][a-z0-9_.]*/.exec(query.slice(i));
    if (!name) parseError();
    i += name[0].length;
    let metaKey: string | undefined;
    if (query[i] === '[') {
      i++;
      metaKey = quoted();
      if (query[i] !== ']') parseError();
      i++;
    }
    const op = /^(>=|<=|:|~|>|<)/.exec(query.slice(i))?.[1] as Op | undefined;
    if (op === undefined) parseError();
    i += op.length;
    let value: string;
    if (query[i] === '"' || query[i] === "'") value = quoted();
    else {
      const bare = /^[^\s]+/.exec(query.slice(i));
      if (!bare) parseError();
      value = bare[0];
      i += value.length;
    }
    clauses.push({ field: name[0], metaKey, op, value, negate });
    if (clauses.length > MAX_CLAUSES) {
      throw invalidRequest(
        `Search queries may contain at most ${MAX_CLAUSES} clauses.`,
        'query',
        'search_query_invalid',
      );
    }
  }
  if (clauses.length === 0) parseError();
  return { clauses, join: join ?? 'AND' };
}

function compileClause<T>(c: Clause, fields: SearchFields<T>, resource: string): (obj: T) => boolean {
  let test: (obj: T) => boolean;
  if (c.field === 'metadata') {
    if (c.metaKey === undefined || c.op !== ':') parseError();
    const key = c.metaKey;
    test = (obj) => {
      const md = (obj as { metadata?: Record<string, string> | null }).metadata;
      const v = md?.[key];
      return c.value === 'null' ? v === undefined : v === c.value;
    };
  } else {
    const f = fields[c.field];
    if (f === undefined || c.metaKey !== undefined) {
      throw invalidRequest(
        `Field '${c.field}' is an unsupported search field for resource ${resource}. See ` +
          `https://stripe.com/docs/search#query-fields-for-${resource.replaceAll('_', '-')} for a list of supported fields.`,
        'query',
        'search_query_invalid',
      );
    }
    test = fieldTest(f, c);
  }
  return c.negate ? (obj) => !test(obj) : test;
}

function fieldTest<T>(f: SearchField<T>, c: Clause): (obj: T) => boolean {
  if (c.op === ':') {
    if (c.value === 'null') return (obj) => f.get(obj) === null || f.get(obj) === undefined;
    if (f.kind === 'number') {
      const n = number(c);
      return (obj) => f.get(obj) === n;
    }
    if (f.kind === 'boolean') return (obj) => String(f.get(obj)) === c.value;
    const want = c.value.toLowerCase();
    return (obj) => String(f.get(obj) ?? '').toLowerCase() === want;
  }
  if (c.op === '~') {
    if (f.kind !== 'string') unsupportedOp(c);
    if (c.value.length < 3) {
      throw invalidRequest(
        'Substring matching (`~`) needs a value of at least 3 characters.',
        'query',
        'search_query_invalid',
      );
    }
    const want = c.value.toLowerCase();
    return (obj) =>
      String(f.get(obj) ?? '')
        .toLowerCase()
        .includes(want);
  }
  if (f.kind !== 'number') unsupportedOp(c);
  const n = number(c);
  const cmp = {
    '>': (x: number) => x > n,
    '<': (x: number) => x < n,
    '>=': (x: number) => x >= n,
    '<=': (x: number) => x <= n,
  }[c.op];
  return (obj) => {
    const v = f.get(obj);
    return typeof v === 'number' && cmp(v);
  };
}

function number(c: Clause): number {
  if (!/^-?\d+$/.test(c.value)) {
    throw invalidRequest(`The value of '${c.field}' must be a number.`, 'query', 'search_query_invalid');
  }
  return Number(c.value);
}

function unsupportedOp(c: Clause): never {
  throw invalidRequest(
    `The operator '${c.op}' is not supported for the field '${c.field}'.`,
    'query',
    'search_query_invalid',
  );
}

/** The page of results for `query`, newest first; `page` is the `next_page` of the previous page. */
export function search<T extends Identified>(
  col: Collection<T>,
  params: Params,
  url: string,
  resource: string,
  fields: SearchFields<T>,
  extra?: (obj: T) => boolean,
): SearchResult<T> {
  const query = reqStr(params, 'query');
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
  const page = str(params, 'page');
  let offset = 0;
  if (page !== undefined && page !== '') {
    const m = /^page_(\d+)$/.exec(Buffer.from(page, 'base64url').toString());
    if (!m) throw invalidRequest(`Invalid page: ${page}`, 'page');
    offset = Number(m[1]);
  }
  const { clauses, join } = parseQuery(query);
  const tests = clauses.map((c) => compileClause(c, fields, resource));
  const match = join === 'AND' ? (o: T) => tests.every((t) => t(o)) : (o: T) => tests.some((t) => t(o));
  const all: T[] = [];
  for (let i = col.end - 1; i >= 0; i--) {
    const v = col.at(i);
    if (v !== undefined && (extra === undefined || extra(v)) && match(v)) all.push(v);
  }
  const data = all.slice(offset, offset + limit);
  const more = offset + limit < all.length;
  const result: SearchResult<T> = {
    object: 'search_result',
    data,
    has_more: more,
    next_page: more ? Buffer.from(`page_${offset + limit}`).toString('base64url') : null,
    url,
  };
  const expand = params.expand;
  if (Array.isArray(expand) && expand.includes('total_count')) result.total_count = all.length;
  return result;
}

/** A field read from a path (`billing_details.address.postal_code`). */
export function field<T>(kind: FieldKind, path?: string): SearchField<T> {
  if (path === undefined) return { kind, get: () => undefined };
  const parts = path.split('.');
  return {
    kind,
    get: (obj) => {
      let v: unknown = obj;
      for (const p of parts)
        v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[p];
      return v;
    },
  };
}
