// A lean HTTP/1.1 path in front of Fastify for the one kind of request paydesk gets by the thousand:
// Stripe's webhook deliveries (a keep-alive connection carrying nothing but signed POSTs). Every
// connection starts here; a request this path serves is parsed from the socket and answered with one
// write, without node:http's request and response objects or Fastify's routing and hooks. The first
// request it does not serve — another method, path or HTTP version, a chunked or oversized body,
// `Expect`, an upgrade, anything malformed, or a request its handler declines (a bad signature, a
// failed store: their error answers are Fastify's) — goes to node:http with the rest of the
// connection, for good, and is answered there exactly as without this path. Answers carry the same
// headers Fastify's would (security headers, request-id, Date, keep-alive), are logged and counted in
// the same metrics.
import { Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { API_SECURITY_HEADERS } from './security-headers.js';

/** node:http's default `maxHeaderSize`: a longer head goes to node:http (which answers 431). */
const MAX_HEAD_BYTES = 16 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value node:http refuses: a control character other than tab. */
const BAD_VALUE = /[^\t -~\x80-\xff]/;
const DIGITS = /^[0-9]{1,9}$/;
/** Pipelined bytes held while a request is being answered, beyond which reading pauses. */
const MAX_PENDING_BYTES = 1024 * 1024;

/** What a fast handler gets of a request. */
export interface FastRequest {
  id: string;
  body: Buffer;
  /** The request's headers that a fast route asked for (lower-case names), each at most once. */
  headers: Readonly<Record<string, string | undefined>>;
}

/** A JSON answer; `undefined` from a handler hands the request to Fastify instead. */
export interface FastAnswer {
  status: number;
  body: string;
}

export type FastHandler = (request: FastRequest) => Promise<FastAnswer | undefined>;

export interface FastPathOptions {
  logger: Logger;
  bodyLimit: number;
  /** The request id for a request (a trusted `x-request-id` or a new one), as Fastify's genReqId. */
  requestId: (incoming: string | undefined) => string;
  /** Counts an answer in the HTTP metrics (method, route pattern, status, seconds). */
  observe: (method: string, route: string, status: number, seconds: number) => void;
  /** True once the app is closing: then every request goes to Fastify (which answers not_ready). */
  closing: () => boolean;
}

interface Route {
  handler: FastHandler;
  /** Header names (lower case) the handler reads. */
  headers: readonly string[];
}

interface Head {
  route: Route;
  path: string;
  contentLength: number;
  close: boolean;
  headers: Record<string, string | undefined>;
  requestId: string | undefined;
}

function ows(s: string, from: number): string {
  let a = from;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
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

const fixedHeaders = Object.entries(API_SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/** One connection on the fast path: requests answered in order, one at a time. */
class FastConnection {
  #pending: Buffer | undefined;
  #busy = false;
  #done = false;
  /** The client has finished sending (half-close): the connection ends after the last answer. */
  #ended = false;

  constructor(
    readonly socket: Socket,
    readonly server: FastPathServer,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(server.keepAliveTimeout);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  get idle(): boolean {
    return !this.#busy && this.#pending === undefined;
  }

  #onData = (chunk: Buffer): void => {
    this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    if (!this.#busy) this.#drain();
    // A client that pipelines far ahead of the answers waits (TCP backpressure), as with node:http.
    else if (this.#pending.length > MAX_PENDING_BYTES) this.socket.pause();
  };

  #onEnd = (): void => {
    this.#ended = true;
    if (!this.#busy) this.#finish();
  };

  /** After the client's half-close: what is left unparsed goes unanswered, as node:http does. */
  #finish(): void {
    this.#done = true;
    this.#pending = undefined;
    this.socket.end();
  }

  #onTimeout = (): void => {
    if (!this.#busy) this.socket.destroy();
  };

  #onError = (): void => {
    this.socket.destroy();
  };

  #onClose = (): void => {
    this.#done = true;
    this.server.fast.delete(this);
  };

  #drain(): void {
    while (this.#pending !== undefined && !this.#busy && !this.#done) {
      const buf = this.#pending;
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (buf.length >= MAX_HEAD_BYTES) this.#handOff(buf);
        return;
      }
      const head =
        headEnd + 4 <= MAX_HEAD_BYTES && !this.server.options.closing()
          ? this.server.parseHead(buf.toString('latin1', 0, headEnd))
          : undefined;
      if (head === undefined) {
        this.#handOff(buf);
        return;
      }
      const total = headEnd + 4 + head.contentLength;
      if (buf.length < total) return;
      this.#pending = total === buf.length ? undefined : buf.subarray(total);
      this.#serve(head, buf.subarray(0, total), buf.subarray(headEnd + 4, total));
    }
  }

  #serve(head: Head, request: Buffer, body: Buffer): void {
    const started = performance.now();
    const id = this.server.options.requestId(head.requestId);
    this.#busy = true;
    head.route.handler({ id, body, headers: head.headers }).then(
      (answer) => this.#answer(head, request, id, started, answer),
      (err: unknown) => {
        this.server.options.logger.error({ err, request_id: id }, 'fast path: handler failed');
        this.#answer(head, request, id, started, undefined);
      },
    );
  }

  #answer(head: Head, request: Buffer, id: string, started: number, answer: FastAnswer | undefined): void {
    this.#busy = false;
    if (this.socket.destroyed) return;
    this.socket.resume();
    if (answer === undefined) {
      // Fastify answers this request (and everything after it on this connection).
      const rest = this.#pending;
      this.#handOff(rest === undefined ? request : Buffer.concat([request, rest]));
      return;
    }
    const close = head.close || !this.server.listening || (this.#ended && this.#pending === undefined);
    const text =
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'unknown'}\r\n` +
      `request-id: ${id}\r\n${fixedHeaders}content-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(answer.body)}\r\nDate: ${httpDate()}\r\n` +
      (close
        ? 'Connection: close\r\n\r\n'
        : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.server.keepAliveTimeout / 1000)}\r\n\r\n`) +
      answer.body;
    this.socket.write(text);
    const seconds = (performance.now() - started) / 1000;
    this.server.options.observe('POST', head.path, answer.status, seconds);
    if (this.server.options.logger.isLevelEnabled('info'))
      this.server.options.logger.info(
        {
          request_id: id,
          req: { method: 'POST', url: head.path },
          res: { statusCode: answer.status },
          responseTime: seconds * 1000,
        },
        'request completed',
      );
    if (close) {
      this.#finish();
      return;
    }
    this.#drain();
    if (this.#ended && !this.#busy && !this.#done) this.#finish();
  }

  /** Gives the connection to node:http from `from` on (nothing of it has been answered). */
  #handOff(from: Buffer): void {
    const { socket } = this;
    this.#done = true;
    this.#pending = undefined;
    this.server.fast.delete(this);
    socket.pause();
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('timeout', this.#onTimeout);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
    socket.setTimeout(0);
    socket.unshift(from);
    this.server.toNodeHttp(socket);
    socket.resume();
  }
}

