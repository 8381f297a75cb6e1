import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const POOL_SIZE = 64 * 1024;
const pool = new Uint8Array(POOL_SIZE);
let cursor = POOL_SIZE;

/** `length` random base-62 characters from a pooled CSPRNG buffer (one syscall per ~64 KB). */
export function randomString(length: number): string {
  let out = '';
  while (out.length < length) {
    if (cursor >= POOL_SIZE) {
      randomFillSync(pool);
      cursor = 0;
    }
    const byte = pool[cursor++]!;
    // 248 = 4 * 62: rejecting the top values keeps the distribution uniform.
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

/** A Stripe-style id: `newId('cus')` → `cus_…`, `newId('cs_test')` → `cs_test_…`. */
export function newId(prefix: string, length = 24): string {
  return `${prefix}_${randomString(length)}`;
}

/** Secrets such as `pi_…_secret_…` or `whsec_…`. */
export function newSecret(prefix: string, length = 32): string {
  return `${prefix}_${randomString(length)}`;
}
