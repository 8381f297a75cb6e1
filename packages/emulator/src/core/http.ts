import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse, App } from './app.js';

/** Larger bodies are answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface RequestLog {
  method: string;
  path: string;
  status: number;
  ms: number;
  requestId: string | undefined;
}

/** The log record of an answered API request, `started` being its `performance.now()` on arrival. */
export function requestLog(method: string, path: string, r: ApiResponse, started: number): RequestLog {
  return {
    method,
    path,
    status: r.status,
    ms: performance.now() - started,
    requestId: r.headers['Request-Id'],
  };
}

export type ExtraHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
) => boolean;

export interface HttpHandlerOptions {
  onRequest?: ((log: RequestLog) => void) | undefined;
  /**
   * Handlers tried before the API (control API, hosted pages); return true when they answered. They see
   * only requests `ApiServer`'s lean path leaves to node:http, which takes every `/v1/` path it can:
   * they must not serve paths under `/v1/`.
   */
  extra?: ExtraHandler[];
  /** Added latency, in ms, for a route (fault injection); 0 for none. */
  delayFor?: (method: string, path: string) => number;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The node:http request listener: reads the body, calls `app.dispatch`, writes the answer. */
export function createHttpHandler(app: App, options: HttpHandlerOptions = {}) {
  const { onRequest, extra = [], delayFor } = options;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = onRequest ? performance.now() : 0;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    for (const h of extra) if (h(req, res, path, query)) return;

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      const body =
        chunks.length === 0
          ? ''
          : chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8');
      const apiReq: ApiRequest = {
        method: req.method ?? 'GET',
        path,
        query,
        // Form bodies are ASCII (percent-encoded); latin1 decoding is the cheapest exact conversion.
        body,
        authorization: header(req, 'authorization'),
        idempotencyKey: header(req, 'idempotency-key'),
        stripeVersion: header(req, 'stripe-version'),
      };
      const write = (r: ApiResponse): void => {
        const send = (): void => {
          r.headers['Content-Length'] = String(Buffer.byteLength(r.body));
          res.writeHead(r.status, r.headers);
          res.end(r.body);
          onRequest?.(requestLog(apiReq.method, path, r, started));
        };
        const delay = delayFor ? delayFor(apiReq.method, r.pattern ?? path) : 0;
        if (delay > 0) setTimeout(send, delay);
        else send();
      };
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({ error: { type: 'invalid_request_error', message: 'Request body too large.' } }),
        );
        return;
      }
      const out = app.dispatch(apiReq);
      if (out instanceof Promise)
        out.then(write, (err: unknown) => {
          console.error('[emulator] dispatch failed', err);
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'api_error', message: 'Internal emulator error.' } }));
        });
      else write(out);
    });
  };
}
