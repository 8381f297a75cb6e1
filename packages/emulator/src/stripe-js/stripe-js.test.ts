// The Stripe.js stand-in in Chromium: a merchant page on another origin loads <emulator>/v3/, mounts
// the Payment Element and confirms; the outcome is checked in the page and through the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { axeViolations, launchBrowser, screenshots } from '../browser-testing.js';
import { type TestEmulator, testEmulator } from '../testing.js';
import { type MerchantSite, type PayPageConfig, startMerchantSite } from './merchant-site.js';

const PK = 'pk_test_merchant';

let t: TestEmulator;
let site: MerchantSite;
let browser: Browser;
before(async () => {
  t = await testEmulator();
  site = await startMerchantSite(t.emu.url);
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  await site.close();
  await t.emu.close();
});

interface Result {
  error?: {
    type: string;
    code?: string;
    decline_code?: string;
    message?: string;
    payment_intent?: { id: string };
  };
  paymentIntent?: { id: string; status: string };
  setupIntent?: { id: string; status: string; payment_method: string };
}

async function openPay(
  config: Omit<PayPageConfig, 'pk'>,
  /** For axe-core, which is injected as an inline script the element page's CSP refuses. */
  bypassCSP = false,
): Promise<{ page: Page; frame: FrameLocator }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, bypassCSP });
  await page.goto(site.payPage({ pk: PK, ...config }));
  await page.waitForFunction(() =>
    (globalThis as unknown as { __events: string[] }).__events.includes('ready'),
  );
  return { page, frame: page.frameLocator('iframe[title="Secure payment input frame"]') };
}

async function fillCard(frame: FrameLocator, number: string, zip = true): Promise<void> {
  await frame.getByLabel('Card number').fill(number);
  await frame.getByLabel('Expiration date').fill('12 / 34');
  await frame.getByLabel('Security code').fill('123');
  if (zip) await frame.getByLabel('ZIP code').fill('10001');
}

/** Submits the merchant's form and waits for the n-th result of stripe.confirm…(). */
async function pay(page: Page, n: number): Promise<Result> {
  await page.getByRole('button', { name: /^(Pay|Save card)/ }).click();
  await page.waitForFunction(
    (k) => (globalThis as unknown as { __results: unknown[] }).__results.length >= k,
    n,
  );
  return page.evaluate((k) => (globalThis as unknown as { __results: Result[] }).__results[k - 1]!, n);
}

function paymentIntent(amount = 2000) {
  return t.stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    automatic_payment_methods: { enabled: true },
  });
}

test('the Payment Element confirms a PaymentIntent from another origin; the card never reaches the page', async () => {
  const pi = await paymentIntent();
  const { page, frame } = await openPay(
    {
      kind: 'payment',
      clientSecret: pi.client_secret!,
      redirect: 'if_required',
      amount: '$20.00',
    },
    true,
  );
  assert.notEqual(new URL(site.url).origin, new URL(t.emu.url).origin);
  await screenshots(page, 'stripejs', 'payment-element');
  const frameHandle = page.frames().find((f) => f.url().includes('/v3/elements/payment'));
  assert.ok(frameHandle, 'the element is an iframe served by the emulator');
  // axeViolations runs in a page; a frame has the same addScriptTag and evaluate.
  const violations = await axeViolations(frameHandle as unknown as Page);
  assert.deepEqual(violations, []);

  await fillCard(frame, '4242424242424242');
  const changes = await page.evaluate(
    () => (globalThis as unknown as { __changes: Record<string, unknown>[] }).__changes,
  );
  assert.equal(changes[0]?.elementType, 'payment');
  assert.equal(changes[0]?.empty, true);
  const last = changes.at(-1)!;
  assert.equal(last.complete, true);
  assert.equal(last.empty, false);
  assert.deepEqual(last.value, { type: 'card' });
  assert.equal(last.error, undefined);
  // The number was typed and formatted inside the iframe; the merchant's DOM has no card field.
  assert.equal(await frame.getByLabel('Card number').inputValue(), '4242 4242 4242 4242');
  assert.equal(await page.locator('input').count(), 0);

  const result = await pay(page, 1);
  const events = await page.evaluate(() => (globalThis as unknown as { __events: string[] }).__events);
  assert.deepEqual(
    events.slice(0, 3),
    ['ready', 'focus', 'blur'],
    'typing focuses the element, Pay blurs it',
  );
  assert.equal(result.error, undefined);
  assert.equal(result.paymentIntent?.id, pi.id);
  assert.equal(result.paymentIntent?.status, 'succeeded');
  const after = await t.stripe.paymentIntents.retrieve(pi.id, { expand: ['payment_method'] });
  assert.equal(after.status, 'succeeded');
  assert.equal((after.payment_method as { card?: { last4: string } }).card?.last4, '4242');
  const succeeded = await t.stripe.events.list({ type: 'payment_intent.succeeded', limit: 10 });
  assert.ok(succeeded.data.some((e) => (e.data.object as { id: string }).id === pi.id));
  await page.close();
});