/**
 * A node:http `Server` (Fastify's, through its `serverFactory`) whose connections start on the fast
 * path for the routes added with `addRoute`, and move to node:http for good at the first request it
 * does not serve. `close()`, `closeAllConnections()` and `closeIdleConnections()` cover the fast
 * connections too.
 */
export class FastPathServer extends Server {
  readonly fast = new Set<FastConnection>();
  readonly #routes = new Map<string, Route>();
  readonly #nodeListeners: ((socket: Socket) => void)[];

  constructor(
    handler: ConstructorParameters<typeof Server>[1],
    readonly options: FastPathOptions,
  ) {
    super({}, handler);
    this.#nodeListeners = this.listeners('connection') as ((socket: Socket) => void)[];
    this.removeAllListeners('connection');
    this.on('connection', (socket: Socket) => {
      if (this.#routes.size === 0) this.toNodeHttp(socket);
      else this.fast.add(new FastConnection(socket, this));
    });
  }

  /** Serves `POST path` on the fast path; the handler reads the named headers. */
  addRoute(path: string, headers: readonly string[], handler: FastHandler): void {
    this.#routes.set(path, { handler, headers: headers.map((h) => h.toLowerCase()) });
  }

  /**
   * The request head (latin1, up to the blank line) when the fast path serves it: `POST` of an added
   * path, exactly, over HTTP/1.1, with a Host, a Content-Length within the body limit and no
   * Transfer-Encoding, Expect or Upgrade, `Connection` keep-alive or close, every header well formed
   * and the ones the route reads given once. Anything else: undefined (node:http takes it).
   */
  parseHead(text: string): Head | undefined {
    const eol = text.indexOf('\r\n');
    const line = eol === -1 ? text : text.slice(0, eol);
    if (!line.startsWith('POST ') || !line.endsWith(' HTTP/1.1')) return undefined;
    const path = line.slice(5, -9);
    const route = this.#routes.get(path);
    if (!route) return undefined;
    const head: Head = { route, path, contentLength: -1, close: false, headers: {}, requestId: undefined };
    let host = false;
    let at = eol === -1 ? text.length : eol + 2;
    while (at < text.length) {
      let end = text.indexOf('\r\n', at);
      if (end === -1) end = text.length;
      const header = text.slice(at, end);
      at = end + 2;
      const colon = header.indexOf(':');
      if (colon <= 0) return undefined;
      const name = header.slice(0, colon);
      if (!TOKEN.test(name)) return undefined;
      const value = ows(header, colon + 1);
      if (BAD_VALUE.test(value)) return undefined;
      const lower = name.toLowerCase();
      switch (lower) {
        case 'content-length':
          if (head.contentLength !== -1 || !DIGITS.test(value)) return undefined;
          head.contentLength = Number(value);
          if (head.contentLength > this.options.bodyLimit) return undefined;
          break;
        case 'connection':
          for (const token of value.toLowerCase().split(',')) {
            const t = ows(token, 0);
            if (t === 'close') head.close = true;
            else if (t !== 'keep-alive') return undefined;
          }
          break;
        case 'host':
          if (host) return undefined;
          host = true;
          break;
        case 'x-request-id':
          if (head.requestId !== undefined) return undefined;
          head.requestId = value;
          break;
        case 'transfer-encoding':
        case 'expect':
        case 'upgrade':
          return undefined;
        default:
          if (route.headers.includes(lower)) {
            if (head.headers[lower] !== undefined) return undefined;
            head.headers[lower] = value;
          }
      }
    }
    return host && head.contentLength > 0 ? head : undefined;
  }

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
