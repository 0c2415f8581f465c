/**
 * How long a server asks us to wait before the next attempt.
 *
 * Qlik sends `Retry-After` in seconds with a 429. Talend documents `X-RateLimit-Reset` without a
 * unit (talend-api.md §4), so it is read sensibly: a small number is seconds to wait, a number
 * above 10^9 is an epoch in seconds, above 10^12 an epoch in milliseconds.
 */

const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;

/** `Retry-After`: delta seconds or an HTTP date. Milliseconds from `nowMs`, or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (DELTA_SECONDS.test(text)) return Math.ceil(Number(text) * 1000);
  // Only a date with a weekday or month name: Date.parse would read "1" or "-1" as a year.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

const EPOCH_SECONDS_FROM = 1e9;
const EPOCH_MILLISECONDS_FROM = 1e12;

/** Talend's `X-RateLimit-Reset`. Milliseconds from `nowMs`, or undefined. */
export function parseRateLimitReset(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (!DELTA_SECONDS.test(text)) return undefined;
  const n = Number(text);
  if (n > EPOCH_MILLISECONDS_FROM) return Math.max(0, Math.ceil(n - nowMs));
  if (n > EPOCH_SECONDS_FROM) return Math.max(0, Math.ceil(n * 1000 - nowMs));
  return Math.ceil(n * 1000);
}

/** `Retry-After` first (the standard), else `X-RateLimit-Reset`. Header names lower-cased. */
export function requestedWaitMs(
  headers: Record<string, string | undefined>,
  nowMs: number,
): number | undefined {
  return (
    parseRetryAfter(headers['retry-after'], nowMs) ??
    parseRateLimitReset(headers['x-ratelimit-reset'], nowMs)
  );
}
