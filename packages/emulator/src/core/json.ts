let _sink = 0;

/**
 * `s` as one flat string. V8 builds long strings (JSON.stringify results, concatenations) as a rope
 * of string pieces, which for a JSON object costs about as much again as its characters; a string the
 * emulator keeps (an event, an idempotent response) would carry them for as long as it lives. Reading
 * a character flattens any rope in place (the garbage collector then drops the pieces). Converting to
 * a number, as `flatstr` does, flattens JSON.stringify results but not every rope in V8 11: a
 * 93-character rope built by template literals kept 455 B that way, 132 B after `charCodeAt`.
 */
export function flatten(s: string): string {
  _sink ^= s.charCodeAt(0) | 0; // kept so that the read cannot be optimised away
  return s;
}

/** `JSON.stringify(value)` as one flat string, for text that is kept. */
export function flatJson(value: unknown): string {
  return flatten(JSON.stringify(value));
}
