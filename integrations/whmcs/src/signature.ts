// The Pay button form's signature, as the PHP module computes it (paydesk_signing_string): the
// version "v1", then invoice_id, amount, currency, email, return_url and timestamp, joined by "\n";
// hex HMAC-SHA256 with the shared secret. Values containing CR or LF are never signed.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signedFields = ['invoice_id', 'amount', 'currency', 'email', 'return_url', 'timestamp'] as const;
export type SignedField = (typeof signedFields)[number];
export type PayForm = Record<SignedField, string>;

export function signingString(form: PayForm): string {
  return ['v1', ...signedFields.map((k) => form[k])].join('\n');
}

export function signPayForm(form: PayForm, secret: string): string {
  return createHmac('sha256', secret).update(signingString(form)).digest('hex');
}

/** Constant-time check of a hex signature; false for anything malformed. */
export function verifyPayForm(form: PayForm, signature: string, secret: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  if (signedFields.some((k) => /[\r\n]/.test(form[k]))) return false;
  return timingSafeEqual(Buffer.from(signPayForm(form, secret), 'hex'), Buffer.from(signature, 'hex'));
}
