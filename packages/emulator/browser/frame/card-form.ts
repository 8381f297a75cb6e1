// The card form of the Payment Element (stacked, labelled fields) and of the Card Element (one line).
import type { FrameChange, ValidationError } from '../protocol.js';
import {
  checkCvc,
  checkExpiry,
  checkNumber,
  checkPostal,
  digitsOf,
  formatExpiry,
  formatNumber,
  POSTAL,
  parseExpiry,
  ruleFor,
} from './card.js';
import { COUNTRIES } from './countries.js';
import { Field } from './fields.js';

export interface CardDetails {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc: string;
  country: string | undefined;
  postalCode: string | undefined;
}

const BRAND_NAMES: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
};

export class CardForm {
  readonly number: Field;
  readonly expiry: Field;
  readonly cvc: Field;
  readonly country: Field | undefined;
  readonly postal: Field;
  readonly #brand: HTMLSpanElement;
  #hidePostal: boolean;

  constructor(
    root: HTMLElement,
    readonly layout: 'payment' | 'card',
    options: Record<string, unknown>,
    readonly onChange: () => void,
  ) {
    const oneLine = layout === 'card';
    this.#hidePostal = oneLine && options.hidePostalCode === true;
    this.number = new Field(
      {
        name: 'number',
        label: 'Card number',
        placeholder: '1234 1234 1234 1234',
        autocomplete: 'cc-number',
        inputMode: 'numeric',
        hiddenLabel: oneLine,
      },
      'card',
    );
    this.expiry = new Field(
      {
        name: 'expiry',
        label: oneLine ? 'Expiration date (MM / YY)' : 'Expiration date',
        placeholder: 'MM / YY',
        autocomplete: 'cc-exp',
        inputMode: 'numeric',
        hiddenLabel: oneLine,
      },
      'card',
    );
    this.cvc = new Field(
      {
        name: 'cvc',
        label: oneLine ? 'Security code (CVC)' : 'Security code',
        placeholder: 'CVC',
        autocomplete: 'cc-csc',
        inputMode: 'numeric',
        hiddenLabel: oneLine,
      },
      'card',
    );
    this.postal = new Field(
      {
        name: 'postal',
        label: 'ZIP code',
        placeholder: oneLine ? 'ZIP' : '12345',
        autocomplete: 'postal-code',
        hiddenLabel: oneLine,
      },
      'card',
    );
    this.#brand = document.createElement('span');
    this.#brand.className = 'brands';
    this.#brand.setAttribute('aria-hidden', 'true');
    this.number.wrap.append(this.#brand);

    const defaults = (options.defaultValues as { billingDetails?: { address?: Record<string, string> } })
      ?.billingDetails?.address;
    if (oneLine) {
      const row = document.createElement('div');
      row.className = 'card-row';
      row.append(this.number.wrap, this.expiry.wrap, this.cvc.wrap);
      if (!this.#hidePostal) row.append(this.postal.wrap);
      root.append(row);
      const value = options.value as { postalCode?: string } | undefined;
      if (value?.postalCode) this.postal.value = value.postalCode;
    } else {
      this.country = new Field(
        { name: 'country', label: 'Country', autocomplete: 'country', options: COUNTRIES },
        'card',
      );
      this.country.value = defaults?.country ?? 'US';
      if (defaults?.postal_code) this.postal.value = defaults.postal_code;
      const rows = [[this.number], [this.expiry, this.cvc], [this.country, this.postal]];
      for (const fields of rows) {
        const row = document.createElement('div');
        row.className = 'row';
        for (const f of fields) row.append(f.wrap);
        root.append(row);
      }
      this.country.control.addEventListener('change', () => {
        this.#syncPostal();
        this.onChange();
      });
      this.#syncPostal();
    }
    this.#wire(this.number, formatNumber);
    this.#wire(this.expiry, formatExpiry);
    this.#wire(this.cvc, (v) => digitsOf(v).slice(0, ruleFor(digitsOf(this.number.value)).cvc));
    this.#wire(this.postal, (v) => v.slice(0, 10));
    this.#showBrand();
  }

  get fields(): Field[] {
    return [this.number, this.expiry, this.cvc, ...(this.country ? [this.country] : []), this.postal];
  }

  #postalNeeded(): boolean {
    if (this.layout === 'card') return !this.#hidePostal;
    return POSTAL[this.country?.value ?? ''] !== undefined;
  }

  #syncPostal(): void {
    const rule = POSTAL[this.country?.value ?? ''];
    this.postal.wrap.hidden = rule === undefined;
    if (rule) this.postal.label.textContent = rule.label;
  }