test('a decline answers Stripe.js error shape, the card stays editable, and 4242 then succeeds', async () => {
  const pi = await paymentIntent(1500);
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret: pi.client_secret!,
    redirect: 'if_required',
    amount: '$15.00',
  });
  await fillCard(frame, '4000000000009995');
  const declined = await pay(page, 1);
  assert.equal(declined.error?.type, 'card_error');
  assert.equal(declined.error?.code, 'card_declined');
  assert.equal(declined.error?.decline_code, 'insufficient_funds');
  assert.match(declined.error?.message ?? '', /insufficient funds/);
  assert.equal(declined.error?.payment_intent?.id, pi.id);
  await page.getByText(/insufficient funds/).waitFor();
  await screenshots(page, 'stripejs', 'payment-declined');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'requires_payment_method');

  const number = frame.getByLabel('Card number');
  assert.equal(await number.isEditable(), true);
  await number.fill('4242 4242 4242 4242');
  const paid = await pay(page, 2);
  assert.equal(paid.error, undefined);
  assert.equal(paid.paymentIntent?.status, 'succeeded');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  await page.close();
});

test('an invalid card number is shown inline and nothing is sent', async () => {
  const pi = await paymentIntent();
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret: pi.client_secret!,
    redirect: 'if_required',
  });
  await fillCard(frame, '4242424242424241');
  await frame.getByText('Your card number is invalid.').waitFor();
  const changes = await page.evaluate(
    () => (globalThis as unknown as { __changes: { error?: { code: string } }[] }).__changes,
  );
  assert.equal(changes.at(-1)?.error?.code, 'invalid_number');
  const submitted = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      __elements: { submit(): Promise<unknown>; getElement(t: string): unknown };
      __element: unknown;
    };
    return { result: await g.__elements.submit(), same: g.__elements.getElement('payment') === g.__element };
  });
  assert.deepEqual(submitted, {
    result: {
      error: { type: 'validation_error', code: 'invalid_number', message: 'Your card number is invalid.' },
    },
    same: true,
  });
  assert.equal(await page.locator('#payment-element.StripeElement--invalid').count(), 1);
  const result = await pay(page, 1);
  assert.equal(result.error?.type, 'validation_error');
  assert.equal(result.error?.code, 'invalid_number');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'requires_payment_method');
  await page.close();
});

test("redirect: 'always' lands on return_url with payment_intent, its client secret and redirect_status", async () => {
  const pi = await paymentIntent();
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret: pi.client_secret!,
    redirect: 'always',
  });
  await fillCard(frame, '4242424242424242');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await page.waitForURL(/\/return\?/);
  const url = new URL(page.url());
  assert.equal(url.origin, site.url);
  assert.equal(url.searchParams.get('payment_intent'), pi.id);
  assert.equal(url.searchParams.get('payment_intent_client_secret'), pi.client_secret);
  assert.equal(url.searchParams.get('redirect_status'), 'succeeded');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  await page.close();
});

