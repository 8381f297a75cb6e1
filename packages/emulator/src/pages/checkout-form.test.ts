import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { type TestEmulator, testEmulator } from '../testing.js';

// The hosted Checkout page as a plain HTML form (no script): what a browser without JavaScript posts.
let t: TestEmulator;
let oneTime: Stripe.Price;
let monthly: Stripe.Price;
before(async () => {
  t = await testEmulator();
  const product = await t.stripe.products.create({ name: 'Pro plan' });
  oneTime = await t.stripe.prices.create({ product: product.id, unit_amount: 1500, currency: 'usd' });
  monthly = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 900,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
});
after(() => t.emu.close());

const CARD = { card_expiry: '12 / 34', card_cvc: '123', card_name: 'Ada Lovelace', email: 'ada@example.com' };

function post(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

async function session(params: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
  return t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id, quantity: 2 }],
    success_url: 'https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://shop.example/cancel',
    ...params,
  } as Stripe.Checkout.SessionCreateParams);
}

async function eventTypesSince(since: string | undefined): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(since ? { ending_before: since } : {}) });
  return list.data.reverse().map((e) => e.type);
}

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

test('the page shows the order and a card form; the stylesheet and script are served locally', async () => {
  const s = await session({ customer_email: 'ada@example.com' });
  const res = await fetch(s.url!);
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  const body = await res.text();
  assert.match(body, /Pro plan/);
  assert.match(body, /Qty 2 · \$15\.00 each/);
  assert.match(body, /\$30\.00/);
  assert.match(body, /value="ada@example\.com" readonly/);
  assert.match(body, /name="card_number"/);
  assert.match(body, /href="https:\/\/shop\.example\/cancel"/);
  assert.match(body, /Test mode/);
  assert.doesNotMatch(body, /https?:\/\/(?!shop\.example)[^"]*\.(css|js)/, 'no outside assets');
  const css = await fetch(`${t.emu.url}/_emulator/assets/pages.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type') ?? '', /text\/css/);
  const js = await fetch(`${t.emu.url}/_emulator/assets/pages.js`);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
});

test('validation errors are shown inline, nothing is created, and the card number is not echoed', async () => {
  const s = await session();
  const mark = await lastEventId();
  const res = await post(s.url!, {
    action: 'pay',
    card_number: '4242 4242 4242 4241',
    card_expiry: '01 / 20',
    card_cvc: '1',
    card_name: '',
    email: 'not-an-email',
  });
  assert.equal(res.status, 400);
  const body = await res.text();
  assert.match(body, /Your card number is incorrect\./);
  assert.match(body, /expiration date is in the past/);
  assert.match(body, /security code is incomplete/);
  assert.match(body, /Enter the name on the card\./);
  assert.match(body, /Enter a valid email address\./);
  assert.doesNotMatch(body, /4242 4242 4242 4241|4242424242424241/);
  assert.doesNotMatch(body, /id="card_number"[^>]*value=/);
  assert.deepEqual(await eventTypesSince(mark), []);
  assert.equal((await t.stripe.checkout.sessions.retrieve(s.id)).status, 'open');
});

test('a decline shows the reason inline and keeps the session open; a good card then pays it', async () => {
  const s = await session();
  const declined = await post(s.url!, { action: 'pay', card_number: '4000 0000 0000 9995', ...CARD });
  assert.equal(declined.status, 402);
  const body = await declined.text();
  assert.match(body, /Your card has insufficient funds\./);
  assert.doesNotMatch(body, /4000000000009995/);
  assert.doesNotMatch(body, /id="card_number"[^>]*value=/, 'the number field comes back empty');
  const open = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(open.status, 'open');
  const pi = open.payment_intent as Stripe.PaymentIntent;
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.last_payment_error?.decline_code, 'insufficient_funds');

  const paid = await post(s.url!, { action: 'pay', card_number: '4242 4242 4242 4242', ...CARD });
  assert.equal(paid.status, 303);
  assert.equal(paid.headers.get('location'), `https://shop.example/ok?session_id=${s.id}`);
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(done.status, 'complete');
  assert.equal(done.payment_status, 'paid');
  assert.equal((done.payment_intent as Stripe.PaymentIntent).id, pi.id, 'the same payment intent, retried');
  assert.equal(done.customer_details?.email, 'ada@example.com');
  assert.equal(done.customer_details?.name, 'Ada Lovelace');

  const again = await fetch(s.url!);
  assert.match(await again.text(), /This payment is complete/);
});

test('a live (non-test) card number and a wrong session answer clearly', async () => {
  const s = await session();
  const live = await post(s.url!, { action: 'pay', card_number: '4111 1111 1111 1111', ...CARD });
  assert.equal(live.status, 402);
  assert.match(await live.text(), /non test \(live\) card/);
  const missing = await fetch(`${t.emu.url}/c/pay/cs_test_doesnotexist`);
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /Checkout session not found/);
});

test('subscription mode with the 3-D Secure card, form path: challenge, complete, back to success_url', async () => {
  const s = await session({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }] });
  const mark = await lastEventId();
  const res = await post(s.url!, { action: 'pay', card_number: '4000 0027 6000 3184', ...CARD });
  assert.equal(res.status, 303);
  const challenge = res.headers.get('location')!;
  assert.match(challenge, /\/_emulator\/3ds\/pi_/);
  const page = await fetch(challenge);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /\$9\.00/);
  const done = await post(challenge, { outcome: 'succeed' });
  assert.equal(done.status, 303);
  const back = new URL(done.headers.get('location')!);
  assert.equal(back.pathname, `/c/pay/${s.id}/return`);
  assert.equal(back.searchParams.get('redirect_status'), 'succeeded');
  assert.match(back.searchParams.get('payment_intent') ?? '', /^pi_/);
  assert.match(back.searchParams.get('payment_intent_client_secret') ?? '', /_secret_/);
  const final = await fetch(back, { redirect: 'manual' });
  assert.equal(final.status, 303);
  assert.equal(final.headers.get('location'), `https://shop.example/ok?session_id=${s.id}`);
  const cs = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription'] });
  assert.equal(cs.status, 'complete');
  assert.equal((cs.subscription as Stripe.Subscription).status, 'active');
  const types = await eventTypesSince(mark);
  assert.ok(types.indexOf('invoice.payment_action_required') < types.indexOf('invoice.paid'), types.join());
  assert.equal(types.at(-1), 'checkout.session.completed', types.join());
  assert.ok(types.includes('payment_intent.requires_action'));
});

