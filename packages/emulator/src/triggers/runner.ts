import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { formEncode, formPairs } from './encode.js';
import { type FixtureStep, parseTriggerFile, type TriggerFile } from './format.js';
import { substitute, type TemplateScope } from './template.js';

export interface RunOptions {
  /** The API base, e.g. `http://127.0.0.1:12111` (no trailing `/v1`). */
  baseUrl: string;
  /** A secret test key (`sk_test_…`). */
  apiKey: string;
  /** Sent as `Stripe-Version` when given. */
  apiVersion?: string;
  /** For `${.env:VAR}`; the caller decides (the CLI passes `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Unix ms for `${time-now-RFC3339}` (defaults to the wall clock). */
  now?: () => number;
  uuid?: () => string;
  fetch?: typeof fetch;
  /** Called after each step (the CLI prints it). */
  onStep?: (result: StepResult) => void;
}

export interface StepResult {
  name: string;
  method: string;
  /** The path after substitution, query string included for GET/DELETE. */
  url: string;
  status: number;
  /** The parsed response body (Stripe's error object for failed calls). */
  body: unknown;
  /** `error.type` when the call failed. */
  errorType: string | null;
  expectedErrorType: string | null;
}

/** A step did not end as the fixture says: an unexpected failure, or a success where an error was expected. */
export class TriggerStepError extends Error {
  override name = 'TriggerStepError';
  constructor(
    message: string,
    readonly step: StepResult,
  ) {
    super(message);
  }
}

function errorTypeOf(body: unknown): string | null {
  if (body === null || typeof body !== 'object') return null;
  const error = (body as { error?: unknown }).error;
  if (error === null || typeof error !== 'object') return null;
  const type = (error as { type?: unknown }).type;
  return typeof type === 'string' ? type : null;
}

async function runStep(step: FixtureStep, scope: TemplateScope, opts: RunOptions): Promise<StepResult> {
  const path = substitute(step.path, scope, encodeURIComponent);
  const pairs = formPairs(step.params ?? {}, (s) => substitute(s, scope));
  const form = formEncode(pairs);
  const method = step.method.toUpperCase();
  const headers: Record<string, string> = {
    Authorization: `Bearer ${opts.apiKey}`,
    'User-Agent': 'paydesk-trigger-runner',
  };
  if (opts.apiVersion !== undefined) headers['Stripe-Version'] = opts.apiVersion;
  if (step.idempotency_key !== undefined)
    headers['Idempotency-Key'] = substitute(step.idempotency_key, scope);
  for (const [k, v] of Object.entries(step.headers ?? {})) headers[k] = substitute(v, scope);
  let url = path;
  let body: string | undefined;
  if (method === 'POST') {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = form;
  } else if (form !== '') {
    url = `${path}${path.includes('?') ? '&' : '?'}${form}`;
  }
  const res = await (opts.fetch ?? fetch)(`${opts.baseUrl.replace(/\/+$/, '')}${url}`, {
    method,
    headers,
    body,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return {
    name: step.name,
    method,
    url,
    status: res.status,
    body: parsed,
    errorType: res.ok ? null : (errorTypeOf(parsed) ?? `http_${res.status}`),
    expectedErrorType: step.expected_error_type ?? null,
  };
}

function describe(r: StepResult): string {
  const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  return `${r.method} ${r.url} → ${r.status} ${body.length > 400 ? `${body.slice(0, 400)}…` : body}`;
}

/**
 * Runs a trigger file's calls in order, as `stripe trigger` does: each response is kept under its
 * step name for later references. A step with `expected_error_type` may fail with that `error.type`
 * (the run goes on, as it does when the step succeeds); any other failure stops the run with a
 * `TriggerStepError`.
 */
export async function runTrigger(file: TriggerFile, opts: RunOptions): Promise<StepResult[]> {
  const responses = new Map<string, unknown>();
  const scope: TemplateScope = {
    responses,
    now: opts.now ?? Date.now,
    uuid: opts.uuid ?? randomUUID,
    env: opts.env ?? {},
  };
  const results: StepResult[] = [];
  for (const step of file.fixtures) {
    const r = await runStep(step, scope, opts);
    results.push(r);
    opts.onStep?.(r);
    if (r.expectedErrorType !== null) {
      // The CLI tolerates the named error type (pkg/fixtures: errWasExpected is only asked about a
      // failed request): a success goes on too, as when the account has the payment method enabled.
      if (r.errorType !== null && r.errorType !== r.expectedErrorType) {
        throw new TriggerStepError(
          `step "${r.name}" failed with ${r.errorType}, expected ${r.expectedErrorType}: ${describe(r)}`,
          r,
        );
      }
    } else if (r.errorType !== null) {
      throw new TriggerStepError(`step "${r.name}" failed: ${describe(r)}`, r);
    }
    responses.set(step.name, r.body);
  }
  return results;
}

/** Reads, parses and runs one fixture file. */
export async function runTriggerFile(path: string, opts: RunOptions): Promise<StepResult[]> {
  return runTrigger(parseTriggerFile(await readFile(path, 'utf8')), opts);
}
