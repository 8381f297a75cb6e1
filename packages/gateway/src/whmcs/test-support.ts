// What the WHMCS bridge's tests share: an app configured for the fake WHMCS (integrations/whmcs/fake,
// whose invoice page is the real PHP module's Pay button) and the emulator, and the client's steps:
// read the Pay form from the invoice page, post it, pay in Checkout, come back.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { type FakeWhmcs, startFakeWhmcs } from '@paydesk/whmcs/fake';
import { jobKinds } from '../jobs.js';
import type { TestApp } from '../testing/app.js';
import { freePort } from '../testing/net.js';
import { useTestApp } from '../testing/setup.js';
import { type PayForm, signPayForm } from './signature.js';

export const MODULE_SECRET = 'whmcs-module-secret-0123456789abcdef';

export interface WhmcsBridge {
  t: TestApp & { ready: Promise<void> };
  /** With `listen`: paydesk's address (its public URL, and the module's paydesk URL). */
  readonly address: string;
  /** The fake WHMCS (made in the before hook). */
  readonly whmcs: FakeWhmcs;
  pageForm(invoiceId: number): Promise<Record<string, string>>;
  signed(fields: PayForm): Record<string, string>;
  postPay(
    form: Record<string, string>,
  ): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>;
  sessionIdOf(location: string): string;
  payInEmulator(sessionId: string, amount: number, card?: string): Promise<number>;
  browserReturn(sessionId: string): Promise<string>;
  txsOf(invoiceId: number): FakeWhmcs['state']['transactions'];
  /** A new client and invoice, its Pay form posted: the Checkout session it opened. */
  open(
    amounts: string[],
    currency?: string,
  ): Promise<{
    client: { id: number; email: string };
    invoice: { id: number; status: string };
    sessionId: string;
    location: string;
  }>;
}

/**
 * Registers the hooks that make the fake WHMCS and the app (jobs running), and close them. With
 * `listen`, the app listens on 127.0.0.1 (a browser can reach it; the module's Pay button posts to it);
 * `env` adds to the app's configuration.
 */
export function useWhmcsBridge(opts: { listen?: boolean; env?: Record<string, string> } = {}): WhmcsBridge {
  let fake: FakeWhmcs | undefined;
  let address = 'http://paydesk.test';
  const t = useTestApp(async () => {
    if (opts.listen) address = `http://127.0.0.1:${await freePort()}`;
    fake = await startFakeWhmcs({
      identifier: 'paydesk-api',
      secret: 'paydesk-api-secret',
      module: { paydeskUrl: address, moduleSecret: MODULE_SECRET, testMode: opts.listen === true },
    });
    return {
      syncCatalog: false,
      env: {
        PAYDESK_PUBLIC_URL: address,
        PAYDESK_WHMCS_URL: fake.url,
        PAYDESK_WHMCS_IDENTIFIER: 'paydesk-api',
        PAYDESK_WHMCS_SECRET: 'paydesk-api-secret',
        PAYDESK_WHMCS_MODULE_SECRET: MODULE_SECRET,
        ...opts.env,
      },
    };
  });
  before(async () => {
    await t.ready;
    if (opts.listen) await t.app.listen({ port: Number(new URL(address).port), host: '127.0.0.1' });
    t.context.queue.start(jobKinds(t.context));
  });
  after(() => fake?.close());

  const b: WhmcsBridge = {
    t,
    get address() {
      return address;
    },
    get whmcs() {
      if (!fake) throw new Error('useWhmcsBridge: the fake WHMCS is made in a before() hook');
      return fake;
    },
    async pageForm(invoiceId) {
      const html = await (await fetch(`${b.whmcs.url}/viewinvoice.php?id=${invoiceId}`)).text();
      const f: Record<string, string> = {};
      for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
        f[m[1]!] = m[2]!.replaceAll('&quot;', '"').replaceAll('&#039;', "'").replaceAll('&amp;', '&');
      }
      assert.ok(f.signature, `invoice ${invoiceId} has a Pay form`);
      return f;
    },
    signed: (fields) => ({ ...fields, signature: signPayForm(fields, MODULE_SECRET) }),
    postPay: (form) =>
      t.app.inject({
        method: 'POST',
        url: '/whmcs/pay',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      }),
    sessionIdOf(location) {
      const id = /cs_[A-Za-z0-9_]+/.exec(location)?.[0];
      assert.ok(id, `a Checkout URL: ${location}`);
      return id;
    },
    async payInEmulator(sessionId, amount, card = 'pm_card_visa') {
      const res = await fetch(`${t.emulator.url}/v1/payment_pages/${sessionId}/confirm`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk_test_emulator',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ payment_method: card, expected_amount: String(amount) }),
      });
      await res.body?.cancel();
      return res.status;
    },
    async browserReturn(sessionId) {
      const res = await t.app.inject({ method: 'GET', url: `/whmcs/return?session_id=${sessionId}` });
      assert.equal(res.statusCode, 303, res.body);
      return String(res.headers.location);
    },
    txsOf: (invoiceId) => b.whmcs.state.transactions.filter((x) => x.invoiceid === invoiceId),
    async open(amounts, currency = 'USD') {
      const client = b.whmcs.state.addClient({
        email: `c${Math.random().toString(36).slice(2)}@example.com`,
        currency,
      });
      const invoice = b.whmcs.state.addInvoice(client.id, amounts);
      const res = await b.postPay(await b.pageForm(invoice.id));
      assert.equal(res.statusCode, 303, res.body);
      const location = String(res.headers.location);
      return { client, invoice, sessionId: b.sessionIdOf(location), location };
    },
  };
  return b;
}
