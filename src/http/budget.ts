/**
 * The run's time budget. Every wait of the run (per-request timeouts, backoff, Retry-After,
 * polling) is derived from `timeout-seconds`, so a 5-second run used by fault tests still retries a
 * few times and a 3600-second run does not wait minutes between attempts.
 *
 * Numbers, with T = timeout-seconds clamped to 5–3600 s:
 * - reserve (kept free at the end for compensation and the final record write):
 *   clamp(T / 5, 1 s, 30 s); work deadline = deadline − reserve;
 * - per-request timeout: clamp(T / 5, 1 s, 30 s);
 * - smallest slot worth starting a request in: clamp(request timeout / 4, 250 ms, 2 s). A request
 *   is not sent, and a retry is not scheduled, when less than this is left: a creating POST that
 *   would almost surely time out would turn "not sent" into "outcome unknown";
 * - backoff base: clamp(T / 100, 100 ms, 1 s); backoff cap: clamp(T / 10, 500 ms, 10 s).
 *
 *   T = 5 s:   reserve 1 s,  request 1 s,  min slot 250 ms, backoff 100 ms … 500 ms
 *   T = 300 s: reserve 30 s, request 30 s, min slot 2 s,    backoff 1 s … 10 s
 */
export interface RunBudget {
  readonly startedAt: number;
  readonly deadline: number;
  /** deadline minus a reserve for compensation and the final record write */
  readonly workDeadline: number;
  /** deadline − workDeadline */
  readonly reserveMs: number;
  /** per request: clamp(timeout/5, 1 s, 30 s) */
  readonly requestTimeoutMs: number;
  /** Less time than this left before the relevant deadline: do not start a request. */
  readonly minRequestMs: number;
  now(): number;
  /** Milliseconds left before the work deadline (default) or the final deadline; never negative. */
  remainingMs(until?: 'work' | 'final'): number;
  /** base delay for backoff: clamp(timeout/100, 100 ms, 1 s) */
  readonly backoffBaseMs: number;
  /** cap of one backoff delay: clamp(timeout/10, 500 ms, 10 s) */
  readonly backoffCapMs: number;
  /** Lease write → read-back wait, long enough for a racing writer's PATCH to land: clamp(T/300, 200 ms, 1 s). */
  readonly leaseSettleMs: number;
  /** How long a new secret may take to be accepted at /oauth/token: clamp(T/10, 2 s, 30 s). */
  readonly verifyWindowMs: number;
  /** First wait between task-run polls: clamp(T/100, 200 ms, 2 s); it grows × 1.5 … */
  readonly pollStartMs: number;
  /** … up to clamp(T/20, 500 ms, 10 s). */
  readonly pollCapMs: number;
}

export const MIN_TIMEOUT_SECONDS = 5;
export const MAX_TIMEOUT_SECONDS = 3600;

const clamp = (value: number, low: number, high: number): number =>
  Math.min(high, Math.max(low, value));

export function createBudget(
  timeoutSeconds: number,
  clock: { now(): number } = Date,
): RunBudget {
  if (!Number.isFinite(timeoutSeconds)) {
    throw new RangeError('timeout-seconds must be a finite number');
  }
  const totalMs = clamp(timeoutSeconds, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS) * 1000;
  const startedAt = clock.now();
  const deadline = startedAt + totalMs;
  const reserveMs = Math.round(clamp(totalMs / 5, 1_000, 30_000));
  const workDeadline = deadline - reserveMs;
  const requestTimeoutMs = Math.round(clamp(totalMs / 5, 1_000, 30_000));
  return {
    startedAt,
    deadline,
    workDeadline,
    reserveMs,
    requestTimeoutMs,
    minRequestMs: Math.round(clamp(requestTimeoutMs / 4, 250, 2_000)),
    backoffBaseMs: Math.round(clamp(totalMs / 100, 100, 1_000)),
    backoffCapMs: Math.round(clamp(totalMs / 10, 500, 10_000)),
    leaseSettleMs: Math.round(clamp(totalMs / 300, 200, 1_000)),
    verifyWindowMs: Math.round(clamp(totalMs / 10, 2_000, 30_000)),
    pollStartMs: Math.round(clamp(totalMs / 100, 200, 2_000)),
    pollCapMs: Math.round(clamp(totalMs / 20, 500, 10_000)),
    now: () => clock.now(),
    remainingMs(until: 'work' | 'final' = 'work'): number {
      const end = until === 'final' ? deadline : workDeadline;
      return Math.max(0, end - clock.now());
    },
  };
}
