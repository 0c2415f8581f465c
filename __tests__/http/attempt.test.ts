import { describe, expect, it } from 'vitest';
import { type AttemptContext, type AttemptRules, MAX_ATTEMPTS, classifyAttempt } from '../../src/http/attempt.js';
import type { NoAnswer, RawAnswer } from '../../src/http/transport.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const budget = { minRequestMs: 2_000, backoffBaseMs: 1_000, backoffCapMs: 10_000 };
const ctx = (more: Partial<AttemptContext> = {}): AttemptContext => ({
  attempt: 1,
  earlierMayHaveActed: false,
  remainingMs: 200_000,
  now: NOW,
  jitter: 0.5,
  budget,
  ...more,
});
const answer = (status: number, body: unknown = '', headers: Record<string, string> = {}): RawAnswer => ({
  status,
  headers,
  text: typeof body === 'string' ? body : JSON.stringify(body),
});
const noAnswer: NoAnswer = { label: 'timeout after 30 s' };

const GET: AttemptRules = { method: 'GET', repeat: 'repeatable' };
const READ_404: AttemptRules = { ...GET, accept: [404] };
const CREATE: AttemptRules = { method: 'POST', repeat: 'once' };
const DELETE: AttemptRules = { method: 'DELETE', repeat: 'repeatable', accept: [404] };
const DELETE_STRICT: AttemptRules = { method: 'DELETE', repeat: 'repeatable' };
/** The Talend PUT: every 4xx a definite answer, every 5xx retried, until the deadline. */
const STORE: AttemptRules = {
  method: 'PUT',
  repeat: 'repeatable',
  accept: Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 408 && s !== 429),
  retryStatuses: [...Array.from({ length: 100 }, (_, i) => 500 + i), 408],
  maxAttempts: Number.POSITIVE_INFINITY,
};

type Row = [string, AttemptRules, RawAnswer | NoAnswer, Partial<AttemptContext>, Record<string, unknown>];

const table: Row[] = [
  ['a 2xx is done, its body for the caller to check', GET, answer(200, { a: 1 }), {}, { verdict: 'done', success: true }],
  ['an accepted status is done, not a success', READ_404, answer(404), {}, { verdict: 'done', success: false }],
  ['a 429 is retried after the jittered backoff; the server did not act', CREATE, answer(429), {}, { verdict: 'retry', waitMs: 500, mayHaveActed: false }],
  ['a 429 honours Retry-After in seconds', GET, answer(429, '', { 'retry-after': '5' }), {}, { verdict: 'retry', waitMs: 5_000 }],
  ['Retry-After: 0 still waits half the backoff ceiling', GET, answer(429, '', { 'retry-after': '0' }), { attempt: 3 }, { verdict: 'retry', waitMs: 2_000 }],
  ['a 429 stays transient even where the request accepts it', { ...GET, accept: [429, 503] }, answer(429), {}, { verdict: 'retry' }],
  ['a gateway error on a read is retried and may have acted', GET, answer(503), {}, { verdict: 'retry', mayHaveActed: true }],
  ['a 500 is never retried by default', GET, answer(500, { errors: [{ code: 'X.Y', title: 'boom' }] }), {}, { verdict: 'fail', kind: 'status', status: 500, code: 'X.Y', title: 'boom', what: 'failed: HTTP 500 (code X.Y: "boom")' }],
  ['a 5xx the request lists is retried', STORE, answer(500), {}, { verdict: 'retry', mayHaveActed: true }],
  ['no answer to a creating POST: unknown outcome, never repeated', CREATE, noAnswer, {}, { verdict: 'fail', kind: 'unknown-outcome' }],
  ['a gateway error to a creating POST: unknown outcome', CREATE, answer(502), {}, { verdict: 'fail', kind: 'unknown-outcome', status: 502 }],
  ['no answer to a repeatable request: retried', GET, noAnswer, {}, { verdict: 'retry', mayHaveActed: true }],
  ['a refusal after an attempt that may have acted: unknown outcome for a write', STORE, answer(401), { attempt: 2, earlierMayHaveActed: true }, { verdict: 'fail', kind: 'unknown-outcome', status: 401 }],
  ['the same for a read: its answer decides', GET, answer(403), { attempt: 2, earlierMayHaveActed: true }, { verdict: 'fail', kind: 'status', status: 403 }],
  ['a DELETE answered 404 after a retry is done', DELETE_STRICT, answer(404), { attempt: 2 }, { verdict: 'done', success: false }],
  ['a DELETE answered 404 first is a failure unless accepted', DELETE_STRICT, answer(404), {}, { verdict: 'fail', kind: 'status', status: 404 }],
  ['a DELETE that accepts 404 is done on the first attempt', DELETE, answer(404), {}, { verdict: 'done', success: false }],
  ['a 3xx is a failure: redirects are never followed', GET, answer(302), {}, { verdict: 'fail', kind: 'status', status: 302 }],
  ['the Talend PUT has no attempt cap: retried until the deadline', STORE, answer(503), { attempt: MAX_ATTEMPTS, earlierMayHaveActed: true }, { verdict: 'retry' }],
  ['the last attempt of a read: its status', GET, answer(503), { attempt: MAX_ATTEMPTS }, { verdict: 'fail', kind: 'status', status: 503, what: `failed: HTTP 503 after ${MAX_ATTEMPTS} attempts; no more attempts allowed` }],
  ['the last attempt of a write: unknown outcome', { ...GET, method: 'PATCH' }, answer(503), { attempt: MAX_ATTEMPTS }, { verdict: 'fail', kind: 'unknown-outcome', status: 503 }],
  ['no answer on the last attempt: unknown outcome', GET, noAnswer, { attempt: MAX_ATTEMPTS }, { verdict: 'fail', kind: 'unknown-outcome', what: `no answer after ${MAX_ATTEMPTS} attempts (timeout after 30 s); no more attempts allowed; the outcome is unknown` }],
  ['a wait that does not fit the budget ends the request', GET, answer(503), { remainingMs: 2_100 }, { verdict: 'fail', kind: 'status', what: "failed: HTTP 503 after 1 attempt; the run's time budget leaves no time for another attempt" }],
  ['a server wait beyond the budget ends it and says so', GET, answer(429, '', { 'retry-after': '60' }), { remainingMs: 30_000 }, { verdict: 'fail', what: "failed: HTTP 429 after 1 attempt; the server asked to wait 60 s, longer than the run's time budget allows" }],
  ['a body that is not JSON gives no details', GET, answer(400, '<html>nope</html>'), {}, { verdict: 'fail', what: 'failed: HTTP 400' }],
  ['a status of 0 is a failure, not a throw', GET, answer(0), {}, { verdict: 'fail', kind: 'status', status: 0 }],
];

describe('classifyAttempt', () => {
  it.each(table)('%s', (_name, rules, given, more, expected) => {
    expect(classifyAttempt(rules, given, ctx(more))).toMatchObject(expected);
  });

  it('never throws, whatever the answer', () => {
    const weird: (RawAnswer | NoAnswer)[] = [answer(-1), answer(999), answer(200, '\u0000'), { label: '' }, answer(429, '', { 'retry-after': 'soon' })];
    for (const rules of [GET, CREATE, STORE, DELETE])
      for (const a of weird) for (const attempt of [1, MAX_ATTEMPTS]) expect(() => classifyAttempt(rules, a, ctx({ attempt }))).not.toThrow();
  });
});
