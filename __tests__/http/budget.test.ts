import { describe, expect, it } from 'vitest';
import { createBudget } from '../../src/http/budget.js';
import { fakeTime, START } from './helpers.js';

describe('createBudget', () => {
  it('keeps a 5-second run able to retry a few times', () => {
    const b = createBudget(5, fakeTime().clock);
    expect(b).toMatchObject({
      startedAt: START,
      deadline: START + 5_000,
      workDeadline: START + 4_000,
      reserveMs: 1_000,
      requestTimeoutMs: 1_000,
      minRequestMs: 250,
      backoffBaseMs: 100,
      backoffCapMs: 500,
      leaseSettleMs: 200,
      verifyWindowMs: 2_000,
      pollStartMs: 200,
      pollCapMs: 500,
    });
  });

  it('scales to the default 300-second run', () => {
    const b = createBudget(300, fakeTime().clock);
    expect(b).toMatchObject({
      deadline: START + 300_000,
      workDeadline: START + 270_000,
      reserveMs: 30_000,
      requestTimeoutMs: 30_000,
      minRequestMs: 2_000,
      backoffBaseMs: 1_000,
      backoffCapMs: 10_000,
      leaseSettleMs: 1_000,
      verifyWindowMs: 30_000,
      pollStartMs: 2_000,
      pollCapMs: 10_000,
    });
  });

  it('is proportional in between', () => {
    const b = createBudget(60, fakeTime().clock);
    expect(b).toMatchObject({ reserveMs: 12_000, requestTimeoutMs: 12_000, backoffBaseMs: 600, backoffCapMs: 6_000 });
  });

  it('clamps timeout-seconds to 5–3600 and refuses NaN', () => {
    expect(createBudget(1, fakeTime().clock).deadline).toBe(START + 5_000);
    expect(createBudget(99_999, fakeTime().clock).deadline).toBe(START + 3_600_000);
    expect(() => createBudget(Number.NaN)).toThrow(RangeError);
  });

  it('counts down to the work deadline or the final deadline, never below zero', () => {
    const time = fakeTime();
    const b = createBudget(10, time.clock);
    expect(b.remainingMs()).toBe(8_000);
    expect(b.remainingMs('work')).toBe(8_000);
    expect(b.remainingMs('final')).toBe(10_000);
    time.advance(9_000);
    expect(b.remainingMs()).toBe(0);
    expect(b.remainingMs('final')).toBe(1_000);
    time.advance(5_000);
    expect(b.remainingMs('final')).toBe(0);
    expect(b.now()).toBe(START + 14_000);
  });

  it('uses the real clock by default', () => {
    const before = Date.now();
    const b = createBudget(5);
    expect(b.startedAt).toBeGreaterThanOrEqual(before);
    expect(b.remainingMs('final')).toBeLessThanOrEqual(5_000);
  });
});
