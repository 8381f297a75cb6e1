/**
 * A tagged template for the emulator's pages that escapes every interpolation: `html\`<p>${name}</p>\``.
 * Nested templates (and `raw()` for trusted markup) pass through unescaped; arrays are joined; `null`,
 * `undefined` and `false` render nothing, so `${cond && html\`…\`}` works.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function render(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup the caller vouches for (constant strings written in this package, never user data). */
export function raw(s: string): Html {
  return new Html(s);
}