test("a subscription's first payment (default_incomplete) confirmed with the Payment Element activates it", async () => {
  const customer = await t.stripe.customers.create({ email: 'sub@example.com' });
  const price = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 1200,
    recurring: { interval: 'month' },
    product_data: { name: 'Acme Cloud Pro' },
  });
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    payment_behavior: 'default_incomplete',
    payment_settings: { save_default_payment_method: 'on_subscription' },
    expand: ['latest_invoice.confirmation_secret'],
  });
  assert.equal(sub.status, 'incomplete');
  const invoice = sub.latest_invoice as { id: string; confirmation_secret?: { client_secret: string } };
  const clientSecret = invoice.confirmation_secret?.client_secret;
  assert.ok(clientSecret);
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret,
    redirect: 'if_required',
    amount: '$12.00 / month',
  });
  await fillCard(frame, '4242424242424242');
  const result = await pay(page, 1);
  assert.equal(result.paymentIntent?.status, 'succeeded');
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'active');
  assert.equal((await t.stripe.invoices.retrieve(invoice.id)).status, 'paid');
  await page.close();
});

test('confirmSetup saves a card to the customer', async () => {
  const customer = await t.stripe.customers.create({ email: 'setup@example.com' });
  const si = await t.stripe.setupIntents.create({ customer: customer.id });
  const { page, frame } = await openPay({
    kind: 'setup',
    clientSecret: si.client_secret!,
    redirect: 'if_required',
    appearance: {
      theme: 'flat',
      variables: { colorPrimary: '#7c3aed', borderRadius: '12px', fontFamily: 'Georgia, serif' },
    },
  });
  const look = await frame.getByLabel('Card number').evaluate((input) => {
    // Runs in the iframe; this file is compiled without the DOM library.
    const w = globalThis as unknown as {
      getComputedStyle(e: unknown): { borderTopLeftRadius: string; fontFamily: string };
      document: { documentElement: { dataset: Record<string, string> } };
    };
    const style = w.getComputedStyle(input);
    return {
      radius: style.borderTopLeftRadius,
      font: style.fontFamily,
      theme: w.document.documentElement.dataset.theme,
    };
  });
  assert.deepEqual(look, { radius: '12px', font: 'Georgia, serif', theme: 'flat' });
  await fillCard(frame, '5555555555554444');
  const result = await pay(page, 1);
  assert.equal(result.error, undefined);
  assert.equal(result.setupIntent?.status, 'succeeded');
  const methods = await t.stripe.customers.listPaymentMethods(customer.id);
  assert.deepEqual(
    methods.data.map((m) => [m.id, m.card?.brand, m.card?.last4]),
    [[result.setupIntent?.payment_method, 'mastercard', '4444']],
  );
  await page.close();
});

test('the Card Element with confirmCardPayment', async () => {
  const pi = await paymentIntent(999);
  const { page, frame } = await openPay({
    kind: 'payment',
    element: 'card',
    clientSecret: pi.client_secret!,
  });
  await frame.getByLabel('Card number').fill('4242424242424242');
  await frame.getByLabel('Expiration date (MM / YY)').fill('1234');
  await frame.getByLabel('Security code (CVC)').fill('123');
  await frame.getByLabel('ZIP code').fill('94107');
  const last = await page.evaluate(() =>
    (globalThis as unknown as { __changes: Record<string, unknown>[] }).__changes.at(-1),
  );
  assert.equal(last?.elementType, 'card');
  assert.equal(last?.brand, 'visa');
  assert.equal(last?.complete, true);
  assert.deepEqual(last?.value, { postalCode: '94107' });
  assert.equal(await page.locator('#payment-element.StripeElement--complete').count(), 1);
  const result = await pay(page, 1);
  assert.equal(result.paymentIntent?.status, 'succeeded');
  await page.close();
});

