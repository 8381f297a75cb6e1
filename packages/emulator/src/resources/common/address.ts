import type Stripe from 'stripe';
import type { Params } from '../../core/form.js';
import { obj, str } from '../../core/params.js';

const FIELDS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'] as const;

/** Reads an `address[...]` hash into `Stripe.Address`; `''` clears it (null); absent → undefined. */
export function readAddress(p: Params, key: string, name = key): Stripe.Address | null | undefined {
  if (p[key] === '') return null;
  const a = obj(p, key, name);
  if (a === undefined) return undefined;
  const out: Stripe.Address = {
    city: null,
    country: null,
    line1: null,
    line2: null,
    postal_code: null,
    state: null,
  };
  for (const f of FIELDS) out[f] = str(a, f, `${name}[${f}]`) || null;
  return out;
}
