import { Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiRequest, ApiResponse, App } from './app.js';
import { createHttpHandler, type HttpHandlerOptions, MAX_BODY_BYTES, requestLog } from './http.js';

/** node:http's default `maxHeaderSize`: a request head this long or longer goes to node:http (431). */
export const MAX_HEAD_BYTES = 16 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value node:http refuses: a control character other than tab (latin1 text: 0x00–0xff). */
const BAD_VALUE = /[^\t -~\x80-\xff]/;
/** An API request target: origin-form under `/v1/`, visible ASCII, no fragment. */
const API_TARGET = /^\/v1\/[\x21\x22\x24-\x7e]*$/;
/** Beyond ASCII, in a head made of checked values (tab, CR, LF and visible characters otherwise). */
const NON_ASCII = /[^\t\r\n -~]/;
const DIGITS = /^[0-9]{1,7}$/;

/** The parts of a request head the API needs; `undefined` from `parseHead` means "not ours". */
interface Head {
  method: string;
  target: string;
  contentLength: number;
  close: boolean;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
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
 * the fast path serves: `GET`/`POST`/`DELETE` of a `/v1/` path over HTTP/1.1, an optional
 * Content-Length body, `Connection: keep-alive` or `close`, a Host header. Anything else — other methods or versions,
 * chunked bodies, `Expect`, `Upgrade`, unusual `Connection` tokens, duplicated headers the API reads,
 * malformed lines — returns undefined and the connection goes to node:http, which answers it as it
 * always has (including its 400 for malformed input).
 */
export function parseHead(head: string): Head | undefined {
  let eol = head.indexOf('\r\n');
  if (eol === -1) eol = head.length;
  const sp1 = head.indexOf(' ');
  if (sp1 === -1 || sp1 > eol) return undefined;
  const method = head.slice(0, sp1);
  if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') return undefined;
  const sp2 = head.indexOf(' ', sp1 + 1);
  if (sp2 === -1 || sp2 > eol || head.slice(sp2 + 1, eol) !== 'HTTP/1.1') return undefined;
  const target = head.slice(sp1 + 1, sp2);
  if (!API_TARGET.test(target)) return undefined;

  const out: Head = {
    method,
    target,
    contentLength: 0,
    close: false,
    authorization: undefined,
    idempotencyKey: undefined,
    stripeVersion: undefined,
  };
  let seenLength = false;
  let seenHost = false;
  let at = eol + 2;
  while (at < head.length) {
    let end = head.indexOf('\r\n', at);
    if (end === -1) end = head.length;
    const line = head.slice(at, end);
    at = end + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const value = ows(line, colon + 1);
    if (BAD_VALUE.test(value)) return undefined;
    switch (name.toLowerCase()) {
      case 'content-length':
        if (seenLength || !DIGITS.test(value)) return undefined;
        seenLength = true;
        out.contentLength = Number(value);
        if (out.contentLength > MAX_BODY_BYTES) return undefined;
        break;
      case 'connection':
        for (const token of value.toLowerCase().split(',')) {
          const t = ows(token, 0);
          if (t === 'close') out.close = true;
          else if (t !== 'keep-alive') return undefined;
        }
        break;
      case 'host':
        seenHost = true;
        break;
      case 'authorization':
        if (out.authorization !== undefined) return undefined;
        out.authorization = value;
        break;
      case 'idempotency-key':
        if (out.idempotencyKey !== undefined) return undefined;
        out.idempotencyKey = value;
        break;
      case 'stripe-version':
        if (out.stripeVersion !== undefined) return undefined;
        out.stripeVersion = value;
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return undefined;
    }
  }
  // node:http answers 400 to an HTTP/1.1 request without Host (its `requireHostHeader`).
  return seenHost ? out : undefined;
}

let dateText = '';
let dateUntil = 0;
/** The `Date` header, recomputed once a second (as node:http does). */
function httpDate(): string {
  const now = Date.now();
  if (now >= dateUntil) {
    dateText = new Date(now).toUTCString();
    dateUntil = now - (now % 1000) + 1000;
  }
  return dateText;
}

/** One keep-alive connection on the fast path. */
class FastConnection {
  #pending: Buffer | undefined;
  /** A response is on its way (async handler or injected latency): requests wait in `#pending`. */
  busy = false;
  #done = false;

  constructor(
    readonly socket: Socket,
    readonly front: ApiServer,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(front.keepAliveTimeout);
    socket.on('data', this.#onData);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** No request in progress and none partly received. */
  get idle(): boolean {
    return !this.busy && this.#pending === undefined;
  }

  #onData = (chunk: Buffer): void => {
    this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    if (!this.busy) this.#drain();
  };

  #onTimeout = (): void => {
    if (!this.busy) this.socket.destroy();
  };

  #onError = (): void => {
    this.socket.destroy();
  };

