import { authenticationError } from './errors.js';

export type KeyKind = 'secret' | 'restricted' | 'publishable';

export interface ApiKey {
  key: string;
  kind: KeyKind;
}

const TEST_KEY = /^(sk|rk|pk)_test_[A-Za-z0-9_]{1,247}$/;

/**
 * Reads the API key from `Authorization: Bearer …` (or Basic auth with the key as user name, as curl
 * `-u sk_test_…:` sends it). Test keys of any value are accepted; live keys are refused.
 */
export function authenticate(header: string | undefined): ApiKey {
  if (header === undefined || header === '') {
    throw authenticationError(
      'You did not provide an API key. Send your test secret key in the Authorization header as ' +
        "'Authorization: Bearer sk_test_…'.",
    );
  }
  let key: string;
  if (header.startsWith('Bearer ')) key = header.slice(7).trim();
  else if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    key = decoded.split(':')[0] ?? '';
  } else {
    throw authenticationError(
      "Invalid Authorization header: use 'Authorization: Bearer sk_test_…' (Bearer auth with your test key).",
    );
  }
  if (/^(sk|rk|pk)_live_/.test(key)) {
    throw authenticationError(
      `Live-mode keys are refused: this is the paydesk offline Stripe emulator, which only accepts test keys ` +
        `(sk_test_…, rk_test_…). Key provided: ${redact(key)}.`,
    );
  }
  if (!TEST_KEY.test(key)) {
    throw authenticationError(`Invalid API Key provided: ${redact(key)}`);
  }
  const kind: KeyKind = key.startsWith('pk_')
    ? 'publishable'
    : key.startsWith('rk_')
      ? 'restricted'
      : 'secret';
  return { key, kind };
}

export function redact(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 20))}${key.slice(-4)}`;
}
