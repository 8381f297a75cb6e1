import type Stripe from 'stripe';

/**
 * The JSON form of an SDK type. The SDK turns `decimal_string` fields (e.g. `Price.unit_amount_decimal`)
 * into `Stripe.Decimal` instances after it receives them; on the wire they are strings. Resources store
 * and return `Wire<Stripe.X>`, so tsc still checks every field name against the SDK's own type.
 */
export type Wire<T> = T extends Stripe.Decimal
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
