// The chaos harness: subscription lifecycles on test clocks, driven through paydesk's API while the
// emulator duplicates, reorders and drops webhooks; dropped events recovered from Stripe's /v1/events
// through the same store path as the webhook route. At the end paydesk's records are compared with
// what the emulator's state implies (verify.ts). Used by chaos.test.ts (small N) and `npm run chaos`.
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type WebhookFaults } from '@paydesk/emulator';
import Stripe from 'stripe';
import { insertCustomer, setStripeCustomerId } from '../customers/service.js';
import { jobKinds } from '../jobs.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase } from '../testing/db.js';
import { storeFetchedEvents } from '../webhooks/service.js';
import type { CreditStep } from './model.js';
import {
  type CustomerUnderTest,
  eventsSince,
  type SeenEntitlements,
  verifyCustomer,
  verifyPipeline,
} from './verify.js';

export interface ChaosOptions {
  lifecycles: number;
  /** Lifecycles sharing one test clock, driven phase by phase together. */
  cohortSize: number;
  seed: number;
  faults: WebhookFaults;
  /** Requests to paydesk and the emulator in flight at once, per phase. */
  concurrency: number;
  /** The run fails (mismatch) when it takes longer. */
  timeBudgetMs: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  lifecycles: number;
  outcomes: Record<string, number>;
  events: number;
  deliveries: number;
  duplicated: number;
  dropped: number;
  droppedRecovered: number;
  /** Events stored by the reconcile pass (not by a delivery). */
  reconciled: number;
  reordered: number;
  seconds: number;
  mismatches: string[];
}

type Fate = 'renew' | 'cancel_now' | 'cancel_at_period_end' | 'payment_fails';

interface Lifecycle extends CustomerUnderTest {
  externalId: string;
  token: string;
  plan: 'starter' | 'pro';
  fate: Fate;
  buysPack: boolean;
  refunds: boolean;
  consumes: boolean;
  subscription?: string;
  stripeSubscription?: string;
  packSession?: string;
  packCredits: number;
  packPaymentIntent?: string;
  steps: CreditStep[];
  seenInvoices: Set<string>;
  seenRefunds: Set<string>;
}