test('a promotion code applies its coupon to the total and the payment', async () => {
  const coupon = await t.stripe.coupons.create({ percent_off: 25, duration: 'once', name: 'Launch 25%' });
  await t.stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: coupon.id },
    code: 'LAUNCH25',
  });
  const s = await session({ allow_promotion_codes: true });
  const bad = await post(s.url!, { action: 'apply_promo', promo: 'NOPE' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /This code is invalid\./);
  const ok = await post(s.url!, { action: 'apply_promo', promo: 'launch25' });
  assert.equal(ok.status, 303);
  const page = await (await fetch(s.url!)).text();
  assert.match(page, /Launch 25%/);
  assert.match(page, /−\$7\.50/);
  assert.match(page, /Pay \$22\.50/);
  const paid = await post(s.url!, { action: 'pay', card_number: '4242424242424242', ...CARD });
  assert.equal(paid.status, 303);
  const cs = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent'] });
  assert.equal(cs.amount_total, 2250);
  assert.equal(cs.total_details?.amount_discount, 750);
  assert.equal((cs.payment_intent as Stripe.PaymentIntent).amount, 2250);
  const promo = (await t.stripe.promotionCodes.list({ code: 'LAUNCH25' })).data[0]!;
  assert.equal(promo.times_redeemed, 1);
});

test('zero-decimal currencies are shown without minor units', async () => {
  const yen = await t.stripe.prices.create({
    product: oneTime.product as string,
    unit_amount: 500,
    currency: 'jpy',
  });
  const s = await session({ line_items: [{ price: yen.id, quantity: 3 }] });
  const body = await (await fetch(s.url!)).text();
  assert.match(body, /¥1,500/);
  assert.match(body, /¥500 each/);
});

