// A lean HTTP/1.1 path in front of Fastify for the one kind of request paydesk gets by the thousand:
// Stripe's webhook deliveries (a keep-alive connection carrying nothing but signed POSTs). It is an
// `HttpFront` (@paydesk/http-front, shared with the emulator): every connection starts there; a
// request this path serves is parsed from the socket and answered with one write, without node:http's
// request and response objects or Fastify's routing and hooks. The first request it does not serve —
// another method, path or HTTP version, a chunked or oversized body, `Expect`, an upgrade, anything
// malformed, or a request its handler declines (a bad signature, a body the database refuses, a failed
// store: their error answers are Fastify's) — goes to node:http with the rest of the connection, for
// good, and is answered there exactly as without this path.
//
// What Fastify would do around such a request, this path does too, and fast-path.parity.test.ts
// compares the two: the same headers (security headers, request-id, content type, Date, keep-alive),
// the same log lines and fields, the same metrics. A route is served here only once `guardFastPath`
// (fast-path-guard.ts) has found that every Fastify hook on it is one this path reproduces, so a hook
// added later (a rate limit, say) is never silently skipped: the route is left to Fastify instead.
import type { Socket } from 'node:net';
import { type FrontConnection, HttpFront, parseRequestHead, setOnce, statusLine } from '@paydesk/http-front';
import type { Logger } from '../logger.js';
import { API_SECURITY_HEADERS } from './security-headers.js';

/** What a fast handler gets of a request. */
export class FastRequest {
  constructor(
    readonly id: string,
    readonly body: Buffer,
    /** The request's headers that a fast route asked for (lower-case names), each at most once. */
    readonly headers: Readonly<Record<string, string | undefined>>,
    readonly path: string,
    readonly host: string,
    readonly socket: Socket,
    readonly logger: Logger,
  ) {}

  /**
   * Logs Fastify's `incoming request` line for this request (Fastify trusts no proxy here, so its
   * `req.ip` is the socket's address). A handler calls it once it knows that it
   * answers the request (a declined request gets its line from Fastify), before anything it logs.
   */
  logIncoming(): void {
    if (!this.logger.isLevelEnabled('info')) return;
    this.logger.info(
      {
        request_id: this.id,
        req: {
          method: 'POST',
          url: this.path,
          host: this.host,
          remoteAddress: this.socket.remoteAddress,
          remotePort: this.socket.remotePort,
        },
      },
      'incoming request',
    );
  }
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

export interface FastRoute {
  handler: FastHandler;
  /** Header names (lower case) the handler reads. */
  headers: readonly string[];
}

interface Head {
  route: FastRoute;
  path: string;
  contentLength: number;
  close: boolean;
  host: string;
  headers: Record<string, string | undefined>;
  requestId: string | undefined;
}

/** The headers of every answer after request-id, in Fastify's order: content type, then onSend's. */
const fixedHeaders =
  'content-type: application/json; charset=utf-8\r\n' +
  Object.entries(API_SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');

/**
 * A node:http `Server` (Fastify's, through its `serverFactory`) whose connections start on the fast
 * path for the routes added with `addRoute` and enabled by `guardFastPath`, and move to node:http for
 * good at the first request it does not serve. With no route enabled, connections go to node:http at
 * once.
 */
export class FastPathServer extends HttpFront<Head> {
  readonly bodyLimit: number;
  /** Routes added, served once enabled. */
  readonly #added = new Map<string, FastRoute>();
  readonly #routes = new Map<string, FastRoute>();

  constructor(
    handler: ConstructorParameters<typeof HttpFront>[1],
    readonly options: FastPathOptions,
  ) {
    super({}, handler);
    this.bodyLimit = options.bodyLimit;
  }

  /** Adds `POST path` to the fast path (served once enabled); the handler reads the named headers. */
  addRoute(path: string, headers: readonly string[], handler: FastHandler): void {
    this.#added.set(path, { handler, headers: headers.map((h) => h.toLowerCase()) });
  }

  /** The paths added with `addRoute`. */
  addedPaths(): string[] {
    return [...this.#added.keys()];
  }

  /** Starts serving an added route here. */
  enable(path: string): void {
    const route = this.#added.get(path);
    if (route) this.#routes.set(path, route);
  }

  /** The paths served here now. */
  servedPaths(): string[] {
    return [...this.#routes.keys()];
  }

  protected override takesConnections(): boolean {
    return this.#routes.size > 0;
  }

  begin(method: string, target: string): Head | undefined {
    if (method !== 'POST') return undefined;
    const route = this.#routes.get(target);
    if (!route) return undefined;
    return {
      route,
      path: target,
      contentLength: 0,
      close: false,
      host: '',
      headers: {},
      requestId: undefined,
    };
  }

  header(head: Head, name: string, value: string): boolean {
    switch (name) {
      case 'host':
        head.host = value;
        return true;
      case 'x-request-id':
        return setOnce(head, 'requestId', value);
      // Fastify logs it (as `req.version`) and routes by it: Fastify's to serve.
      case 'accept-version':
        return false;
    }
    return !head.route.headers.includes(name) || setOnce(head.headers, name, value);
  }

  /**
   * The head when the fast path serves the request: `POST` of an enabled path, exactly, with a body
   * (see `parseRequestHead` for the rest), the headers the route reads given once, while the app is
   * not closing. Anything else: undefined (node:http takes it).
   */
  override parseHead(text: string): Head | undefined {
    if (this.options.closing()) return undefined;
    const head = parseRequestHead(text, this);
    return head !== undefined && head.contentLength > 0 ? head : undefined;
  }

  override serve(conn: FrontConnection<Head>, head: Head, data: Buffer, from: number, to: number): void {
    const started = performance.now();
    const { options } = this;
    const id = options.requestId(head.requestId);
    const request = new FastRequest(
      id,
      data.subarray(from, to),
      head.headers,
      head.path,
      head.host,
      conn.socket,
      options.logger,
    );
    head.route.handler(request).then(
      (answer) => this.#answer(conn, head, id, started, answer),
      (err: unknown) => {
        options.logger.error({ err, request_id: id }, 'fast path: handler failed');
        conn.decline();
      },
    );
  }

  #answer(
    connection: FrontConnection<Head>,
    head: Head,
    id: string,
    started: number,
    answer: FastAnswer | undefined,
  ): void {
    // Fastify answers this request (and everything after it on this connection).
    if (answer === undefined) {
      connection.decline();
      return;
    }
    const { logger, observe } = this.options;
    // Counted and logged as Fastify's onResponse hook and log controller do (before the write, so
    // that answers given one after another log in order).
    const seconds = (performance.now() - started) / 1000;
    observe('POST', head.path, answer.status, seconds);
    if (logger.isLevelEnabled('info'))
      logger.info(
        { request_id: id, res: { statusCode: answer.status }, responseTime: seconds * 1000 },
        'request completed',
      );
    connection.respond(
      `${statusLine(answer.status)}request-id: ${id}\r\n${fixedHeaders}` +
        `content-length: ${Buffer.byteLength(answer.body)}\r\n`,
      answer.body,
    );
  }
}
