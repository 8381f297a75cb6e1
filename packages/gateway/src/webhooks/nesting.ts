// How deeply a JSON text nests, found in one pass over its bytes (strings skipped), stopping as soon
// as it passes a limit. Stripe's events nest about a dozen levels; a body nested thousands deep is
// refused before the database parses it (PostgreSQL refuses it with "stack depth limit exceeded";
// PGlite, in WebAssembly, can take minutes over it).

/** Deeper than this, a webhook body is not a Stripe event. */
export const MAX_EVENT_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether `raw` nests objects and arrays more than `limit` levels deep. */
export function nestsDeeperThan(raw: Uint8Array, limit: number): boolean {
  let depth = 0;
  const n = raw.length;
  for (let i = 0; i < n; i++) {
    const b = raw[i];
    if (b === QUOTE) {
      i++;
      while (i < n && raw[i] !== QUOTE) i += raw[i] === BACKSLASH ? 2 : 1;
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
