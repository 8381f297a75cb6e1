import type { App } from '../core/app.js';
import { encodeForm } from '../core/form.js';

/**
 * The portal acts through the emulator's own API (`app.dispatch`), as Stripe's portal acts on the
 * account: every change runs the same route, the same checks and emits the same events as a call
 * made with the secret key.
 */
export interface ApiAnswer<T> {
  ok: boolean;
  status: number;
  body: T;
  error?: { message?: string; code?: string; param?: string; type?: string } | undefined;
}

export async function callApi<T = Record<string, unknown>>(
  app: App,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  params: Record<string, unknown> = {},
): Promise<ApiAnswer<T>> {
  const encoded = encodeForm(params);
  const res = await app.dispatch({
    method,
    path,
    query: method === 'POST' ? '' : encoded,
    body: method === 'POST' ? encoded : '',
    authorization: 'Bearer sk_test_customer_portal',
    idempotencyKey: undefined,
    stripeVersion: undefined,
  });
  const body = JSON.parse(res.body) as T & { error?: ApiAnswer<T>['error'] };
  const ok = res.status < 300;
  return { ok, status: res.status, body, error: ok ? undefined : body.error };
}
