/**
 * References inside trigger fixtures: `${name:dotted.path}` reads a field of an earlier response
 * (`${customer:id}`, `${list:data.0.id}`), `${name:path|default}` falls back to `default` when the
 * field is missing or empty, and two names are special: `${time-now-RFC3339}` and `${generate-uuid}`.
 * `${.env:VAR}` reads a variable from the environment the runner was given.
 */

export interface TemplateScope {
  /** Earlier responses (parsed JSON), by fixture name. */
  responses: ReadonlyMap<string, unknown>;
  /** Unix milliseconds for `${time-now-RFC3339}`. */
  now: () => number;
  uuid: () => string;
  env: Readonly<Record<string, string | undefined>>;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

const REFERENCE = /\$\{([^}|:]+)(?::([^}|]*))?(?:\|([^}]*))?\}/g;

/** The field at a dotted path (`data.0.id`); numeric segments index arrays. */
export function lookup(value: unknown, path: string): unknown {
  let cur = value;
  for (const seg of path.split('.')) {
    if (seg === '') continue;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (cur !== null && typeof cur === 'object') {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** A response field as the CLI turns it into text: scalars as themselves, objects as JSON. */
function asText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** RFC 3339 in UTC, whole seconds (`2026-01-02T03:04:05Z`). */
export function rfc3339(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function resolveOne(
  name: string,
  path: string | undefined,
  fallback: string | undefined,
  scope: TemplateScope,
) {
  if (name === 'time-now-RFC3339' && path === undefined) return rfc3339(scope.now());
  if (name === 'generate-uuid' && path === undefined) return scope.uuid();
  if (path === undefined) throw new TemplateError(`unknown reference \${${name}}`);
  let found: string | undefined;
  if (name === '.env') {
    const v = scope.env[path];
    found = v === '' ? undefined : v;
  } else {
    if (!scope.responses.has(name) && fallback === undefined) {
      throw new TemplateError(`\${${name}:${path}} names no earlier fixture`);
    }
    found = asText(lookup(scope.responses.get(name), path));
  }
  if (found !== undefined) return found;
  if (fallback !== undefined && fallback !== '') return fallback;
  throw new TemplateError(`\${${name}:${path}} is empty and has no default`);
}

/**
 * Replaces every reference in `text`. `encode` is applied to each substituted value (paths encode
 * them as URL segments; parameter values are encoded later, with the whole form).
 */
export function substitute(
  text: string,
  scope: TemplateScope,
  encode: (v: string) => string = (v) => v,
): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (_m, name: string, path: string | undefined, fallback: string | undefined) =>
    encode(resolveOne(name, path, fallback, scope)),
  );
}
