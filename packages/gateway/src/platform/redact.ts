// Scrubs secrets out of anything that is about to be logged: Stripe keys, webhook secrets, bearer
// tokens and card-like numbers. Used by the logger on every line, so it is kept cheap.

const stripeSecret = /\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]{6,}|\bwhsec_[A-Za-z0-9+/=_-]{6,}/g;
const bearer = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
// 13–19 digits, optionally grouped by single spaces or dashes, as card numbers are written.
const cardLike = /\b\d(?:[ -]?\d){12,18}\b/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const hint = /[0-9]{4}|_(?:test|live)_|whsec_|bearer|basic/i;

export function redactString(text: string): string {
  if (!hint.test(text)) return text;
  return text
    .replace(stripeSecret, (m) => `${m.slice(0, m.indexOf('_') + 1)}[REDACTED]`)
    .replace(bearer, (_m, scheme: string) => `${scheme} [REDACTED]`)
    .replace(cardLike, (m) => (luhnValid(m.replace(/[ -]/g, '')) ? '[REDACTED CARD]' : m));
}

/** Deep copy of a log object with every string scrubbed; non-plain objects are left as they are. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value instanceof Error) {
    const copy: Record<string, unknown> = { type: value.name, message: redactString(value.message) };
    if (value.stack) copy.stack = redactString(value.stack);
    for (const [k, v] of Object.entries(value)) copy[k] = redactValue(v, depth + 1);
    return copy;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, depth + 1);
  return out;
}
