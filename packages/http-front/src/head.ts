/** node:http's default `maxHeaderSize`: a request head this long or longer goes to node:http (431). */
export const MAX_HEAD_BYTES = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value node:http refuses: a control character other than tab (latin1 text: 0x00–0xff). */
const BAD_VALUE = /[^\t -~\x80-\xff]/;
const DIGITS = /^[0-9]{1,9}$/;

/** What the front itself reads of every request head: its framing. */
export interface RequestHead {
  /** The body's length (0 without a Content-Length). */
  contentLength: number;
  /** `Connection: close` was asked for. */
  close: boolean;
}

/** What a front adds to `parseRequestHead`: which requests it serves, and the headers it reads. */
export interface HeadRules<H extends RequestHead> {
  /** The largest body the front reads; a longer Content-Length is left to node:http. */
  readonly bodyLimit: number;
  /**
   * A fresh head (`contentLength` 0, `close` false) for a request line the front serves — the method
   * and target as sent, the version being HTTP/1.1 — or undefined for node:http.
   */
  begin(method: string, target: string): H | undefined;
  /**
   * Any header but the framing ones, `host` included: its lower-case name and its value without
   * surrounding whitespace. False refuses the request (e.g. a header the front reads, given twice).
   */
  header(head: H, name: string, value: string): boolean;
}

/** Sets `record[key]` to a header's `value` unless it is set already: false then (given twice). */
export function setOnce<K extends PropertyKey>(
  record: { [key in K]?: string | undefined },
  key: K,
  value: string,
): boolean {
  if (record[key] !== undefined) return false;
  record[key] = value;
  return true;
}

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'];

/** The request line's method (`text` up to `end`): a constant for the common ones, so no new string. */
function methodOf(text: string, end: number): string {
  for (const m of METHODS) if (m.length === end && text.startsWith(m)) return m;
  return text.slice(0, end);
}

/** Strips optional whitespace (SP / HTAB only, as HTTP defines it) around a header value. */
function ows(s: string, from: number): string {
  let a = from;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}

/**
 * Parses a request head (latin1 text up to, not including, the blank line) when it is the common case
 * a front serves: a request line `rules.begin` takes over HTTP/1.1, one Host, at most one
 * Content-Length within `rules.bodyLimit`, `Connection` keep-alive and/or close, every header line well
 * formed and accepted by `rules.header`. Anything else — chunked bodies, `Expect`, `Upgrade`, other
 * `Connection` tokens, malformed lines, obsolete line folding — returns undefined, and the connection
 * goes to node:http, which answers it as it always has (including its 400 for malformed input).
 */
export function parseRequestHead<H extends RequestHead>(text: string, rules: HeadRules<H>): H | undefined {
  let eol = text.indexOf('\r\n');
  if (eol === -1) eol = text.length;
  const sp1 = text.indexOf(' ');
  if (sp1 === -1 || sp1 > eol) return undefined;
  const sp2 = text.indexOf(' ', sp1 + 1);
  if (sp2 === -1 || sp2 + 9 !== eol || !text.startsWith('HTTP/1.1', sp2 + 1)) return undefined;
  const head = rules.begin(methodOf(text, sp1), text.slice(sp1 + 1, sp2));
  if (head === undefined) return undefined;

  let seenLength = false;
  let seenHost = false;
  let at = eol + 2;
  while (at < text.length) {
    let end = text.indexOf('\r\n', at);
    if (end === -1) end = text.length;
    const line = text.slice(at, end);
    at = end + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const value = ows(line, colon + 1);
    if (BAD_VALUE.test(value)) return undefined;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'content-length':
        if (seenLength || !DIGITS.test(value)) return undefined;
        seenLength = true;
        head.contentLength = Number(value);
        if (head.contentLength > rules.bodyLimit) return undefined;
        break;
      case 'connection':
        for (const token of value.toLowerCase().split(',')) {
          const t = ows(token, 0);
          if (t === 'close') head.close = true;
          else if (t !== 'keep-alive') return undefined;
        }
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return undefined;
      case 'host':
        if (seenHost) return undefined;
        seenHost = true;
        if (!rules.header(head, lower, value)) return undefined;
        break;
      default:
        if (!rules.header(head, lower, value)) return undefined;
    }
  }
  // node:http answers 400 to an HTTP/1.1 request without Host (its `requireHostHeader`).
  return seenHost ? head : undefined;
}
