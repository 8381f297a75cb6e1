/** A command line that cannot be run as given (missing or invalid option): exit code 2 with the usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const parseArgsUsageCodes = new Set([
  'ERR_PARSE_ARGS_UNKNOWN_OPTION',
  'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
  'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
]);

/** Whether an error means "wrong command line" (exit 2) rather than "the command failed" (exit 1). */
export function isUsageError(err: unknown): err is Error {
  if (err instanceof UsageError) return true;
  return err instanceof TypeError && parseArgsUsageCodes.has((err as NodeJS.ErrnoException).code ?? '');
}
