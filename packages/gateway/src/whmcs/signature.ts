// The WHMCS module's Pay form signature (integrations/whmcs/modules/gateways/paydesk.php): hex
// HMAC-SHA256, keyed with the module secret, of "v1" and the six signed fields joined by "\n".
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signedFields = ['invoice_id', 'amount', 'currency', 'email', 'return_url', 'timestamp'] as const;
export type PayForm = Record<(typeof signedFields)[number], string>;

export function signPayForm(form: PayForm, secret: string): string {
  return createHmac('sha256', secret)
    .update(['v1', ...signedFields.map((k) => form[k])].join('\n'))
    .digest('hex');
}

export function verifyPayForm(form: PayForm, signature: string, secret: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  if (signedFields.some((k) => /[\r\n]/.test(form[k]))) return false;
  return timingSafeEqual(Buffer.from(signPayForm(form, secret), 'hex'), Buffer.from(signature, 'hex'));
}