/** mulberry32: small, seeded, good enough to pick fates. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

const DAY = 86_400;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const random = rng(o.seed);
  const tdb = await createTestDatabase();
  // Retries come quickly (the default waits a minute), so a 503 during a burst is retried in the run.
  const emulator = await startEmulator({
    port: 0,
    webhookSchedule: { baseDelayMs: 200, factor: 2, maxAttempts: 8, timeoutMs: 10_000 },
  });
  let t: TestApp | undefined;
  const mismatches: string[] = [];
  let recovered = 0;
  try {
    t = await createTestApp(await tdb.open(), { emulator });
    const app = t;
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}/webhooks/stripe`;
    // The merchant's and the buyer's side (Dashboard, hosted pages, Stripe.js): a plain SDK client,
    // not paydesk's (which insists on derived idempotency keys for its own writes).
    const stripe = new Stripe('sk_test_chaos_harness', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const buyer = stripe;
    const endpoint = await stripe.webhookEndpoints.create({ url, enabled_events: ['*'] });
    app.context.webhookSecrets.push(endpoint.secret!);
    const first = (await stripe.events.list({ limit: 1 })).data[0]?.id;
    let cursor = first;
    emulator.faults.configure({ seed: o.seed, webhooks: o.faults });
    app.context.queue.start(jobKinds(app.context));
    log('  ready');
    const clawback = app.config.refundClawback;

    /** What `paydesk reconcile` does: store every event emitted since the cursor that paydesk lacks. */
    const reconcile = async () => {
      const events = await eventsSince(stripe, cursor);
      if (events.length === 0) return;
      const fresh = await storeFetchedEvents(app.context, events, 'reconcile');
      recovered += fresh.size;
      cursor = events[events.length - 1]!.id;
    };
    const settle = async () => {
      const s0 = performance.now();
      try {
        await settleOnce();
      } finally {
        log(`  settle ${Math.round(performance.now() - s0)} ms`);
      }
    };
    const settleOnce = async () => {
      for (let round = 0; ; round++) {
        await emulator.delivery.idle();
        await reconcile();
        await app.context.queue.idle({ timeoutMs: 120_000 });
        const busy = await app.context.db.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM jobs WHERE status IN ('queued', 'running'))
                + (SELECT count(*) FROM stripe_events WHERE status = 'pending') AS n`,
        );
        if (busy.rows[0]!.n === 0) return;
        if (round > 200) throw new Error('the queue does not settle');
        await sleep(50);
      }
    };
    const inject = async (method: 'GET' | 'POST', path: string, token: string, payload?: object) => {
      const r = await app.app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${token}` },
        ...(payload ? { payload } : {}),
      });
      return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
    };
    const readEntitlements = async (c: CustomerUnderTest): Promise<SeenEntitlements> => {
      const l = c as Lifecycle;
      const r = await inject('GET', '/v1/customers/me/entitlements', l.token);
      if (r.status !== 200) throw new Error(`entitlements: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as unknown as SeenEntitlements;
    };

    /** Adds to each lifecycle's timeline what Stripe now says happened (paid invoices, refunds). */
    const observe = async (cohort: Lifecycle[]) => {
      await pool(cohort, o.concurrency, async (l) => {
        const invoices = await stripe.invoices.list({
          customer: l.stripeCustomerId,
          status: 'paid',
          limit: 100,
        });
        const plan = app.catalog.plan(l.plan)!;
        for (const inv of [...invoices.data].reverse()) {
          if (!inv.id || l.seenInvoices.has(inv.id)) continue;
          l.seenInvoices.add(inv.id);
          l.steps.push({ kind: 'period', invoice: inv.id, credits: plan.credits, mode: plan.credits_mode });
        }
        if (l.packPaymentIntent) {
          const refunds = await stripe.refunds.list({ payment_intent: l.packPaymentIntent, limit: 100 });
          const pi = await stripe.paymentIntents.retrieve(l.packPaymentIntent);
          let before = l.steps.reduce((n, s) => n + (s.kind === 'refund' ? s.amount : 0), 0);
          for (const r of [...refunds.data].reverse()) {
            if (r.status !== 'succeeded' || l.seenRefunds.has(r.id)) continue;
            l.seenRefunds.add(r.id);
            l.steps.push({
              kind: 'refund',
              refund: r.id,
              packCredits: l.packCredits,
              paymentAmount: pi.amount_received,
              refundedBefore: before,
              amount: r.amount,
            });
            before += r.amount;
          }
        }
      });
    };

    const fates: Record<string, number> = {};
    const everyone: Lifecycle[] = [];
    for (let c0 = 0; c0 < o.lifecycles; c0 += o.cohortSize) {
      const size = Math.min(o.cohortSize, o.lifecycles - c0);
      if (performance.now() - started > o.timeBudgetMs) {
        mismatches.push(`time budget of ${o.timeBudgetMs} ms spent before lifecycle ${c0}`);
        break;
      }
      const frozen = Math.floor(Date.now() / 1000);
      const clock = await stripe.testHelpers.testClocks.create({ frozen_time: frozen, name: `chaos-${c0}` });
      const cohort: Lifecycle[] = [];
      for (let i = c0; i < c0 + size; i++) {
        const r = random();
        const fate: Fate =
          r < 0.4 ? 'renew' : r < 0.6 ? 'cancel_now' : r < 0.75 ? 'cancel_at_period_end' : 'payment_fails';
        fates[fate] = (fates[fate] ?? 0) + 1;
        cohort.push({
          id: '',
          stripeCustomerId: '',
          externalId: `chaos-${o.seed}-${i}`,
          token: '',
          plan: random() < 0.5 ? 'starter' : 'pro',
          fate,
          buysPack: random() < 0.4,
          refunds: random() < 0.5,
          consumes: random() < 0.6,
          packCredits: 0,
          steps: [],
          seenInvoices: new Set(),
          seenRefunds: new Set(),
        });
      }
      for (const l of cohort) if (l.buysPack && l.refunds) fates.refund = (fates.refund ?? 0) + 1;
      for (const l of cohort) if (l.buysPack) fates.pack = (fates.pack ?? 0) + 1;

      // Customers on the cohort's test clock, registered in paydesk as paydesk registers its own.
      await pool(cohort, o.concurrency, async (l) => {
        const { customer } = await insertCustomer(app.context.db, {
          id: `cust_chaos_${o.seed}_${l.externalId.split('-').pop()}`,
          external_id: l.externalId,
          email: `${l.externalId}@example.com`,
          name: null,
        });
        const sc = await stripe.customers.create({
          email: `${l.externalId}@example.com`,
          test_clock: clock.id,
          metadata: {
            paydesk_instance: app.config.instanceId,
            paydesk_customer_id: customer.id,
            external_id: l.externalId,
          },
        });
        await setStripeCustomerId(app.context.db, customer.id, sc.id);
        l.id = customer.id;
        l.stripeCustomerId = sc.id;
        l.token = await app.userToken(l.externalId, { email: `${l.externalId}@example.com` });
      });

      log('  customers');
      // Subscribe through paydesk; the first payment with the Payment Element (a confirm from the buyer).
      await pool(cohort, o.concurrency, async (l) => {
        const r = await inject('POST', '/v1/subscriptions', l.token, {
          plan: l.plan,
          interval: 'month',
          currency: 'usd',
        });
        if (r.status !== 201) throw new Error(`subscribe: ${r.status} ${JSON.stringify(r.body)}`);
        l.subscription = String(r.body.id);
        const pi = String(r.body.client_secret).split('_secret_')[0]!;
        const confirmed = await buyer.paymentIntents.confirm(pi, { payment_method: 'pm_card_visa' });
        if (confirmed.status !== 'succeeded') throw new Error(`first payment ${confirmed.status}`);
      });
      log('  subscribed');
      await settle();
      await observe(cohort);

      // Credit packs bought through paydesk's Checkout.
      await pool(
        cohort.filter((l) => l.buysPack),
        o.concurrency,
        async (l) => {
          const pack = random() < 0.7 ? 'credits-100' : 'credits-1000';
          const quantity = 1 + Math.floor(random() * 3);
          const def = app.catalog.pack(pack)!;
          const r = await inject('POST', '/v1/checkout/sessions', l.token, {
            pack,
            quantity,
            currency: 'usd',
          });
          if (r.status !== 201) throw new Error(`checkout: ${r.status} ${JSON.stringify(r.body)}`);
          l.packSession = String(r.body.id);
          l.packCredits = def.credits * quantity;
          await buyer.rawRequest('POST', `/v1/payment_pages/${l.packSession}/confirm`, {
            payment_method: 'pm_card_visa',
            expected_amount: def.prices.usd! * quantity,
          });
          const session = await stripe.checkout.sessions.retrieve(l.packSession);
          if (session.payment_status !== 'paid') throw new Error(`pack checkout ${session.payment_status}`);
          l.packPaymentIntent = String(session.payment_intent);
          l.steps.push({ kind: 'pack', session: l.packSession, credits: l.packCredits });
        },
      );
      await settle();

      const consumeRound = async (round: number) => {
        await pool(
          cohort.filter((l) => l.consumes),
          o.concurrency,
          async (l) => {
            // Some ask for more than they could have, to see a 409 where the ledger says so.
            const amount = 1 + Math.floor(random() * (random() < 0.15 ? 5_000 : 250));
            const key = `chaos-${round}`;
            const r = await inject('POST', '/v1/customers/me/credits/consume', l.token, {
              amount,
              idempotency_key: key,
            });
            if (r.status !== 200 && r.status !== 409)
              throw new Error(`consume: ${r.status} ${JSON.stringify(r.body)}`);
            l.steps.push({ kind: 'consume', key, amount, accepted: r.status === 200 });
          },
        );
      };
      await consumeRound(1);

      // Refunds of packs (the merchant, in the Dashboard): in part or in full, once or twice.
      await pool(
        cohort.filter((l) => l.refunds && l.packPaymentIntent),
        o.concurrency,
        async (l) => {
          const pi = await stripe.paymentIntents.retrieve(l.packPaymentIntent!);
          const part = Math.max(1, Math.floor(pi.amount_received * (0.2 + random() * 0.5)));
          await stripe.refunds.create({ payment_intent: pi.id, amount: part });
          if (random() < 0.5) await stripe.refunds.create({ payment_intent: pi.id });
        },
      );
      await settle();
      await observe(cohort);

      // Cancellations through paydesk; failing cards for the rest of the unlucky ones.
      await pool(cohort, o.concurrency, async (l) => {
        if (l.fate === 'cancel_now' || l.fate === 'cancel_at_period_end') {
          const r = await inject('POST', `/v1/subscriptions/${l.subscription}/cancel`, l.token, {
            at_period_end: l.fate === 'cancel_at_period_end',
          });
          if (r.status !== 200) throw new Error(`cancel: ${r.status} ${JSON.stringify(r.body)}`);
        } else if (l.fate === 'payment_fails') {
          const pm = await stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
            customer: l.stripeCustomerId,
          });
          const subs = await stripe.subscriptions.list({ customer: l.stripeCustomerId, limit: 1 });
          await stripe.subscriptions.update(subs.data[0]!.id, { default_payment_method: pm.id });
        }
      });
      await settle();

      // Two renewals: a month, then another (dunning retries run out in between for failing cards).
      for (const days of [32, 64]) {
        log('  advance');
        await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: frozen + days * DAY });
        for (let i = 0; ; i++) {
          const c = await stripe.testHelpers.testClocks.retrieve(clock.id);
          if (c.status === 'ready') break;
          if (c.status !== 'advancing' || i > 6_000) throw new Error(`test clock ${c.status}`);
          await sleep(10);
        }
        log('  advanced');
        await settle();
        await observe(cohort);
        await consumeRound(days);
      }
      await settle();
      everyone.push(...cohort);
      log(
        `cohort ${c0 / o.cohortSize + 1}: ${c0 + size}/${o.lifecycles} lifecycles, ${Math.round(
          (performance.now() - started) / 1000,
        )} s`,
      );
    }

    // The end: each customer against Stripe, then the pipeline's invariants.
    const v = {
      db: app.context.db,
      stripe,
      catalog: app.catalog,
      refundClawback: clawback,
      readEntitlements,
    };
    await pool(everyone, o.concurrency, async (l) => {
      mismatches.push(...(await verifyCustomer(v, l)));
    });
    const pipeline = await verifyPipeline(app.context.db, stripe, first);
    mismatches.push(...pipeline.mismatches);

    // Figures from the emulator's delivery log.
    const attempts = emulator.delivery.log(endpoint.id);
    const dropped = attempts.filter((a) => a.outcome === 'dropped').map((a) => a.event);
    const droppedStored = await app.context.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stripe_events WHERE id = ANY($1::text[]) AND source = 'reconcile'`,
      [dropped],
    );
    if (droppedStored.rows[0]!.n !== new Set(dropped).size)
      mismatches.push(`${new Set(dropped).size} dropped events, ${droppedStored.rows[0]!.n} recovered`);
    const firstArrival = new Map<string, number>();
    const perEvent = new Map<string, number>();
    for (const a of attempts) {
      if (a.outcome !== 'succeeded') continue;
      perEvent.set(a.event, (perEvent.get(a.event) ?? 0) + 1);
      if (!firstArrival.has(a.event)) firstArrival.set(a.event, a.at - a.duration_ms);
    }
    const events = emulator.app.store.c('event');
    const arrivals = [...firstArrival].sort((a, b) => a[1] - b[1]);
    let newest = -1;
    let reordered = 0;
    for (const [id] of arrivals) {
      const pos = events.positionOf(id) ?? -1;
      if (pos < newest) reordered++;
      else newest = pos;
    }
    return {
      lifecycles: everyone.length,
      outcomes: fates,
      events: pipeline.events,
      deliveries: attempts.filter((a) => a.outcome === 'succeeded').length,
      duplicated: [...perEvent.values()].filter((n) => n > 1).length,
      dropped: dropped.length,
      droppedRecovered: droppedStored.rows[0]!.n,
      reconciled: recovered,
      reordered,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      mismatches,
    };
  } finally {
    await t?.app.close();
    await emulator.close();
    await tdb.destroy();
  }
}
