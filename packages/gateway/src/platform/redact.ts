// Scrubs secrets out of anything that is about to be logged: Stripe keys, webhook secrets, bearer
// tokens and card-like numbers. Used by the logger on every line, so it is kept cheap.

const stripeSecret =
  /\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]{6,}|\bwhsec_[A-Za-z0-9+/=_-]{6,}|\bpdk_[A-Za-z0-9]{16}_[A-Za-z0-9]{6,}|\bpda_[A-Za-z0-9_-]{16,}/g;
const bearer = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
// A JWT anywhere (for example a user token in a link's `?token=`): header.payload.signature.
const jwt = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
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

const hint = /\d(?:[ -]?\d){12}|_(?:test|live)_|whsec_|pdk_|pda_|bearer|basic|eyJ/i;

export function redactString(text: string): string {
  if (!hint.test(text)) return text;
  return text
    .replace(stripeSecret, (m) => `${m.slice(0, m.indexOf('_') + 1)}[REDACTED]`)
    .replace(bearer, (_m, scheme: string) => `${scheme} [REDACTED]`)
    .replace(jwt, '[REDACTED JWT]')
    .replace(cardLike, (m) => (luhnValid(m.replace(/[ -]/g, '')) ? '[REDACTED CARD]' : m));
}

const jsonString = /"(?:[^"\\]|\\.)*"/g;

/**
 * Scrubs one serialized JSON log line: only the contents of string literals are touched, so numbers
 * (timestamps, durations) can never be mistaken for card numbers and the line stays valid JSON.
 */
export function redactJsonLine(line: string): string {
  if (!hint.test(line)) return line;
  return line.replace(jsonString, (literal) => redactString(literal));
}
