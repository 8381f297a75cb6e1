// The replaced systems took redirect paths relative to their front end (the credit shop's default
// `redirect` is `/front/checkout/success`). Such a path is joined to PAYDESK_FRONTEND_URL (default the
// public URL); the result then goes through the same origin check as any absolute URL. Anything that
// is not a plain path (`//host`, `/\host`, `https:…`) is passed on unchanged, to be checked (and
// refused) as it is.
import type { Config } from '../platform/config.js';

/** `raw` joined to the front end's base URL when it is a path (`/…`); otherwise unchanged. */
export function frontendRelative(
  config: Pick<Config, 'frontendUrl'>,
  raw: string | undefined,
): string | undefined {
  if (raw === undefined || !/^\/(?![/\\])/.test(raw)) return raw;
  return `${config.frontendUrl}${raw}`;
}
