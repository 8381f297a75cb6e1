// One labelled input (or select) with its inline error, as the Payment Element draws them.
import type { ValidationError } from '../protocol.js';

export interface FieldSpec {
  name: string;
  label: string;
  placeholder?: string;
  autocomplete?: string;
  inputMode?: 'numeric' | 'text';
  /** A <select> with these [value, text] options instead of an input. */
  options?: [string, string][];
  /** Hidden label (the Card Element's one-line layout); the input keeps an accessible name. */
  hiddenLabel?: boolean;
  optional?: boolean;
}

export class Field {
  readonly wrap: HTMLDivElement;
  readonly control: HTMLInputElement | HTMLSelectElement;
  readonly label: HTMLLabelElement;
  readonly #error: HTMLDivElement;
  /** The error is shown once the field was left or the form submitted. */
  touched = false;

  constructor(
    readonly spec: FieldSpec,
    idPrefix: string,
  ) {
    const id = `${idPrefix}-${spec.name}`;
    this.wrap = document.createElement('div');
    this.wrap.className = `field field-${spec.name}`;
    this.label = document.createElement('label');
    this.label.htmlFor = id;
    this.label.textContent = spec.label;
    if (spec.hiddenLabel) this.label.className = 'visually-hidden';
    if (spec.options) {
      const select = document.createElement('select');
      for (const [value, text] of spec.options) {
        const o = document.createElement('option');
        o.value = value;
        o.textContent = text;
        select.append(o);
      }
      this.control = select;
    } else {
      const input = document.createElement('input');
      input.type = 'text';
      if (spec.placeholder) input.placeholder = spec.placeholder;
      if (spec.inputMode) input.inputMode = spec.inputMode;
      input.spellcheck = false;
      this.control = input;
    }
    this.control.id = id;
    this.control.name = spec.name;
    if (spec.autocomplete) this.control.autocomplete = spec.autocomplete as AutoFill;
    if (!spec.optional) this.control.required = true;
    this.#error = document.createElement('div');
    this.#error.className = 'field-error';
    this.#error.id = `${id}-error`;
    this.#error.setAttribute('role', 'alert');
    this.control.setAttribute('aria-describedby', this.#error.id);
    this.wrap.append(this.label, this.control, this.#error);
  }

  get value(): string {
    return this.control.value;
  }

  set value(v: string) {
    this.control.value = v;
  }

  /** Shows (or clears) the error under the field. */
  show(error: ValidationError | undefined): void {
    const shown = error !== undefined && this.touched;
    this.wrap.classList.toggle('invalid', shown);
    this.control.setAttribute('aria-invalid', shown ? 'true' : 'false');
    this.#error.textContent = shown ? error.message : '';
  }
}
