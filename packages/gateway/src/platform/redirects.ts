// Where paydesk lets a browser be sent: only absolute http(s) URLs on an allowed origin. Used for every
// success_url, cancel_url, return_url and redirect a caller supplies — no open redirect.
import type { Config } from './config.js';
import { AppError } from './errors.js';

/**
 * Returns the normalised URL if it may be used, else throws invalid_redirect naming the parameter.
 * Refused: relative and protocol-relative URLs (`/x`, `//evil.com`), other schemes (`javascript:`,
 * `data:`), backslashes and control characters (browsers read `https:\\evil.com` as a host), user
 * info (`https://app.example.com@evil.com`), and any origin not in the allow-list.
 */
export function checkRedirect(config: Pick<Config, 'allowedOrigins'>, raw: string, param: string): string {
  const refuse = (why: string) => new AppError('invalid_redirect', `Invalid ${param}: ${why}.`, { param });
  if (raw.length > 2048) throw refuse('longer than 2048 characters');
  // Anything a browser might normalise into another host is refused outright rather than guessed at.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\\\u0000-\u001f\u007f\s]/.test(raw))
    throw refuse('contains a backslash, whitespace or a control character');
  if (!/^https?:\/\//i.test(raw)) throw refuse('must be an absolute http(s) URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('not a valid URL');
  }
  if (url.username || url.password) throw refuse('must not contain user information');
  if (!config.allowedOrigins.includes(url.origin)) {
    throw refuse(`origin ${url.origin} is not allowed (PAYDESK_ALLOWED_ORIGINS)`);
  }
  return url.toString();
}

/**
 * Like checkRedirect, for URLs that carry Stripe's `{CHECKOUT_SESSION_ID}` template, which must reach
 * Stripe with its braces intact.
 */
export function checkRedirectTemplate(
  config: Pick<Config, 'allowedOrigins'>,
  raw: string,
  param: string,
): string {
  const marker = 'paydesk-checkout-session-id-placeholder';
  const checked = checkRedirect(config, raw.replaceAll('{CHECKOUT_SESSION_ID}', marker), param);
  return checked.replaceAll(marker, '{CHECKOUT_SESSION_ID}');
}
