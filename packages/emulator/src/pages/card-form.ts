import type { Params } from '../core/form.js';
import { luhnValid } from '../resources/test-cards.js';
import { type Html, html } from './html.js';

/**
 * The card form shared by Checkout and the portal: its fields, the server-side checks (the page works
 * without script, so these are the real ones), and the inline errors. A card number is read from the
 * form and handed to the payment engine; it is never written back into a page or a log.
 */
export type CardField = 'card_number' | 'card_expiry' | 'card_cvc' | 'card_name' | 'email';

export type FieldErrors = Partial<Record<CardField, string>>;

export interface CardInput {
  number: string;
  exp: { month: number; year: number };
  cvc: string;
  name: string;
}

function field(body: Params, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}

export type Brand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'unknown';

export function brandOf(number: string): Brand {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  return 'unknown';
}

/** Reads and checks the card fields; `now` is the emulator clock (seconds) for "expiry in the future". */
export function readCard(body: Params, now: number): { card?: CardInput; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const number = field(body, 'card_number').replace(/[\s-]/g, '');
  if (number === '') errors.card_number = 'Enter your card number.';
  else if (!/^\d+$/.test(number) || !luhnValid(number)) errors.card_number = 'Your card number is incorrect.';
  const expRaw = field(body, 'card_expiry').trim();
  const m = /^(\d{1,2})\s*\/?\s*(\d{2}|\d{4})$/.exec(expRaw);
  let exp: { month: number; year: number } | undefined;
  if (expRaw === '') errors.card_expiry = 'Enter the expiration date.';
  else if (m === null) errors.card_expiry = 'Enter the expiration date as MM / YY.';
  else {
    const month = Number(m[1]);
    const year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
    const d = new Date(now * 1000);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth() + 1;
    if (month < 1 || month > 12) errors.card_expiry = "Your card's expiration month is invalid.";
    else if (year < y || (year === y && month < mo)) {
      errors.card_expiry = "Your card's expiration date is in the past.";
    } else if (year > y + 50) errors.card_expiry = "Your card's expiration year is invalid.";
    else exp = { month, year };
  }
  const cvc = field(body, 'card_cvc').trim();
  const wantCvc = brandOf(number) === 'amex' ? 4 : 3;
  if (cvc === '') errors.card_cvc = "Enter the card's security code.";
  else if (!/^\d+$/.test(cvc) || cvc.length !== wantCvc)
    errors.card_cvc = "Your card's security code is incomplete.";
  const name = field(body, 'card_name').trim();
  if (name === '') errors.card_name = 'Enter the name on the card.';
  else if (name.length > 200) errors.card_name = 'The name on the card is too long.';
  if (Object.keys(errors).length > 0 || exp === undefined) return { errors };
  return { card: { number, exp, cvc, name }, errors };
}

export function readEmail(body: Params): { email?: string; error?: string } {
  const email = field(body, 'email').trim();
  if (email === '') return { error: 'Enter your email address.' };
  if (email.length > 320 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    return { error: 'Enter a valid email address.' };
  }
  return { email };
}

/** Which field a Stripe card error's `param` points to (a decline with no param points nowhere). */
export function fieldOfParam(param: string | undefined): CardField | undefined {
  if (param === 'number') return 'card_number';
  if (param === 'exp_month' || param === 'exp_year') return 'card_expiry';
  if (param === 'cvc') return 'card_cvc';
  return undefined;
}

function errorAttrs(id: string, error: string | undefined): Html {
  return error
    ? html` aria-invalid="true" aria-describedby="${id}-error"`
    : html` aria-describedby="${id}-error"`;
}

function fieldError(id: string, error: string | undefined): Html {
  return html`<p class="field-error" id="${id}-error" role="alert">${error ?? ''}</p>`;
}

/**
 * The card fields. Only the name (and never the number or CVC) is given back after a failed
 * attempt, so nothing sensitive is echoed into the page.
 */
export function cardFields(errors: FieldErrors, keep: { name?: string; expiry?: string }): Html {
  return html`<fieldset>
<legend>Card information</legend>
<div class="card-labels"><label for="card_number">Card number</label></div>
<div class="card-group">
  <div class="number-wrap">
    <input type="text" id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number"
      placeholder="1234 1234 1234 1234" maxlength="23" required${errorAttrs('card_number', errors.card_number)}>
    <span class="brand" data-brand aria-hidden="true"></span>
  </div>
  <div class="pair">
    <div><label class="visually-hidden" for="card_expiry">Expiration date (MM / YY)</label>
      <input type="text" id="card_expiry" name="card_expiry" inputmode="numeric" autocomplete="cc-exp"
        placeholder="MM / YY" maxlength="9" required value="${keep.expiry ?? ''}"${errorAttrs('card_expiry', errors.card_expiry)}></div>
    <div><label class="visually-hidden" for="card_cvc">Security code (CVC)</label>
      <input type="text" id="card_cvc" name="card_cvc" inputmode="numeric" autocomplete="cc-csc"
        placeholder="CVC" maxlength="4" required${errorAttrs('card_cvc', errors.card_cvc)}></div>
  </div>
</div>
${fieldError('card_number', errors.card_number)}
${fieldError('card_expiry', errors.card_expiry)}
${fieldError('card_cvc', errors.card_cvc)}
</fieldset>
<div class="field">
  <label for="card_name">Name on card</label>
  <input type="text" id="card_name" name="card_name" autocomplete="cc-name" required value="${keep.name ?? ''}"${errorAttrs('card_name', errors.card_name)}>
  ${fieldError('card_name', errors.card_name)}
</div>`;
}

/** Expiry as typed, when it was valid (kept after a decline so only number and CVC are typed again). */
export function keptExpiry(body: Params): string {
  const v = field(body, 'card_expiry').trim();
  return /^\d{1,2}\s*\/?\s*\d{2,4}$/.test(v) ? v : '';
}

export function keptName(body: Params): string {
  return field(body, 'card_name').trim().slice(0, 200);
}

export function testCardsHint(): Html {
  return html`<details class="test-cards"><summary>Test cards</summary><ul>
<li><code>4242 4242 4242 4242</code> succeeds</li>
<li><code>4000 0027 6000 3184</code> asks for 3-D Secure</li>
<li><code>4000 0000 0000 9995</code> is declined (insufficient funds)</li>
<li><code>4000 0000 0000 0002</code> is declined</li>
</ul><p>Any future expiry, any CVC, any name.</p></details>`;
}
