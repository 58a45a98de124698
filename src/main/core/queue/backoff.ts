// The retry schedule, as Postfix has it: the first retry after the minimal
// backoff, doubling after each failed attempt, never more than the maximal.

export interface RetryPolicy {
  minBackoffSec: number
  maxBackoffSec: number
  maxQueueLifetimeSec: number
}

/** Seconds to wait after the given number of failed attempts (1 = the first failure). */
export function backoffSeconds(failedAttempts: number, policy: RetryPolicy): number {
  const n = Math.max(1, failedAttempts)
  // 2^30 already exceeds any maximal backoff; capping the exponent keeps the number finite.
  const delay = policy.minBackoffSec * 2 ** Math.min(n - 1, 30)
  return Math.min(delay, policy.maxBackoffSec)
}

/** Whether a message that arrived at `arrivalAt` has outlived the queue lifetime at `now`. */
export function isExpired(arrivalAt: number, now: number, policy: RetryPolicy): boolean {
  return now - arrivalAt >= policy.maxQueueLifetimeSec * 1000
}
