import { Server, type ServerOptions, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { MAX_HEAD_BYTES, type RequestHead } from './head.js';

/** Pipelined bytes held while a request is being answered, beyond which reading pauses. */
const MAX_PENDING_BYTES = 1024 * 1024;

let dateText = '';
let dateUntil = 0;
/** The `Date` header's value, recomputed once a second (as node:http does). */
function httpDate(): string {
  const now = Date.now();
  if (now >= dateUntil) {
    dateText = new Date(now).toUTCString();
    dateUntil = now - (now % 1000) + 1000;
  }
  return dateText;
}

const statusLines: string[] = [];
/** `HTTP/1.1 <status> <reason>\r\n`, made once per status. */
export function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    statusLines[status] = line;
  }
  return line;
}

/**
 * One connection on a front: requests parsed from the socket and served one at a time, in order
 * (pipelined ones wait in `#pending`, and reading pauses when too many wait), until the first request
 * the front does not serve, from which the connection goes to node:http for good.
 */
export class FrontConnection<H extends RequestHead = RequestHead> {
  #pending: Buffer | undefined;
  /** A request is being served: what arrives waits in `#pending`. */
  #busy = false;
  /** `#drain` is on the stack: an answer given synchronously does not start another. */
  #draining = false;
  #done = false;
  /** The client has finished sending (half-close): the connection ends after the last answer. */
  #ended = false;
  #paused = false;
  /** The request being served: its head, and the buffer holding its bytes from 0 to `#end`. */
  #head: H | undefined;
  #data: Buffer | undefined;
  #end = 0;

  constructor(
    readonly socket: Socket,
    readonly front: HttpFront<H>,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(front.keepAliveTimeout);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** No request in progress and none partly received. */
  get idle(): boolean {
    return !this.#busy && this.#pending === undefined;
  }

  #onData = (chunk: Buffer): void => {
    this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    if (!this.#busy) this.#drain();
    // A client that pipelines far ahead of the answers waits (TCP backpressure), as with node:http.
    else if (this.#pending.length > MAX_PENDING_BYTES && !this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  };

  #onEnd = (): void => {
    this.#ended = true;
    if (!this.#busy) this.#finish();
  };

  #onTimeout = (): void => {
    if (!this.#busy) this.socket.destroy();
  };

  #onError = (): void => {
    this.socket.destroy();
  };

  #onClose = (): void => {
    this.#done = true;
    this.front.fast.delete(this);
  };

  /** Ends the connection after its last answer; what is left unparsed goes unanswered, as with node:http. */
  #finish(): void {
    this.#done = true;
    this.#pending = undefined;
    this.socket.end();
  }