test('redirectToCheckout({sessionId}) navigates to the session url', async () => {
  const session = await t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [
      { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Credits' } }, quantity: 1 },
    ],
    success_url: `${site.url}/return?session_id={CHECKOUT_SESSION_ID}`,
  });
  const page = await browser.newPage();
  await page.goto(site.checkoutPage(PK, session.id));
  await page.getByRole('button', { name: 'Go to checkout' }).click();
  await page.waitForURL((u) => u.toString() === session.url);
  await page.close();
});

test('a secret key is refused in the browser; a publishable key only reaches publishable endpoints', async () => {
  const page = await browser.newPage();
  await page.goto(site.checkoutPage(PK, 'cs_test_unused'));
  const refused = await page.evaluate(() => {
    const make = (globalThis as unknown as { Stripe: (k: string) => unknown }).Stripe;
    const out: string[][] = [];
    for (const key of ['sk_test_123', 'rk_test_123', '']) {
      try {
        make(key);
        out.push(['accepted']);
      } catch (err) {
        out.push([(err as Error).name, (err as Error).message]);
      }
    }
    return out;
  });
  assert.deepEqual(refused[0], [
    'IntegrationError',
    'You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.',
  ]);
  assert.equal(refused[1]?.[0], 'IntegrationError');
  assert.equal(refused[2]?.[0], 'IntegrationError');
  // A client secret of the wrong kind is an integration mistake, refused before any request.
  const misuse = await page.evaluate(async () => {
    const stripe = (
      globalThis as unknown as { Stripe: (k: string) => { confirmCardPayment(s: string): Promise<unknown> } }
    ).Stripe('pk_test_merchant');
    try {
      await stripe.confirmCardPayment('seti_123_secret_456');
      return 'resolved';
    } catch (err) {
      return (err as Error).name;
    }
  });
  assert.equal(misuse, 'IntegrationError');
  // From the merchant's origin, with the publishable key: CORS lets the page read Stripe's refusal.
  const answer = await page.evaluate(async (base) => {
    const res = await fetch(`${base}/v1/customers`, {
      headers: { Authorization: 'Bearer pk_test_merchant' },
    });
    return { status: res.status, body: (await res.json()) as { error: { message: string } } };
  }, t.emu.url);
  assert.equal(answer.status, 401);
  assert.match(answer.body.error.message, /cannot be made with a publishable API key/);
  await page.close();
});

/** The 3-D Secure modal over the merchant's page, and the button to press in it. */
async function answerChallenge(
  page: Page,
  button: 'Complete authentication' | 'Fail authentication',
  shot?: string,
) {
  const dialog = page.getByRole('dialog', { name: '3D Secure authentication' });
  await dialog.waitFor();
  const challenge = page.frameLocator('iframe[title="3D Secure authentication"]');
  await challenge.getByRole('button', { name: button }).waitFor();
  if (shot) await screenshots(page, 'stripejs', shot);
  await challenge.getByRole('button', { name: button }).click();
}

test("3-D Secure with redirect: 'if_required': the modal, Complete → the promise resolves succeeded", async () => {
  const pi = await paymentIntent(4200);
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret: pi.client_secret!,
    redirect: 'if_required',
    amount: '$42.00',
  });
  await fillCard(frame, '4000002760003184');
  const submitted = pay(page, 1);
  await answerChallenge(page, 'Complete authentication', 'three-ds-modal');
  const result = await submitted;
  assert.equal(result.error, undefined);
  assert.equal(result.paymentIntent?.status, 'succeeded');
  assert.equal(await page.getByRole('dialog').count(), 0, 'the modal is gone');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  const types = (await t.stripe.events.list({ limit: 20 })).data
    .filter((e) => (e.data.object as { id: string }).id === pi.id)
    .map((e) => e.type)
    .reverse();
  assert.deepEqual(types, [
    'payment_intent.created',
    'payment_intent.requires_action',
    'payment_intent.succeeded',
  ]);
  await page.close();
});

