// Retry timing, as pure functions a test can call.

export interface RetryPolicy {
  /** Delay before the second attempt, in ms. */
  baseMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Ceiling for one delay, in ms. */
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { baseMs: 1_000, factor: 2, maxMs: 60 * 60 * 1000 };

/**
 * Delay after the given failed attempt (1-based): exponential, capped, with "equal jitter" (half
 * fixed, half random) so that many jobs failing together do not retry together.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Whether a job that just failed its `attempts`-th attempt gets another. */
export function shouldRetry(attempts: number, maxAttempts: number): boolean {
  return attempts < maxAttempts;
}
