import { describe, expect, it } from 'vitest';
import { parseRateLimitReset, parseRetryAfter, requestedWaitMs } from '../../src/http/retry-after.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta seconds', () => {
    expect(parseRetryAfter('13', NOW)).toBe(13_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
  });

  it('reads an HTTP date relative to now, a past date as 0', () => {
    expect(parseRetryAfter(new Date(NOW + 7_000).toUTCString(), NOW)).toBe(7_000);
    expect(parseRetryAfter('Thu, 15 Jan 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Thu, 15 Jan 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', 'soon', '-1', '1e3', 'NaN']) {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    }
  });
});

describe('parseRateLimitReset', () => {
  it('reads a small number as seconds to wait', () => {
    expect(parseRateLimitReset('42', NOW)).toBe(42_000);
  });

  it('reads a number above 10^9 as epoch seconds', () => {
    expect(parseRateLimitReset(String(NOW / 1000 + 9), NOW)).toBe(9_000);
    expect(parseRateLimitReset(String(NOW / 1000 - 60), NOW)).toBe(0);
  });

  it('reads a number above 10^12 as epoch milliseconds', () => {
    expect(parseRateLimitReset(String(NOW + 2_500), NOW)).toBe(2_500);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', 'Thu, 15 Jan 2026 12:00:30 GMT', '-5', 'x']) {
      expect(parseRateLimitReset(value, NOW)).toBeUndefined();
    }
  });
});

describe('requestedWaitMs', () => {
  it('prefers Retry-After over X-RateLimit-Reset', () => {
    expect(requestedWaitMs({ 'retry-after': '2', 'x-ratelimit-reset': '9' }, NOW)).toBe(2_000);
    expect(requestedWaitMs({ 'retry-after': 'garbage', 'x-ratelimit-reset': '9' }, NOW)).toBe(9_000);
    expect(requestedWaitMs({}, NOW)).toBeUndefined();
  });
});