test('3-D Secure failed in the modal answers payment_intent_authentication_failure', async () => {
  const pi = await paymentIntent(4300);
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret: pi.client_secret!,
    redirect: 'if_required',
  });
  await fillCard(frame, '4000002760003184');
  const submitted = pay(page, 1);
  await answerChallenge(page, 'Fail authentication');
  const result = await submitted;
  assert.equal(result.error?.type, 'invalid_request_error');
  assert.equal(result.error?.code, 'payment_intent_authentication_failure');
  assert.equal(result.error?.payment_intent?.id, pi.id);
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'requires_payment_method');
  assert.equal(await frame.getByLabel('Card number').isEditable(), true);
  await page.close();
});

test('3-D Secure with a redirect: after Complete the page lands on return_url with redirect_status', async () => {
  const pi = await paymentIntent(4400);
  const { page, frame } = await openPay({
    kind: 'payment',
    clientSecret: pi.client_secret!,
    redirect: 'always',
  });
  await fillCard(frame, '4000002760003184');
  await page.getByRole('button', { name: /^Pay/ }).click();
  await answerChallenge(page, 'Complete authentication');
  await page.waitForURL(/\/return\?/);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('payment_intent'), pi.id);
  assert.equal(url.searchParams.get('payment_intent_client_secret'), pi.client_secret);
  assert.equal(url.searchParams.get('redirect_status'), 'succeeded');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  await page.close();
});

test('handleNextAction on an intent confirmed server-side with a return_url redirects through the challenge page', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 4500,
    currency: 'usd',
    payment_method: 'pm_card_authenticationRequired',
    confirm: true,
    return_url: `${site.url}/return`,
  });
  assert.equal(pi.next_action?.type, 'redirect_to_url');
  const page = await browser.newPage();
  await page.goto(site.checkoutPage(PK, 'cs_test_unused'));
  // The page navigates away while this runs (the promise never settles), which ends the evaluation.
  const navigating = page.evaluate(
    (secret) =>
      (globalThis as unknown as { Stripe: (k: string) => { handleNextAction(o: object): Promise<unknown> } })
        .Stripe('pk_test_merchant')
        .handleNextAction({ clientSecret: secret }),
    pi.client_secret!,
  );
  navigating.catch(() => {});
  await page.getByRole('button', { name: 'Complete authentication' }).click();
  await page.waitForURL(/\/return\?/);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('payment_intent'), pi.id);
  assert.equal(url.searchParams.get('redirect_status'), 'succeeded');
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'succeeded');
  await page.close();
});

test('confirmSetup with a card that asks for 3-D Secure: the modal, then the card is saved', async () => {
  const customer = await t.stripe.customers.create({ email: 'setup3ds@example.com' });
  const si = await t.stripe.setupIntents.create({ customer: customer.id });
  const { page, frame } = await openPay({
    kind: 'setup',
    clientSecret: si.client_secret!,
    redirect: 'if_required',
  });
  await fillCard(frame, '4000002500003155');
  const submitted = pay(page, 1);
  await answerChallenge(page, 'Complete authentication');
  const result = await submitted;
  assert.equal(result.setupIntent?.status, 'succeeded');
  const methods = await t.stripe.customers.listPaymentMethods(customer.id);
  assert.equal(methods.data[0]?.card?.last4, '3155');
  await page.close();
});

