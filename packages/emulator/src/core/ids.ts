import { randomFillSync } from 'node:crypto';

const ALPHABET = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'latin1');
const POOL_SIZE = 64 * 1024;
const pool = new Uint8Array(POOL_SIZE);
let cursor = POOL_SIZE;
/** Scratch space where an id is assembled before it becomes one string. */
const scratch = Buffer.alloc(1024);

/** Writes `length` random base-62 characters into `scratch` at `at`, from a pooled CSPRNG buffer. */
function fillRandom(at: number, length: number): void {
  const end = at + length;
  while (at < end) {
    if (cursor >= POOL_SIZE) {
      randomFillSync(pool);
      cursor = 0;
    }
    const byte = pool[cursor++]!;
    // 248 = 4 * 62: rejecting the top values keeps the distribution uniform.
    if (byte < 248) scratch[at++] = ALPHABET[byte % 62]!;
  }
}

/**
 * `prefix` + `_` + `length` random characters, built as one flat string. (Appending characters one by
 * one makes V8 keep a rope of small string pieces per id, several times the id's own size, for as long
 * as the object holding the id lives.)
 */
function build(prefix: string | undefined, length: number): string {
  if (prefix !== undefined && prefix.length + 1 + length > scratch.length)
    throw new RangeError('id too long');
  const head = prefix === undefined ? 0 : scratch.write(prefix, 0, 'latin1') + 1;
  if (head > 0) scratch[head - 1] = 0x5f; // '_'
  fillRandom(head, length);
  return scratch.toString('latin1', 0, head + length);
}

/** `length` random base-62 characters (one syscall per ~64 KB of randomness). */
export function randomString(length: number): string {
  if (length > scratch.length) throw new RangeError('random string too long');
  return build(undefined, length);
}

/** A Stripe-style id: `newId('cus')` → `cus_…`, `newId('cs_test')` → `cs_test_…`. */
export function newId(prefix: string, length = 24): string {
  return build(prefix, length);
}

/** Secrets such as `pi_…_secret_…` or `whsec_…`. */
export function newSecret(prefix: string, length = 32): string {
  return build(prefix, length);
}
