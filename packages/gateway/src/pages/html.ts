// The pages' one template helper: html`…` escapes every interpolated value unless it is itself
// html (a fragment built the same way), so user data can never become markup by accident.

const brand = Symbol('paydesk.html');

/** Markup that is already safe: built by html`…` (only this module makes one). */
export interface Html {
  readonly [brand]: true;
  readonly text: string;
}

/** What may be interpolated: text (escaped), numbers, fragments, lists of them; null/undefined/false render nothing. */
export type Interpolation =
  | Html
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | readonly Interpolation[];

function fragment(text: string): Html {
  return { [brand]: true, text };
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c]!);
}

export function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && brand in value;
}

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (typeof value === 'string') return escapeText(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.map((v: Interpolation) => render(v)).join('');
  if (isHtml(value)) return value.text;
  throw new TypeError('html`…`: cannot interpolate this value');
}

/** Tagged template: literal parts are kept as written, every interpolation is escaped (or is an Html fragment). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return fragment(out);
}

/**
 * A fragment with every occurrence of `slot` (text it was rendered with) replaced by `value`, escaped:
 * how a cached fragment gets its per-request part.
 */
export function fillSlot(f: Html, slot: string, value: string): Html {
  return f.text.includes(slot) ? fragment(f.text.split(slot).join(escapeText(value))) : f;
}