test('the Address Element: change events and getValue()', async () => {
  const pi = await paymentIntent();
  const { page } = await openPay(
    {
      kind: 'payment',
      clientSecret: pi.client_secret!,
      redirect: 'if_required',
      address: true,
    },
    true,
  );
  const address = page.frameLocator('iframe[src*="/v3/elements/address"]');
  await address.getByLabel('Full name').fill('Ada Lovelace');
  await address.getByLabel('Address line 1').fill('1 Main St');
  await address.getByLabel('City').fill('Springfield');
  await address.getByLabel('Postal code').fill('12345');
  await page.frameLocator('iframe[src*="/v3/elements/payment"]').getByLabel('Card number').fill('4242');
  const value = await page.evaluate(() =>
    (globalThis as unknown as { __address: { getValue(): Promise<unknown> } }).__address.getValue(),
  );
  assert.deepEqual(value, {
    complete: true,
    isNewAddress: true,
    value: {
      name: 'Ada Lovelace',
      address: {
        line1: '1 Main St',
        line2: null,
        city: 'Springfield',
        state: '',
        postal_code: '12345',
        country: 'US',
      },
    },
  });
  const last = await page.evaluate(() =>
    (globalThis as unknown as { __changes: { elementType: string; complete: boolean }[] }).__changes
      .filter((c) => c.elementType === 'address')
      .at(-1),
  );
  assert.equal(last?.complete, true);
  await screenshots(page, 'stripejs', 'address-and-payment');
  const addressFrame = page.frames().find((f) => f.url().includes('/v3/elements/address'));
  assert.deepEqual(await axeViolations(addressFrame as unknown as Page), []);

  // elements.update() reaches the iframes: the night theme; element.clear() empties the card form.
  await page.evaluate(() => {
    const g = globalThis as unknown as {
      __elements: { update(o: object): void };
      __element: { clear(): void };
    };
    g.__elements.update({ appearance: { theme: 'night' } });
    g.__element.clear();
  });
  const paymentFrame = page.frames().find((f) => f.url().includes('/v3/elements/payment'))!;
  await paymentFrame.waitForFunction(() => {
    const d = (
      globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }
    ).document;
    return d.documentElement.dataset.theme === 'night';
  });
  assert.equal(
    await page.frameLocator('iframe[src*="/v3/elements/payment"]').getByLabel('Card number').inputValue(),
    '',
  );
  await page.close();
});

test('unmount, mount again, focus(), off() and destroy()', async () => {
  const pi = await paymentIntent();
  const { page, frame } = await openPay({
    kind: 'payment',
    element: 'card',
    clientSecret: pi.client_secret!,
  });
  type G = {
    __events: string[];
    __changes: unknown[];
    __element: {
      unmount(): void;
      mount(s: string): void;
      focus(): void;
      off(t: string): void;
      destroy(): void;
    };
    __elements: { create(t: string): unknown; getElement(t: string): unknown };
  };
  await page.evaluate(() => (globalThis as unknown as G).__element.unmount());
  assert.equal(await page.locator('#payment-element iframe').count(), 0);
  assert.equal(await page.locator('#payment-element.StripeElement').count(), 0);
  await page.evaluate(() => (globalThis as unknown as G).__element.mount('#payment-element'));
  await page.waitForFunction(
    () => (globalThis as unknown as G).__events.filter((e) => e === 'ready').length === 2,
  );
  await page.evaluate(() => (globalThis as unknown as G).__element.focus());
  await page.waitForFunction(() => (globalThis as unknown as G).__events.includes('focus'));

  const before = await page.evaluate(() => (globalThis as unknown as G).__changes.length);
  await page.evaluate(() => (globalThis as unknown as G).__element.off('change'));
  await frame.getByLabel('Card number').fill('4242');
  await frame.getByLabel('ZIP code').fill('1');
  assert.equal(await page.evaluate(() => (globalThis as unknown as G).__changes.length), before);

  const recreated = await page.evaluate(() => {
    const g = globalThis as unknown as G;
    let again = '';
    try {
      g.__elements.create('card');
    } catch (err) {
      again = (err as Error).message;
    }
    g.__element.destroy();
    return {
      again,
      gone: g.__elements.getElement('card') === null,
      fresh: g.__elements.create('card') !== null,
    };
  });
  assert.deepEqual(recreated, {
    again: 'Can only create one Element of type card.',
    gone: true,
    fresh: true,
  });
  assert.equal(await page.locator('#payment-element iframe').count(), 0);
  await page.close();
});
