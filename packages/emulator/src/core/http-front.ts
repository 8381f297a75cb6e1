import { type FrontConnection, HttpFront, parseRequestHead, setOnce, statusLine } from '@paydesk/http-front';
import type { ApiRequest, ApiResponse, App } from './app.js';
import { createHttpHandler, type HttpHandlerOptions, MAX_BODY_BYTES, requestLog } from './http.js';

export { MAX_HEAD_BYTES } from '@paydesk/http-front';

/** An API request target: origin-form under `/v1/`, visible ASCII, no fragment. */
const API_TARGET = /^\/v1\/[\x21\x22\x24-\x7e]*$/;
/** Beyond ASCII, in a head made of checked values (tab, CR, LF and visible characters otherwise). */
const NON_ASCII = /[^\t\r\n -~]/;

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

const apiRules = {
  bodyLimit: MAX_BODY_BYTES,
  begin(method: string, target: string): Head | undefined {
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') return undefined;
    if (!API_TARGET.test(target)) return undefined;
    return {
      method,
      target,
      contentLength: 0,
      close: false,
      authorization: undefined,
      idempotencyKey: undefined,
      stripeVersion: undefined,
    };
  },
  /** The three headers the API reads, each at most once. */
  header(head: Head, name: string, value: string): boolean {
    switch (name) {
      case 'authorization':
        return setOnce(head, 'authorization', value);
      case 'idempotency-key':
        return setOnce(head, 'idempotencyKey', value);
      case 'stripe-version':
        return setOnce(head, 'stripeVersion', value);
    }
    return true;
  },
};

/**
 * Parses a request head when it is the common case the fast path serves: `GET`/`POST`/`DELETE` of a
 * `/v1/` path over HTTP/1.1, with an optional Content-Length body and the API's headers given at most
 * once (see `parseRequestHead` for the rest). Anything else returns undefined: node:http's.
 */
export function parseHead(head: string): Head | undefined {
  return parseRequestHead(head, apiRules);
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
 * The emulator's HTTP server: an `HttpFront` (@paydesk/http-front) whose lean path takes the API's
 * common case (keep-alive `/v1/` requests with a Content-Length body, answered with one write), while
 * node:http serves everything else (see `parseHead`) through `createHttpHandler`. Responses are the same
 * either way: status line, the API's headers, Content-Length, Date, Connection/Keep-Alive.
 */
export class ApiServer extends HttpFront<Head> {
  constructor(
    readonly app: App,
    readonly options: HttpHandlerOptions,
    keepAliveTimeout: number,
  ) {
    super({ keepAliveTimeout }, createHttpHandler(app, options));
  }

  override parseHead(text: string): Head | undefined {
    return parseHead(text);
  }

  override serve(conn: FrontConnection<Head>, head: Head, data: Buffer, from: number, to: number): void {
    const started = this.options.onRequest ? performance.now() : 0;
    const q = head.target.indexOf('?');
    const req: ApiRequest = {
      method: head.method,
      path: q === -1 ? head.target : head.target.slice(0, q),
      query: q === -1 ? '' : head.target.slice(q + 1),
      body: from === to ? '' : data.toString('utf8', from, to),
      authorization: head.authorization,
      idempotencyKey: head.idempotencyKey,
      stripeVersion: head.stripeVersion,
    };
    const out = this.app.dispatch(req);
    if (out instanceof Promise) {
      out.then(
        (r) => this.#answer(conn, req, r, started),
        (err: unknown) => {
          console.error('[emulator] dispatch failed', err);
          this.#send(conn, req, internalError(), started);
        },
      );
    } else this.#answer(conn, req, out, started);
  }

  /** Sends the answer, after the latency injected for its route if any. */
  #answer(connection: FrontConnection<Head>, req: ApiRequest, r: ApiResponse, started: number): void {
    const { delayFor } = this.options;
    const delay = delayFor ? delayFor(req.method, r.pattern ?? req.path) : 0;
    if (delay > 0) setTimeout(() => this.#send(connection, req, r, started), delay);
    else this.#send(connection, req, r, started);
  }

  #send(connection: FrontConnection<Head>, req: ApiRequest, r: ApiResponse, started: number): void {
    let head = statusLine(r.status);
    for (const name in r.headers) head += `${name}: ${r.headers[name]}\r\n`;
    head += `Content-Length: ${Buffer.byteLength(r.body)}\r\n`;
    // Logged before the write, so that answers given at once to pipelined requests log in order.
    this.options.onRequest?.(requestLog(req.method, req.path, r, started));
    connection.respond(head, r.body, NON_ASCII.test(head));
  }
}
