// A raw HTTP/1.1 connection for tests of the fast path (platform/http/fast-path.ts): requests are
// written as bytes, answers read in order (Content-Length bodies), and the test can ask whether the
// connection is still on the fast path or was handed to node:http.
import { connect, type Socket } from 'node:net';
import type { FastPathServer } from '../platform/http/fast-path.js';

export interface Answer {
  status: number;
  /** Lower-case names; the last value of a repeated header. */
  headers: Record<string, string>;
  body: string;
  /** The status line and header lines as sent (latin1), without the blank line. */
  head: string;
}

export class RawClient {
  readonly socket: Socket;
  #buf = Buffer.alloc(0);
  #waiting: ((a: Answer) => void)[] = [];
  #answers: Answer[] = [];
  ended = false;

  constructor(
    port: number,
    readonly server: FastPathServer,
  ) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      this.#parse();
    });
    this.socket.on('end', () => {
      this.ended = true;
    });
  }

  ready(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  #parse(): void {
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.#buf.subarray(0, end).toString('latin1');
      const lines = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (this.#buf.length < end + 4 + length) return;
      const answer = {
        status: Number(lines[0]!.split(' ')[1]),
        headers,
        body: this.#buf.subarray(end + 4, end + 4 + length).toString('utf8'),
        head,
      };
      this.#buf = this.#buf.subarray(end + 4 + length);
      const w = this.#waiting.shift();
      if (w) w(answer);
      else this.#answers.push(answer);
    }
  }

  next(): Promise<Answer> {
    const a = this.#answers.shift();
    if (a) return Promise.resolve(a);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Whether this connection is still on the fast path. */
  get fast(): boolean {
    return [...this.server.fast].some((c) => c.socket.remotePort === this.socket.localPort);
  }

  close(): void {
    this.socket.destroy();
  }
}
