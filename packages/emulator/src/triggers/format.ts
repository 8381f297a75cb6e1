/**
 * The Stripe CLI's trigger-fixture format (`stripe trigger <event>`, `stripe fixtures FILE`): a JSON
 * file with an ordered list of API calls. This module parses and checks a file; `runner.ts` runs it.
 */

export type FixtureMethod = 'get' | 'post' | 'delete';

/** A JSON value as it appears in `params`. */
export type FixtureValue =
  | string
  | number
  | boolean
  | null
  | FixtureValue[]
  | { [key: string]: FixtureValue };
export type FixtureParams = { [key: string]: FixtureValue };

export interface FixtureStep {
  /** The response is remembered under this name for `${name:path}` references. */
  name: string;
  /** `/v1/…`, may hold references (`/v1/refunds/${refund:id}`). */
  path: string;
  method: FixtureMethod;
  params?: FixtureParams;
  /** The call must fail with this `error.type` (e.g. `card_error`); the run then goes on. */
  expected_error_type?: string;
  idempotency_key?: string;
  /** Extra request headers; values may hold references. */
  headers?: Record<string, string>;
}

export interface TriggerFile {
  _meta: { template_version: number; aliases: string[] };
  fixtures: FixtureStep[];
}

/** The template versions this runner understands (the Stripe CLI's current one is 0). */
export const SUPPORTED_TEMPLATE_VERSION = 0;

export class FixtureFormatError extends Error {
  override name = 'FixtureFormatError';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function optionalString(step: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = step[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new FixtureFormatError(`${where}.${key} must be a string`);
  return v;
}

function checkValue(v: unknown, where: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new FixtureFormatError(`${where} must be a finite number`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      checkValue(x, `${where}[${i}]`);
    });
    return;
  }
  if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) checkValue(x, `${where}.${k}`);
    return;
  }
  throw new FixtureFormatError(`${where} has an unsupported value`);
}

function parseStep(raw: unknown, index: number, seen: Set<string>): FixtureStep {
  const where = `fixtures[${index}]`;
  if (!isRecord(raw)) throw new FixtureFormatError(`${where} must be an object`);
  const name = optionalString(raw, 'name', where);
  if (name === undefined || name === '') throw new FixtureFormatError(`${where}.name is required`);
  // A reused name is allowed: its latest response is what later references see (as in the CLI).
  seen.add(name);
  const path = optionalString(raw, 'path', where);
  if (path === undefined || !/^\/v[12]\//.test(path)) {
    throw new FixtureFormatError(`${where}.path must start with /v1/ or /v2/`);
  }
  const method = (optionalString(raw, 'method', where) ?? '').toLowerCase();
  if (method !== 'get' && method !== 'post' && method !== 'delete') {
    throw new FixtureFormatError(`${where}.method must be get, post or delete`);
  }
  if (raw.api_base !== undefined) {
    throw new FixtureFormatError(`${where}.api_base is not supported: the runner targets one API base`);
  }
  const step: FixtureStep = { name, path, method };
  if (raw.params !== undefined && raw.params !== null) {
    if (!isRecord(raw.params)) throw new FixtureFormatError(`${where}.params must be an object`);
    checkValue(raw.params, `${where}.params`);
    step.params = raw.params as FixtureParams;
  }
  const expected = optionalString(raw, 'expected_error_type', where);
  if (expected !== undefined && expected !== '') step.expected_error_type = expected;
  const key = optionalString(raw, 'idempotency_key', where);
  if (key !== undefined && key !== '') step.idempotency_key = key;
  if (raw.headers !== undefined) {
    if (!isRecord(raw.headers) || !Object.values(raw.headers).every((h) => typeof h === 'string')) {
      throw new FixtureFormatError(`${where}.headers must map names to strings`);
    }
    step.headers = raw.headers as Record<string, string>;
  }
  return step;
}

/** Parses and checks a trigger file's JSON text. */
export function parseTriggerFile(text: string): TriggerFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FixtureFormatError(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isRecord(raw)) throw new FixtureFormatError('a trigger file is a JSON object');
  const meta = isRecord(raw._meta) ? raw._meta : {};
  const version = meta.template_version ?? 0;
  if (typeof version !== 'number' || version > SUPPORTED_TEMPLATE_VERSION) {
    throw new FixtureFormatError(`template_version ${String(version)} is not supported`);
  }
  const aliases = Array.isArray(meta.aliases) ? meta.aliases.filter((a) => typeof a === 'string') : [];
  if (!Array.isArray(raw.fixtures) || raw.fixtures.length === 0) {
    throw new FixtureFormatError('fixtures must be a non-empty list');
  }
  const seen = new Set<string>();
  return {
    _meta: { template_version: version, aliases },
    fixtures: raw.fixtures.map((s, i) => parseStep(s, i, seen)),
  };
}