test('a trial shows "N days free, then $X per month" and starts the subscription trialing', async () => {
  const s = await session({
    mode: 'subscription',
    line_items: [{ price: monthly.id, quantity: 1 }],
    subscription_data: { trial_period_days: 14 },
  });
  const page = await (await fetch(s.url!)).text();
  assert.match(page, /14 days free/);
  assert.match(page, /Then \$9\.00 per month, starting /);
  assert.match(page, /Start trial/);
  const res = await post(s.url!, { action: 'pay', card_number: '4242 4242 4242 4242', ...CARD });
  assert.equal(res.status, 303);
  const cs = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription'] });
  assert.equal(cs.status, 'complete');
  assert.equal((cs.subscription as Stripe.Subscription).status, 'trialing');
});

test('payment mode with the 3-D Secure card, challenge failed: back on the page with the error, then paid', async () => {
  const s = await session({});
  const res = await post(s.url!, { action: 'pay', card_number: '4000 0027 6000 3184', ...CARD });
  assert.equal(res.status, 303);
  const challenge = res.headers.get('location')!;
  const failed = await post(challenge, { outcome: 'fail' });
  const back = new URL(failed.headers.get('location')!);
  assert.equal(back.searchParams.get('redirect_status'), 'failed');
  const page = await fetch(back, { redirect: 'manual' });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /failed authentication/);
  assert.equal((await t.stripe.checkout.sessions.retrieve(s.id)).status, 'open');
  const paid = await post(s.url!, { action: 'pay', card_number: '4242 4242 4242 4242', ...CARD });
  assert.equal(paid.status, 303);
  assert.equal((await t.stripe.checkout.sessions.retrieve(s.id)).payment_status, 'paid');
});

test('setup mode with the 3-D Secure card: challenge completed → session complete, card saved', async () => {
  const s = await t.stripe.checkout.sessions.create({
    mode: 'setup',
    currency: 'eur',
    success_url: 'https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}',
  });
  const res = await post(s.url!, { action: 'pay', card_number: '4000 0027 6000 3184', ...CARD });
  assert.equal(res.status, 303);
  const challenge = res.headers.get('location')!;
  assert.match(challenge, /\/_emulator\/3ds\/seti_/);
  const done = await post(challenge, { outcome: 'succeed' });
  const back = new URL(done.headers.get('location')!);
  assert.equal(back.searchParams.get('redirect_status'), 'succeeded');
  assert.match(back.searchParams.get('setup_intent') ?? '', /^seti_/);
  const final = await fetch(back, { redirect: 'manual' });
  assert.equal(final.headers.get('location'), `https://shop.example/ok?session_id=${s.id}`);
  const cs = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['setup_intent'] });
  assert.equal(cs.status, 'complete');
  const si = cs.setup_intent as Stripe.SetupIntent;
  assert.equal(si.status, 'succeeded');
  const pms = await t.stripe.paymentMethods.list({ customer: cs.customer as string, type: 'card' });
  assert.equal(pms.data[0]?.card?.last4, '3184');
});

test('the 3-D Secure page without a return_url shows the outcome, never raw JSON', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 700,
    currency: 'usd',
    payment_method: 'pm_card_authenticationRequired',
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    confirm: true,
  });
  const url = `${t.emu.url}/_emulator/3ds/${pi.id}`;
  const res = await post(url, { outcome: 'succeed' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await res.text(), /Authentication complete/);
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  const unknown = await fetch(`${t.emu.url}/_emulator/3ds/pi_doesnotexist`);
  assert.equal(unknown.status, 404);
});

test('expires_at is honoured on the emulator clock: the page then says the session expired', async () => {
  const s = await session({});
  const clock = (body: object) =>
    fetch(`${t.emu.url}/_emulator/clock`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  await clock({ advance: 25 * 3600 });
  try {
    const res = await fetch(s.url!);
    assert.equal(res.status, 410);
    assert.match(await res.text(), /This checkout session has expired/);
    const pay = await post(s.url!, { action: 'pay', card_number: '4242 4242 4242 4242', ...CARD });
    assert.equal(pay.status, 410);
    assert.equal((await t.stripe.checkout.sessions.retrieve(s.id)).status, 'expired');
  } finally {
    await clock({ real: true });
  }
});
