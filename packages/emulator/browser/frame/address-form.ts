// The Address Element: name and postal address, with `{name, address}` as its value.
import type { FrameChange, ValidationError } from '../protocol.js';
import { POSTAL } from './card.js';
import { COUNTRIES } from './countries.js';
import { Field } from './fields.js';

export interface AddressValue {
  name: string;
  address: {
    line1: string;
    line2: string | null;
    city: string;
    state: string;
    postal_code: string;
    country: string;
  };
}

const REQUIRED = ['name', 'line1', 'city', 'postal_code'] as const;

export class AddressForm {
  readonly fields: Record<string, Field>;

  constructor(
    root: HTMLElement,
    options: Record<string, unknown>,
    readonly onChange: () => void,
  ) {
    const make = (name: string, label: string, autocomplete: string, optional = false) =>
      new Field({ name, label, autocomplete, optional }, 'address');
    this.fields = {
      name: make('name', 'Full name', 'name'),
      country: new Field(
        { name: 'country', label: 'Country or region', autocomplete: 'country', options: COUNTRIES },
        'address',
      ),
      line1: make('line1', 'Address line 1', 'address-line1'),
      line2: make('line2', 'Address line 2 (optional)', 'address-line2', true),
      city: make('city', 'City', 'address-level2'),
      state: make('state', 'State or province', 'address-level1', true),
      postal_code: make('postal_code', 'Postal code', 'postal-code'),
    };
    const f = this.fields;
    const defaults = options.defaultValues as
      | { name?: string; address?: Partial<AddressValue['address']> }
      | undefined;
    f.name!.value = defaults?.name ?? '';
    f.country!.value = defaults?.address?.country ?? 'US';
    for (const k of ['line1', 'line2', 'city', 'state', 'postal_code'] as const) {
      f[k]!.value = defaults?.address?.[k] ?? '';
    }
    for (const fields of [
      [f.name!],
      [f.country!],
      [f.line1!],
      [f.line2!],
      [f.city!, f.state!],
      [f.postal_code!],
    ]) {
      const row = document.createElement('div');
      row.className = 'row';
      for (const field of fields) row.append(field.wrap);
      root.append(row);
    }
    for (const field of Object.values(f)) {
      field.control.addEventListener('input', () => this.onChange());
      field.control.addEventListener('change', () => this.onChange());
      field.control.addEventListener('blur', () => {
        if (field.value !== '') field.touched = true;
        this.onChange();
      });
    }
  }

  errors(): [Field, ValidationError | undefined][] {
    const country = this.fields.country!.value;
    return REQUIRED.map((name) => {
      const field = this.fields[name]!;
      const v = field.value.trim();
      let error: ValidationError | undefined;
      if (v === '') {
        error = {
          type: 'validation_error',
          code: `incomplete_${name}`,
          message: 'This field is incomplete.',
        };
      } else if (name === 'postal_code' && POSTAL[country] && !POSTAL[country].pattern.test(v)) {
        error = {
          type: 'validation_error',
          code: 'invalid_postal_code',
          message: 'Your postal code is invalid.',
        };
      }
      return [field, error];
    });
  }

  value(): AddressValue {
    const v = (k: string) => this.fields[k]!.value.trim();
    return {
      name: v('name'),
      address: {
        line1: v('line1'),
        line2: v('line2') === '' ? null : v('line2'),
        city: v('city'),
        state: v('state'),
        postal_code: v('postal_code'),
        country: v('country'),
      },
    };
  }

  change(): FrameChange {
    const errors = this.errors();
    let shown: ValidationError | undefined;
    for (const [field, error] of errors) {
      field.show(error);
      if (shown === undefined && error !== undefined && field.touched) shown = error;
    }
    const empty = ['name', 'line1', 'line2', 'city', 'state', 'postal_code'].every(
      (k) => this.fields[k]!.value === '',
    );
    return {
      complete: errors.every(([, e]) => e === undefined),
      empty,
      error: shown,
      value: this.value(),
    };
  }
}