  #onClose = (): void => {
    this.#done = true;
    this.front.fast.delete(this);
  };

  /** Serves every complete request received, in order; stops while a response is pending. */
  #drain(): void {
    while (this.#pending !== undefined && !this.busy && !this.#done) {
      const buf = this.#pending;
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (buf.length >= MAX_HEAD_BYTES) this.#handOff();
        return;
      }
      const head = headEnd + 4 <= MAX_HEAD_BYTES ? parseHead(buf.toString('latin1', 0, headEnd)) : undefined;
      if (head === undefined) {
        this.#handOff();
        return;
      }
      const total = headEnd + 4 + head.contentLength;
      if (buf.length < total) return;
      const body = head.contentLength === 0 ? '' : buf.toString('utf8', headEnd + 4, total);
      this.#pending = total === buf.length ? undefined : buf.subarray(total);
      this.#serve(head, body);
    }
  }

  #serve(head: Head, body: string): void {
    const { onRequest, delayFor } = this.front.options;
    const started = onRequest ? performance.now() : 0;
    const q = head.target.indexOf('?');
    const path = q === -1 ? head.target : head.target.slice(0, q);
    const req: ApiRequest = {
      method: head.method,
      path,
      query: q === -1 ? '' : head.target.slice(q + 1),
      body,
      authorization: head.authorization,
      idempotencyKey: head.idempotencyKey,
      stripeVersion: head.stripeVersion,
    };
    const close = head.close || !this.front.listening;
    const send = (r: ApiResponse): void => {
      this.#write(r, close);
      onRequest?.(requestLog(req.method, path, r, started));
      if (close) {
        this.#done = true;
        this.#pending = undefined;
        this.socket.end();
      }
    };
    const answer = (r: ApiResponse): void => {
      const delay = delayFor ? delayFor(req.method, r.pattern ?? path) : 0;
      if (delay > 0) {
        this.busy = true;
        setTimeout(() => this.#resume(r, send), delay);
      } else if (this.busy) this.#resume(r, send);
      else send(r);
    };
    const out = this.front.app.dispatch(req);
    if (out instanceof Promise) {
      this.busy = true;
      out.then(answer, (err: unknown) => {
        console.error('[emulator] dispatch failed', err);
        this.#resume(internalError(), send);
      });
    } else answer(out);
  }

  /** Sends an answer that was waited for, then serves what arrived meanwhile. */
  #resume(r: ApiResponse, send: (r: ApiResponse) => void): void {
    this.busy = false;
    if (this.socket.destroyed) return;
    send(r);
    this.#drain();
  }

  /** One write: status line, the answer's headers, Content-Length, Date, Connection; then the body. */
  #write(r: ApiResponse, close: boolean): void {
    if (this.socket.destroyed) return;
    let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'unknown'}\r\n`;
    for (const name in r.headers) head += `${name}: ${r.headers[name]}\r\n`;
    head +=
      `Content-Length: ${Buffer.byteLength(r.body)}\r\nDate: ${httpDate()}\r\n` +
      (close ? 'Connection: close\r\n\r\n' : this.front.keepAliveHeaders);
    if (NON_ASCII.test(head)) {
      // Header values are latin1 on the wire (as node:http writes them); the body is UTF-8.
      this.socket.cork();
      this.socket.write(head, 'latin1');
      this.socket.write(r.body, 'utf8');
      this.socket.uncork();
    } else this.socket.write(head + r.body, 'utf8');
  }

  /**
   * Gives the connection to node:http from the request that starts `#pending` on (nothing of it has
   * been answered, and no earlier request is still pending).
   */
  #handOff(): void {
    const { socket } = this;
    const rest = this.#pending;
    this.#done = true;
    this.#pending = undefined;
    this.front.fast.delete(this);
    socket.pause();
    socket.removeListener('data', this.#onData);
    socket.removeListener('timeout', this.#onTimeout);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
    socket.setTimeout(0);
    if (rest !== undefined) socket.unshift(rest);
    this.front.toNodeHttp(socket);
    socket.resume();
  }
}

function internalError(): ApiResponse {
  return {
    status: 500,
    body: JSON.stringify({ error: { type: 'api_error', message: 'Internal emulator error.' } }),
    headers: { 'Content-Type': 'application/json' },
    pattern: undefined,
  };
}

/**
 * The emulator's HTTP server: a node:http `Server` whose connections start on a lean HTTP/1.1 path for
 * the API's common case (keep-alive `/v1/` requests with a Content-Length body, parsed here and answered
 * with one write), and move to node:http itself, for good, at the first request that path does not take
 * (see `parseHead`). Responses are the same either way: status line, the API's headers, Content-Length,
 * Date, Connection/Keep-Alive. Requests on one connection are answered in order, pipelined ones
 * included. Everything node:http offers — `address()`, `close()`, `closeAllConnections()`,
 * `closeIdleConnections()` — covers the fast connections too.
 */
export class ApiServer extends Server {
  readonly fast = new Set<FastConnection>();
  readonly #nodeListeners: ((socket: Socket) => void)[];

  constructor(
    readonly app: App,
    readonly options: HttpHandlerOptions,
    keepAliveTimeout: number,
  ) {
    super({ keepAliveTimeout }, createHttpHandler(app, options));
    this.#nodeListeners = this.listeners('connection') as ((socket: Socket) => void)[];
    this.removeAllListeners('connection');
    this.on('connection', (socket: Socket) => {
      this.fast.add(new FastConnection(socket, this));
    });
  }

  /** The last header lines of a keep-alive answer, as node:http writes them. */
  get keepAliveHeaders(): string {
    return `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.keepAliveTimeout / 1000)}\r\n\r\n`;
  }

  /** Runs node:http's own connection handling on `socket`. */
  toNodeHttp(socket: Socket): void {
    for (const l of this.#nodeListeners) l.call(this, socket);
  }

  override closeAllConnections(): void {
    for (const c of this.fast) c.socket.destroy();
    this.fast.clear();
    super.closeAllConnections();
  }

  override closeIdleConnections(): void {
    for (const c of this.fast) {
      if (c.idle) {
        c.socket.destroy();
        this.fast.delete(c);
      }
    }
    super.closeIdleConnections();
  }
}
