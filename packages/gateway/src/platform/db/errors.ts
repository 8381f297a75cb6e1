// What a lost database looks like, told apart from a statement the database refused. The drivers
// wrap the first kind in StorageUnavailableError; the HTTP layer answers it 503 storage_unavailable.

/**
 * SQLSTATEs that say the database (not the statement) is the problem: connection exceptions (class
 * 08), too many connections and other insufficient resources (53), the server shutting down or
 * restarting (57P01-57P03), the database gone (3D000, e.g. dropped under a running process).
 */
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '57P04', '57P05', '3D000']);
/** Node's errors for a server that cannot be reached (refused, reset, unreachable, timed out). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a driver error means the database is unreachable or refusing connections. */
export function isUnavailableCode(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return false;
  if (NETWORK_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
  return code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
}

/** The database could not be reached or dropped the connection: retry later. `cause` is the driver's error. */
export class StorageUnavailableError extends Error {
  readonly code: string | undefined;

  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'StorageUnavailableError';
    this.code = codeOf(cause);
  }
}

/** Whether err is (or wraps) a lost database. */
export function isStorageUnavailable(err: unknown): boolean {
  return err instanceof StorageUnavailableError || isUnavailableCode(err);
}

/** Whether a statement was refused for a duplicate key (SQLSTATE 23505): another writer got there first. */
export function isUniqueViolation(err: unknown): boolean {
  return codeOf(err) === '23505';
}
