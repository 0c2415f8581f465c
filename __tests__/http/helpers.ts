import { vi } from 'vitest';
import { ApiClient, type ApiClientOptions } from '../../src/http/api-client.js';
import { createBudget, type RunBudget } from '../../src/http/budget.js';

export const QLIK = 'https://acme.eu.qlikcloud.com';
export const TALEND = 'https://api.eu.cloud.talend.com';
/** Long enough to be caught by redact()'s token-like rule too; tests also register it. */
export const QLIK_KEY = 'eyJhbGciOiJFUzM4NCJ9.qlik-api-key.SECRET0123456789';
export const TALEND_TOKEN = 'talend-pat-SECRET-abcdefghijklmnop0123';

export const START = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * A clock that moves only when the client sleeps: retries and deadlines are exact and instant.
 * Real time still bounds each attempt (its timer is real), which only the timeout tests rely on.
 */
export function fakeTime(start = START) {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleeps,
    sleep: vi.fn(async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    }),
    advance(ms: number) {
      now += ms;
    },
  };
}

export interface TestClient {
  client: ApiClient;
  budget: RunBudget;
  time: ReturnType<typeof fakeTime>;
  debugLines: string[];
}

export function makeClient(
  overrides: Partial<ApiClientOptions> & { timeoutSeconds?: number } = {},
): TestClient {
  const time = fakeTime();
  const { timeoutSeconds = 300, ...rest } = overrides;
  const budget = rest.budget ?? createBudget(timeoutSeconds, time.clock);
  const debugLines: string[] = [];
  const client = new ApiClient({
    service: 'Qlik',
    token: QLIK_KEY,
    allowedOrigins: [QLIK],
    budget,
    sleep: time.sleep,
    random: () => 0.5,
    onDebug: (line) => debugLines.push(line),
    ...rest,
  });
  return { client, budget, time, debugLines };
}

/** The promise's rejection, failing the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, got a result');
}

/** A network error nock 14 emits properly (a plain object passed to replyWithError hangs). */
export function netError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}