  /** Serves every complete request received, in order; stops while an answer is pending. */
  #drain(): void {
    this.#draining = true;
    while (this.#pending !== undefined && !this.#busy && !this.#done) {
      const buf = this.#pending;
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (buf.length >= MAX_HEAD_BYTES) this.#handOff(buf);
        break;
      }
      const head =
        headEnd + 4 <= MAX_HEAD_BYTES ? this.front.parseHead(buf.toString('latin1', 0, headEnd)) : undefined;
      if (head === undefined) {
        this.#handOff(buf);
        break;
      }
      const end = headEnd + 4 + head.contentLength;
      if (buf.length < end) break;
      this.#pending = end === buf.length ? undefined : buf.subarray(end);
      this.#head = head;
      this.#data = buf;
      this.#end = end;
      this.#busy = true;
      this.front.serve(this, head, buf, headEnd + 4, end);
    }
    this.#draining = false;
    if (this.#ended && !this.#busy && !this.#done) this.#finish();
  }

  /**
   * Answers the request being served, now or later: `head` is its status line (see `statusLine`) and
   * header lines, Content-Length included, each ending in CRLF; Date and Connection (with Keep-Alive)
   * are added here. `latin1Head`: the head has characters beyond ASCII, written as latin1 (as node:http
   * writes header values) while the body is UTF-8. Then the next request is served, or the connection
   * ends (`Connection: close`, the server closing, or the client's half-close with nothing left).
   */
  respond(head: string, body: string, latin1Head = false): void {
    this.#busy = false;
    this.#data = undefined;
    if (this.socket.destroyed) return;
    const close =
      this.#head?.close === true || !this.front.listening || (this.#ended && this.#pending === undefined);
    const tail = `Date: ${httpDate()}\r\n${close ? 'Connection: close\r\n\r\n' : this.front.keepAliveLines()}`;
    if (latin1Head) {
      this.socket.cork();
      this.socket.write(head + tail, 'latin1');
      this.socket.write(body, 'utf8');
      this.socket.uncork();
    } else this.socket.write(head + tail + body, 'utf8');
    if (close) this.#finish();
    else this.#next();
  }

  /**
   * Leaves the request being served, unanswered, to node:http with the rest of the connection (the
   * front found it is not its to answer: nothing of it may have been written or logged).
   */
  decline(): void {
    const data = this.#data;
    this.#busy = false;
    this.#data = undefined;
    if (this.socket.destroyed || data === undefined) return;
    const request = data.subarray(0, this.#end);
    const rest = this.#pending;
    this.#handOff(rest === undefined ? request : Buffer.concat([request, rest]));
  }

  /** After an answer: reading resumes, and what arrived meanwhile is served. */
  #next(): void {
    if (this.#draining) return;
    if (this.#paused) {
      this.#paused = false;
      this.socket.resume();
    }
    this.#drain();
  }

  /** Gives the connection to node:http from `from` on (nothing of it has been answered). */
  #handOff(from: Buffer): void {
    const { socket } = this;
    this.#done = true;
    this.#pending = undefined;
    this.front.fast.delete(this);
    socket.pause();
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('timeout', this.#onTimeout);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
    socket.setTimeout(0);
    socket.unshift(from);
    this.front.toNodeHttp(socket);
    socket.resume();
  }
}

/**
 * A node:http `Server` whose connections start on a lean HTTP/1.1 path for the requests a subclass
 * serves (`parseHead` says which, `serve` answers them), and move to node:http itself, for good, at the
 * first request that path does not take. Requests on one connection are answered in order, pipelined
 * ones included. `close()`, `closeAllConnections()` and `closeIdleConnections()` cover the fast
 * connections too.
 */
export abstract class HttpFront<H extends RequestHead = RequestHead> extends Server {
  readonly fast = new Set<FrontConnection<H>>();
  readonly #nodeListeners: ((socket: Socket) => void)[];
  #keepAliveLines = '';
  #keepAliveFor = -1;

  constructor(options: ServerOptions, handler: ConstructorParameters<typeof Server>[1]) {
    super(options, handler);
    this.#nodeListeners = this.listeners('connection') as ((socket: Socket) => void)[];
    this.removeAllListeners('connection');
    this.on('connection', (socket: Socket) => {
      if (this.takesConnections()) this.fast.add(new FrontConnection(socket, this));
      else this.toNodeHttp(socket);
    });
  }

  /** The head of a request this front serves (see `parseRequestHead`), or undefined for node:http. */
  abstract parseHead(text: string): H | undefined;

  /**
   * Serves a request whose body is `data` from `from` to `to`: calls `conn.respond(…)` or
   * `conn.decline()` once, now or later.
   */
  abstract serve(conn: FrontConnection<H>, head: H, data: Buffer, from: number, to: number): void;

  /** Whether a new connection starts on the front (otherwise it goes to node:http at once). */
  protected takesConnections(): boolean {
    return true;
  }

  /** The last header lines of a keep-alive answer, as node:http writes them. */
  keepAliveLines(): string {
    if (this.#keepAliveFor !== this.keepAliveTimeout) {
      this.#keepAliveFor = this.keepAliveTimeout;
      this.#keepAliveLines = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.keepAliveTimeout / 1000)}\r\n\r\n`;
    }
    return this.#keepAliveLines;
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
