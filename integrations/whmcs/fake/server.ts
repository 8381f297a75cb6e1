// A fake WHMCS on node:http for tests and the demo: the API at /includes/api.php (credential, IP
// allow-list and access-key checks, JSON answers, WHMCS's error shapes) and a minimal client area
// whose invoice page renders the real PHP module's Pay button through php-cli.
// Failures are controllable: `down` drops every API connection, `failNext` answers errors.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callModule } from '../src/php.js';
import { renderHomePage, renderInvoicePage } from './client-area.js';
import { parseMoney } from './money.js';
import { type ApiAnswer, WhmcsState } from './state.js';

export type FakeWhmcsOptions = {
  identifier?: string;
  secret?: string;
  /** IPs allowed to call the API (no CIDR, as in WHMCS). Default: 127.0.0.1 and ::1. */
  allowedIps?: string[];
  /** `$api_access_key`: skips the IP check when sent as `accesskey`. */
  accessKey?: string;
  /** Actions the credential's API role allows (lowercase names); default: all. */
  allowedActions?: string[];
  /** Where to listen (default 127.0.0.1, an ephemeral port). */
  host?: string;
  port?: number;
  /** The module settings the invoice page passes to paydesk_link. */
  module?: { paydeskUrl: string; moduleSecret: string; testMode?: boolean; apiKey?: string };
};

export type FakeWhmcs = {
  url: string;
  state: WhmcsState;
  /** Every API call received (action as sent, params without credentials), in order. */
  calls: { action: string; params: Record<string, string> }[];
  /** While true, API connections are dropped without an answer (WHMCS down). */
  down: boolean;
  /** The next `count` calls of `action` (or of any action, '*') answer this instead. */
  failNext(action: string, answer: FailAnswer, count?: number): void;
  setModule(module: FakeWhmcsOptions['module']): void;
  /**
   * A refund from the admin area's invoice Transactions, as WHMCS does it: the module's _refund (in
   * php-cli, with the module settings), and on `success` a refund transaction (amountout) under the
   * transaction id _refund returned. Returns what _refund returned.
   */
  adminRefund(invoiceId: number, transid: string, amount: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
};

export type FailAnswer = { kind: 'error'; message: string } | { kind: 'http'; status: number; body: string };

const CREDENTIAL_FIELDS = new Set(['identifier', 'secret', 'username', 'password', 'accesskey']);

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res: ServerResponse, status: number, answer: ApiAnswer): void {
  send(res, status, JSON.stringify(answer), 'application/json');
}

function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string | null> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function remoteIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export async function startFakeWhmcs(opts: FakeWhmcsOptions = {}): Promise<FakeWhmcs> {
  const identifier = opts.identifier ?? 'paydesk-identifier';
  const secret = opts.secret ?? 'paydesk-secret';
  const allowedIps = opts.allowedIps ?? ['127.0.0.1', '::1'];
  const failures: { action: string; answer: FailAnswer; count: number }[] = [];
  let module = opts.module;
  const state = new WhmcsState();
  const calls: FakeWhmcs['calls'] = [];

  const fake: FakeWhmcs = {
    url: '',
    state,
    calls,
    down: false,
    failNext(action, answer, count = 1) {
      failures.push({ action: action.toLowerCase(), answer, count });
    },
    setModule(m) {
      module = m;
    },
    async adminRefund(invoiceId, transid, amount) {
      const inv = state.invoices.get(invoiceId);
      if (!inv) throw new Error(`fake WHMCS has no invoice ${invoiceId}`);
      const client = state.clients.get(inv.userid)!;
      const result = (await callModule('refund', {
        invoiceid: invoiceId,
        transid,
        amount,
        currency: state.currencyOf(client).code,
        paydeskUrl: module?.paydeskUrl ?? '',
        moduleSecret: module?.moduleSecret ?? '',
        apiKey: module?.apiKey ?? '',
        paymentmethod: 'paydesk',
      })) as Record<string, unknown>;
      if (result.status === 'success') {
        state.addOwnTransaction({
          userid: inv.userid,
          gateway: 'paydesk',
          description: `Refund of Transaction ID ${transid}`,
          amountin: 0,
          amountout: parseMoney(amount) ?? 0,
          transid: String(result.transid),
          invoiceid: inv.id,
        });
      }
      return result;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };

  async function api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (fake.down) {
      req.socket.destroy();
      return;
    }
    if (req.method !== 'POST') return json(res, 405, { result: 'error', message: 'POST required' });
    const raw = await readBody(req);
    if (raw === null) return json(res, 413, { result: 'error', message: 'Request too large' });
    const p = new URLSearchParams(raw);
    const accessKeyOk = opts.accessKey !== undefined && p.get('accesskey') === opts.accessKey;
    const ip = remoteIp(req);
    if (!accessKeyOk && !allowedIps.includes(ip))
      return json(res, 403, { result: 'error', message: `Invalid IP ${ip}` });
    const id = p.get('identifier') ?? p.get('username');
    const sec = p.get('secret') ?? p.get('password');
    if (id !== identifier || sec !== secret)
      return json(res, 403, { result: 'error', message: 'Authentication Failed' });
    const action = p.get('action') ?? '';
    const params: Record<string, string> = {};
    for (const [k, v] of p) if (!CREDENTIAL_FIELDS.has(k)) params[k] = v;
    calls.push({ action, params });
    if (opts.allowedActions && !opts.allowedActions.includes(action.toLowerCase())) {
      return json(res, 200, {
        result: 'error',
        message: `Invalid Permissions: API action "${action.toLowerCase()}" is not allowed`,
      });
    }
    const f = failures.find((x) => x.count > 0 && (x.action === '*' || x.action === action.toLowerCase()));
    if (f) {
      f.count--;
      if (f.answer.kind === 'error') return json(res, 200, { result: 'error', message: f.answer.message });
      return send(res, f.answer.status, f.answer.body, 'text/html');
    }
    if ((p.get('responsetype') ?? 'json') !== 'json') {
      return json(res, 200, { result: 'error', message: 'the fake WHMCS answers responsetype=json only' });
    }
    const answer = state.run(action, p);
    if (!answer) return json(res, 200, { result: 'error', message: 'Command Not Found' });
    json(res, 200, answer);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const done = (err: unknown) => {
      if (!res.headersSent) send(res, 500, `fake WHMCS error: ${String(err)}`, 'text/plain');
      else res.destroy();
    };
    if (url.pathname === '/includes/api.php') {
      api(req, res).catch(done);
      return;
    }
    if ((url.pathname === '/' || url.pathname === '/clientarea.php') && req.method === 'GET') {
      send(res, 200, renderHomePage(fake), 'text/html; charset=utf-8');
      return;
    }
    if (url.pathname === '/viewinvoice.php' && req.method === 'GET') {
      renderInvoicePage(fake, module, url)
        .then((page) => send(res, page.status, page.html, 'text/html; charset=utf-8'))
        .catch(done);
      return;
    }
    send(res, 404, 'Not Found', 'text/plain');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fake.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return fake;
}
