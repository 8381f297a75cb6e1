// The few fields of a delivered event that ingest needs (its row's columns), read from the body's
// bytes without building the event: id, type, created, livemode, api_version and data.object.id.
// Parsing the whole 2-5 KB body into objects was the largest single cost of a delivery; the event is
// parsed when it is applied instead (webhooks/event-queue.ts).
//
// This reads structure, it does not validate: on well-formed JSON it finds what JSON.parse would
// (the last of a repeated key, as JSON.parse keeps), and the database, which stores the body as
// `json`, is what refuses a body that is not well-formed (webhooks/ingest.ts answers that delivery
// 400 and stores the rest of its batch). Given a depth limit, it also finds no head in a body that
// nests deeper than that: the same walk is the depth check (webhooks/nesting.ts), with no second pass.

export interface EventHead {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  api_version: string | null;
  /** data.object.id, when it is a string. */
  object_id: string | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

class Malformed extends Error {}
const malformed = new Malformed();

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Whether the last string stringEnd() went over holds an escape (a backslash). */
let escaped = false;

/** How many objects the walk is inside (members() calls open), and how many it may be inside. */
let level = 0;
let maxDepth = Number.POSITIVE_INFINITY;

/**
 * Where the string opening at `at` (a quote) ends: the index just after its closing quote. A byte at
 * a time: the strings of an event are short, and this is cheaper than a native indexOf per string.
 */
function stringEnd(raw: Uint8Array, at: number): number {
  const n = raw.length;
  let i = at + 1;
  escaped = false;
  while (i < n) {
    const b = raw[i];
    if (b === QUOTE) return i + 1;
    if (b === BACKSLASH) {
      escaped = true;
      i += 2; // the escaped byte (a quote, a backslash, or the first of \uXXXX) is not the end
    } else i++;
  }
  throw malformed;
}

/** The string from `at` to `end` (quotes included; `hasEscape` from stringEnd), decoded. */
function stringValue(raw: Buffer, at: number, end: number, hasEscape: boolean): string {
  if (!hasEscape) return raw.toString('utf8', at + 1, end - 1);
  return JSON.parse(raw.toString('utf8', at, end)) as string;
}

/** The index just after the value starting at `at` (an object, an array, a string or a scalar). */
function skipValue(raw: Uint8Array, at: number): number {
  const n = raw.length;
  const first = raw[at];
  if (first === QUOTE) return stringEnd(raw, at);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    // Objects and arrays this value may open inside each other within the depth limit.
    const room = maxDepth - level;
    let depth = 0;
    let i = at;
    while (i < n) {
      const b = raw[i];
      if (b === QUOTE) {
        // A string inside: to its closing quote.
        i++;
        while (i < n) {
          const c = raw[i];
          if (c === QUOTE) break;
          i += c === BACKSLASH ? 2 : 1;
        }
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++depth > room) throw malformed;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw malformed;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < n) {
    const b = raw[i] as number;
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
    i++;
  }
  if (i === at) throw malformed;
  return i;
}

function skipSpace(raw: Buffer, at: number): number {
  let i = at;
  while (i < raw.length && isSpace(raw[i] as number)) i++;
  return i;
}

/**
 * The member's key, when it is one of `wanted` (compared as bytes; a key written with escapes is
 * decoded first, as `"\u0069d"` is `id`), else undefined.
 */
function keyOf(raw: Buffer, at: number, end: number, hasEscape: boolean, wanted: readonly string[]) {
  if (hasEscape) {
    const key = stringValue(raw, at, end, true);
    return wanted.includes(key) ? key : undefined;
  }
  const length = end - at - 2;
  for (const w of wanted) {
    if (w.length !== length) continue;
    let k = 0;
    while (k < length && raw[at + 1 + k] === w.charCodeAt(k)) k++;
    if (k === length) return w;
  }
  return undefined;
}

/**
 * Goes over the members of the object opening at `at`: the value of a key in `wanted` is read by
 * `member(key, valueStart)`, which returns where the value ends; any other value is skipped. Each
 * byte is looked at once: a wanted value that is itself an object is read by its own members() call
 * instead of being skipped first. Returns the index just after the object.
 */
function members(
  raw: Buffer,
  at: number,
  wanted: readonly string[],
  member: (key: string, start: number) => number,
): number {
  if (raw[at] !== OPEN_BRACE) throw malformed;
  if (++level > maxDepth) throw malformed;
  let i = skipSpace(raw, at + 1);
  if (raw[i] === CLOSE_BRACE) {
    level--;
    return i + 1;
  }
  for (;;) {
    if (raw[i] !== QUOTE) throw malformed;
    const keyEnd = stringEnd(raw, i);
    const key = keyOf(raw, i, keyEnd, escaped, wanted);
    i = skipSpace(raw, keyEnd);
    if (raw[i] !== COLON) throw malformed;
    const start = skipSpace(raw, i + 1);
    const end = key === undefined ? skipValue(raw, start) : member(key, start);
    i = skipSpace(raw, end);
    if (raw[i] === COMMA) {
      i = skipSpace(raw, i + 1);
      continue;
    }
    if (raw[i] === CLOSE_BRACE) {
      level--;
      return i + 1;
    }
    throw malformed;
  }
}

const TOP = ['id', 'type', 'created', 'livemode', 'api_version', 'data'];
const OBJECT = ['object'];
const ID = ['id'];

/** The string value at `at` (undefined if the value there is not a string); `end` receives its end. */
function stringAt(raw: Buffer, at: number, end: { at: number }): string | undefined {
  end.at = skipValue(raw, at);
  return raw[at] === QUOTE ? stringValue(raw, at, end.at, escaped) : undefined;
}

/** Whether the bytes from `at` to `end` are exactly `word` (ASCII). */
function bytesAre(raw: Buffer, at: number, end: number, word: string): boolean {
  if (end - at !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (raw[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** A JSON number from `at` to `end`: digits alone are read here, anything else by Number(). */
function numberAt(raw: Buffer, at: number, end: number): number {
  let n = 0;
  for (let k = at; k < end; k++) {
    const d = (raw[k] as number) - 0x30;
    if (d < 0 || d > 9 || k - at > 15) return Number(raw.toString('latin1', at, end));
    n = n * 10 + d;
  }
  return n;
}

/**
 * The head of the event in `raw`, or undefined when it is not shaped like a Stripe event (an object
 * with an `evt_` id, a type, an integer `created` and an object `data.object`) or, given `depthLimit`,
 * when it nests objects and arrays more than that many levels deep anywhere. A body this returns a
 * head for is well-formed as far as its structure goes and nests no deeper than `depthLimit`, as
 * nestsDeeperThan (nesting.ts) counts depth.
 */
export function readEventHead(raw: Buffer, depthLimit = Number.POSITIVE_INFINITY): EventHead | undefined {
  level = 0;
  maxDepth = depthLimit;
  let id: string | undefined;
  let type: string | undefined;
  let created: number | undefined;
  let livemode: boolean | undefined = false;
  let apiVersion: string | null | undefined = null;
  let objectId: string | null = null;
  let hasObject = false;
  const end = { at: 0 };
  try {
    const last = members(raw, skipSpace(raw, 0), TOP, (key, s) => {
      switch (key) {
        case 'id':
          id = stringAt(raw, s, end);
          return end.at;
        case 'type':
          type = stringAt(raw, s, end);
          return end.at;
        case 'created': {
          const e = skipValue(raw, s);
          created = raw[s] === QUOTE ? undefined : numberAt(raw, s, e);
          return e;
        }
        case 'livemode': {
          const e = skipValue(raw, s);
          livemode = bytesAre(raw, s, e, 'true') ? true : bytesAre(raw, s, e, 'false') ? false : undefined;
          return e;
        }
        case 'api_version': {
          apiVersion = stringAt(raw, s, end);
          if (apiVersion === undefined && bytesAre(raw, s, end.at, 'null')) apiVersion = null;
          return end.at;
        }
        default: // data
          hasObject = false;
          objectId = null;
          if (raw[s] !== OPEN_BRACE) return skipValue(raw, s);
          return members(raw, s, OBJECT, (_object, os) => {
            objectId = null;
            hasObject = raw[os] === OPEN_BRACE;
            if (!hasObject) return skipValue(raw, os);
            return members(raw, os, ID, (_id, is) => {
              objectId = stringAt(raw, is, end) ?? null;
              return end.at;
            });
          });
      }
    });
    if (skipSpace(raw, last) !== raw.length) return undefined;
  } catch (err) {
    if (err instanceof Malformed || err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (typeof id !== 'string' || !id.startsWith('evt_')) return undefined;
  if (typeof type !== 'string' || type === '') return undefined;
  if (typeof created !== 'number' || !Number.isSafeInteger(created)) return undefined;
  if (livemode === undefined || apiVersion === undefined) return undefined;
  if (!hasObject) return undefined;
  return { id, type, created, livemode, api_version: apiVersion, object_id: objectId };
}
