// Calls from the merchant's page to the emulator's publishable-key endpoints (CORS, as Stripe.js
// calls Stripe's API), and the error shapes Stripe.js returns.
import type { StripeError } from '@stripe/stripe-js';

export type Params = Record<string, unknown>;

/** `{a: {b: 1}, c: [x]}` → `a[b]=1&c[0]=x`, the API's form encoding. */
export function encodeForm(params: Params, prefix = '', out = new URLSearchParams()): URLSearchParams {
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const key = prefix === '' ? k : `${prefix}[${k}]`;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (typeof item === 'object' && item !== null) encodeForm(item as Params, `${key}[${i}]`, out);
        else out.append(`${key}[${i}]`, String(item));
      });
    } else if (typeof v === 'object') encodeForm(v as Params, key, out);
    else out.append(key, String(v));
  }
  return out;
}

export type ApiResult<T> = { ok: true; body: T } | { ok: false; error: StripeError };

export class Api {
  constructor(
    readonly base: string,
    readonly key: string,
  ) {}

  get<T>(path: string, params: Params = {}): Promise<ApiResult<T>> {
    const q = encodeForm(params).toString();
    return this.#send<T>('GET', q === '' ? path : `${path}?${q}`, undefined);
  }

  post<T>(path: string, params: Params = {}): Promise<ApiResult<T>> {
    return this.#send<T>('POST', path, encodeForm(params).toString());
  }

  async #send<T>(method: string, path: string, body: string | undefined): Promise<ApiResult<T>> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.key}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded' }),
        },
        body,
      });
    } catch {
      return {
        ok: false,
        error: {
          type: 'api_connection_error',
          message: `Could not reach the Stripe emulator at ${this.base}. Is it running?`,
        },
      };
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      return { ok: false, error: { type: 'api_error', message: `The emulator answered ${res.status}.` } };
    }
    if (res.ok) return { ok: true, body: json as T };
    const error = (json as { error?: StripeError }).error;
    return {
      ok: false,
      error: error ?? { type: 'api_error', message: `The emulator answered ${res.status}.` },
    };
  }
}

/** The error Stripe.js throws for a mistake in the integration (not a card or API error). */
export class IntegrationError extends Error {
  override name = 'IntegrationError';
}

/** `pi_123_secret_abc` → `pi_123`; throws IntegrationError as Stripe.js does for anything else. */
export function intentIdOf(clientSecret: unknown, method: string, prefix: 'pi' | 'seti'): string {
  const m =
    typeof clientSecret === 'string'
      ? /^((pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret)
      : null;
  if (m === null || m[2] !== prefix) {
    const shown = typeof clientSecret === 'string' ? clientSecret : String(clientSecret);
    throw new IntegrationError(
      `Invalid value for ${method} intent secret: value should be a ${prefix === 'pi' ? 'PaymentIntent' : 'SetupIntent'} ` +
        `client secret. You specified: ${shown}.`,
    );
  }
  return m[1]!;
}
