// A WHMCS API client: POST form to <WHMCS>/includes/api.php with the API credential, JSON answers.
// Anything but `result: "success"` is a failure, whatever the HTTP status (WHMCS documents none).
export class WhmcsUnavailable extends Error {
  override name = 'WhmcsUnavailable';
}

/** WHMCS answered, with an error (`message` as WHMCS wrote it). */
export class WhmcsError extends Error {
  override name = 'WhmcsError';
  constructor(
    readonly action: string,
    readonly whmcsMessage: string,
    readonly httpStatus: number,
  ) {
    super(`WHMCS ${action}: ${whmcsMessage}`);
  }
}

export type WhmcsSettings = { url: string; identifier: string; secret: string };
export type WhmcsAnswer = Record<string, unknown>;

export async function callWhmcs(
  settings: WhmcsSettings,
  action: string,
  params: Record<string, string>,
): Promise<WhmcsAnswer> {
  let res: Response;
  try {
    res = await fetch(`${settings.url}/includes/api.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        ...params,
        action,
        identifier: settings.identifier,
        secret: settings.secret,
        responsetype: 'json',
      }),
      signal: AbortSignal.timeout(15_000),
      redirect: 'manual',
    });
  } catch (err) {
    throw new WhmcsUnavailable(`WHMCS could not be reached (${(err as Error).message})`);
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new WhmcsUnavailable(`WHMCS answered ${res.status} without JSON`);
  }
  if (typeof body !== 'object' || body === null)
    throw new WhmcsUnavailable(`WHMCS answered ${res.status} without an object`);
  const answer = body as WhmcsAnswer;
  if (answer.result !== 'success') {
    throw new WhmcsError(
      action,
      typeof answer.message === 'string' ? answer.message : 'no message',
      res.status,
    );
  }
  return answer;
}

/** WHMCS ids come as numbers or strings; null when neither is a positive integer. */
export function idOf(value: unknown): number | null {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A wrapped WHMCS list (`{"transaction":[…]}`, or "" when empty) as an array. */
export function listOf(value: unknown, key: string): Record<string, unknown>[] {
  if (typeof value !== 'object' || value === null) return [];
  const inner = (value as Record<string, unknown>)[key];
  if (Array.isArray(inner))
    return inner.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
  return typeof inner === 'object' && inner !== null ? [inner as Record<string, unknown>] : [];
}
