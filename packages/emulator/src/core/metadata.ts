import type Stripe from 'stripe';
import { invalidRequest } from './errors.js';
import type { Params } from './form.js';

export const METADATA_MAX_KEYS = 50;
export const METADATA_MAX_KEY_LENGTH = 40;
export const METADATA_MAX_VALUE_LENGTH = 500;

/**
 * The metadata of every object that has none: one frozen object shared by all of them (most objects
 * never get metadata, and an empty object costs ~56 bytes each). Metadata is never changed in place:
 * `applyMetadata` returns a new object, so sharing is safe, and a stray in-place write would throw.
 */
export const EMPTY_METADATA: Stripe.Metadata = Object.freeze({}) as Stripe.Metadata;

/**
 * Applies a `metadata` parameter to the current metadata, with Stripe's rules: keys are merged,
 * an empty value unsets a key, `metadata=''` clears everything; at most 50 keys, keys up to 40
 * characters, values up to 500. Returns a new object, `current` itself when the param is absent, or
 * `EMPTY_METADATA` when the result has no keys. Never changes `current`.
 */
export function applyMetadata(
  current: Stripe.Metadata | null | undefined,
  params: Params,
  key = 'metadata',
): Stripe.Metadata {
  const input = params[key];
  if (input === undefined) return current && Object.keys(current).length > 0 ? current : EMPTY_METADATA;
  if (input === '') return EMPTY_METADATA;
  const base: Stripe.Metadata = current ? { ...current } : {};
  if (typeof input === 'string') {
    throw invalidRequest(`Invalid ${key}: must be a hash of string keys to string values.`, key);
  }
  // Numeric keys (`metadata[1]=a`) decode as a possibly sparse array: its own entries are the keys given.
  const entries: [string, unknown][] = Object.entries(input);
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      throw invalidRequest(
        `Invalid value for ${key}[${k}]: metadata values must be strings.`,
        `${key}[${k}]`,
      );
    }
    if (k.length > METADATA_MAX_KEY_LENGTH) {
      throw invalidRequest(
        `Metadata keys can be at most ${METADATA_MAX_KEY_LENGTH} characters long; '${k.slice(0, 50)}' has ${k.length}.`,
        `${key}[${k}]`,
      );
    }
    if (v.length > METADATA_MAX_VALUE_LENGTH) {
      throw invalidRequest(
        `Metadata values can be at most ${METADATA_MAX_VALUE_LENGTH} characters long; ${key}[${k}] has ${v.length}.`,
        `${key}[${k}]`,
      );
    }
    if (v === '') delete base[k];
    else base[k] = v;
  }
  if (Object.keys(base).length > METADATA_MAX_KEYS) {
    throw invalidRequest(`Metadata can have at most ${METADATA_MAX_KEYS} keys.`, key);
  }
  return Object.keys(base).length > 0 ? base : EMPTY_METADATA;
}