  #wire(field: Field, format: (v: string) => string): void {
    const input = field.control as HTMLInputElement;
    input.addEventListener('input', () => {
      const formatted = format(input.value);
      if (formatted !== input.value) input.value = formatted;
      if (field === this.number) this.#showBrand();
      // A complete but wrong number shows its error at once, as Stripe's does.
      if (field === this.number && checkNumber(input.value)?.code === 'invalid_number') field.touched = true;
      this.onChange();
    });
    input.addEventListener('blur', () => {
      if (input.value !== '') field.touched = true;
      this.onChange();
    });
  }

  #showBrand(): void {
    const digits = digitsOf(this.number.value);
    const brand = digits === '' ? 'unknown' : ruleFor(digits).brand;
    this.#brand.replaceChildren();
    const shown = brand === 'unknown' ? ['visa', 'mastercard', 'amex'] : [brand];
    for (const b of shown) {
      const badge = document.createElement('span');
      badge.className = `brand brand-${b}`;
      badge.title = BRAND_NAMES[b] ?? b;
      badge.textContent =
        b === 'mastercard' ? 'MC' : b === 'amex' ? 'AMEX' : (BRAND_NAMES[b] ?? b).toUpperCase();
      this.#brand.append(badge);
    }
  }

  /** Each field's error, in form order (hidden postal codes excepted). */
  errors(): [Field, ValidationError | undefined][] {
    const out: [Field, ValidationError | undefined][] = [
      [this.number, checkNumber(this.number.value)],
      [this.expiry, checkExpiry(this.expiry.value, new Date())],
      [this.cvc, checkCvc(this.cvc.value, this.number.value)],
    ];
    if (this.#postalNeeded()) {
      const country = this.layout === 'card' ? 'US' : (this.country?.value ?? '');
      const err =
        this.layout === 'card'
          ? this.postal.value.trim() === ''
            ? {
                type: 'validation_error' as const,
                code: 'incomplete_zip',
                message: 'Your postal code is incomplete.',
              }
            : undefined
          : checkPostal(this.postal.value, country);
      out.push([this.postal, err]);
    }
    return out;
  }

  change(): FrameChange {
    const errors = this.errors();
    let shown: ValidationError | undefined;
    for (const [field, error] of errors) {
      field.show(error);
      if (shown === undefined && error !== undefined && field.touched) shown = error;
    }
    const digits = digitsOf(this.number.value);
    const empty = [this.number, this.expiry, this.cvc].every((f) => f.value === '');
    const complete = errors.every(([, e]) => e === undefined);
    const brand = digits === '' ? 'unknown' : ruleFor(digits).brand;
    return {
      complete,
      empty,
      error: shown,
      brand,
      value:
        this.layout === 'payment'
          ? { type: 'card' }
          : { postalCode: this.#hidePostal ? '' : this.postal.value },
    };
  }

  details(): CardDetails {
    const exp = parseExpiry(this.expiry.value) ?? { month: 0, year: 0 };
    return {
      number: digitsOf(this.number.value),
      exp_month: exp.month,
      exp_year: exp.year,
      cvc: digitsOf(this.cvc.value),
      country: this.country?.value,
      postalCode: this.#postalNeeded() ? this.postal.value.trim() : undefined,
    };
  }
}
