// `npm start -- --whmcs-demo`: the fake WHMCS beside paydesk, with a demo client and unpaid invoices,
// its invoice pages rendering the real module's Pay button (php-cli) against the local paydesk. Returns
// the PAYDESK_WHMCS_* settings paydesk needs to talk to it (a new API credential and module secret
// each start; the fake keeps its invoices in memory, so they start unpaid again).
import { randomBytes } from 'node:crypto';
import { type FakeWhmcs, startFakeWhmcs } from './server.js';

export const WHMCS_DEMO_PORT = 8081;

export interface WhmcsDemo {
  fake: FakeWhmcs;
  /** The settings for paydesk's environment. */
  env: Record<string, string>;
}

export async function startWhmcsDemo(opts: { paydeskUrl: string; port?: number }): Promise<WhmcsDemo> {
  const identifier = `demo-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(24).toString('hex');
  const moduleSecret = randomBytes(24).toString('hex');
  const fake = await startFakeWhmcs({
    identifier,
    secret,
    port: opts.port ?? WHMCS_DEMO_PORT,
    module: { paydeskUrl: opts.paydeskUrl, moduleSecret, testMode: true },
  });
  const client = fake.state.addClient({ email: 'demo@example.com', firstname: 'Demo', lastname: 'Client' });
  fake.state.addInvoice(client.id, ['19.95', '4.05']);
  fake.state.addInvoice(client.id, ['150.00']);
  const yen = fake.state.addClient({
    email: 'yen@example.com',
    firstname: 'Yen',
    lastname: 'Client',
    currency: 'JPY',
  });
  fake.state.addInvoice(yen.id, ['1200.00']);
  return {
    fake,
    env: {
      PAYDESK_WHMCS_URL: fake.url,
      PAYDESK_WHMCS_IDENTIFIER: identifier,
      PAYDESK_WHMCS_SECRET: secret,
      PAYDESK_WHMCS_MODULE_SECRET: moduleSecret,
    },
  };
}
