/**
 * What one attempt's answer means for the request: done (a 2xx, or a status the caller accepts),
 * fail (an error to report), or retry (after a wait that fits the budget). A pure function of the
 * answer, the request's rules and the time left; it never throws and never sleeps.
 */
import { redact } from '../secrets.js';
import type { RunBudget } from './budget.js';
import { requestedWaitMs } from './retry-after.js';
import { type NoAnswer, type RawAnswer, formatSeconds } from './transport.js';
import type { ApiErrorKind, RequestSpec } from './types.js';

/** Besides the deadline, no request is sent more often than this. */
export const MAX_ATTEMPTS = 8;

const GATEWAY_STATUSES = new Set([502, 503, 504]);
const CODE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

const NOT_REPEATED = 'the request is not repeated because the server may have acted on it; the outcome is unknown';

/** The parts of a request that decide what an answer means. */
export type AttemptRules = Pick<RequestSpec<unknown>, 'method' | 'repeat' | 'accept' | 'retryStatuses' | 'maxAttempts'>;

export interface AttemptContext {
  /** This attempt's number, from 1. */
  attempt: number;
  /** Some earlier attempt may have reached the server without a definite answer. */
  earlierMayHaveActed: boolean;
  /** What is left of the request's deadline now. */
  remainingMs: number;
  now: number;
  /** Uniform in [0, 1): the backoff's jitter. */
  jitter: number;
  budget: Pick<RunBudget, 'minRequestMs' | 'backoffBaseMs' | 'backoffCapMs'>;
}

/** Short, redacted parts of an error body that may reach a message. */
export interface ErrorDetails {
  code?: string;
  title?: string;
}

/** A failure to report: what went wrong after the request's own words ("failed: HTTP 403 …"). */
export interface AttemptFailure extends ErrorDetails {
  verdict: 'fail';
  kind: ApiErrorKind;
  what: string;
  status?: number | undefined;
}

export type AttemptVerdict =
  /** `success`: a 2xx, whose body the caller checks; otherwise a status the caller accepts. */
  | { verdict: 'done'; answer: RawAnswer; success: boolean }
  | AttemptFailure
  /** `mayHaveActed`: this or an earlier attempt may have reached the server. */
  | { verdict: 'retry'; waitMs: number; mayHaveActed: boolean };

/** An attempt that failed in a way another attempt may fix. */
interface Setback {
  /** Undefined: no answer (timeout, reset). */
  status?: number;
  /** For messages: `HTTP 503 (…)` or the no-answer label. */
  text: string;
  details: ErrorDetails;
  /** The server may have acted on this attempt. */
  mayHaveActed: boolean;
  /** What `Retry-After`/`X-RateLimit-Reset` asked for. */
  serverWaitMs?: number | undefined;
}

export function classifyAttempt(rules: AttemptRules, answer: RawAnswer | NoAnswer, ctx: AttemptContext): AttemptVerdict {
  const judged = judge(rules, answer, ctx);
  if ('verdict' in judged) return judged;
  const setback = judged;
  const mayHaveActed = ctx.earlierMayHaveActed || setback.mayHaveActed;
  const { attempt } = ctx;

  const giveUp = (why: string): AttemptFailure => {
    const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
    const extra = { status: setback.status, ...setback.details };
    if (setback.status === undefined) {
      return { verdict: 'fail', kind: 'unknown-outcome', what: `no answer after ${tries} (${setback.text}); ${why}; the outcome is unknown` };
    }
    // A read changes nothing, so its last answer decides. A write that may have reached the
    // server on some attempt has an unknown outcome (the Talend PUT: the Deliver step of docs/protocol.md).
    if (rules.method !== 'GET' && mayHaveActed) {
      return { verdict: 'fail', kind: 'unknown-outcome', what: `${setback.text} after ${tries}; ${why}; the outcome is unknown`, ...extra };
    }
    return { verdict: 'fail', kind: 'status', what: `failed: ${setback.text} after ${tries}; ${why}`, ...extra };
  };
  if (attempt >= (rules.maxAttempts ?? MAX_ATTEMPTS)) return giveUp('no more attempts allowed');
  // A server's wait is honoured, but never below half the action's own backoff ceiling:
  // `Retry-After: 0` must not turn the until-the-deadline PUT into a tight loop.
  const ceiling = Math.min(ctx.budget.backoffCapMs, ctx.budget.backoffBaseMs * 2 ** (attempt - 1));
  const waitMs = setback.serverWaitMs === undefined ? Math.floor(ctx.jitter * ceiling) : Math.max(setback.serverWaitMs, Math.floor(ceiling / 2));
  // Never sleep into the deadline: the wait plus the smallest useful request must fit.
  if (waitMs + ctx.budget.minRequestMs > ctx.remainingMs) {
    return giveUp(
      setback.serverWaitMs === undefined
        ? "the run's time budget leaves no time for another attempt"
        : `the server asked to wait ${formatSeconds(setback.serverWaitMs)}, longer than the run's time budget allows`,
    );
  }
  return { verdict: 'retry', waitMs, mayHaveActed };
}

/** The answer on its own: a verdict, or a setback that another attempt may fix. */
function judge(rules: AttemptRules, answer: RawAnswer | NoAnswer, ctx: AttemptContext): AttemptVerdict | Setback {
  if ('label' in answer) {
    if (rules.repeat === 'once') return { verdict: 'fail', kind: 'unknown-outcome', what: `no answer (${answer.label}); ${NOT_REPEATED}` };
    return { text: answer.label, details: {}, mayHaveActed: true };
  }
  const { status } = answer;
  if (status >= 200 && status < 300) return { verdict: 'done', answer, success: true };
  // A DELETE answered 404 after an earlier attempt: that attempt (or someone) deleted it.
  const deletedMeanwhile = rules.method === 'DELETE' && status === 404 && ctx.attempt > 1;
  // `accept` lists definite answers; 429 and gateway errors say nothing about the resource and
  // stay with the retry rules even inside an accepted range (the Talend PUT accepts 400–499).
  const retryable = GATEWAY_STATUSES.has(status) || (rules.retryStatuses?.includes(status) ?? false);
  const transient = status === 429 || retryable;
  if (!transient && !deletedMeanwhile && rules.method !== 'GET' && ctx.earlierMayHaveActed) {
    // A refusal now says nothing about an earlier attempt that may have acted (the Talend PUT
    // stored, then the token expired and the retry got 401): the outcome is unknown, not refused.
    const what = `${describeStatus(status, errorDetails(answer.text))} after an earlier attempt without a definite answer; the outcome is unknown`;
    return { verdict: 'fail', kind: 'unknown-outcome', what, status };
  }
  if ((rules.accept?.includes(status) && !transient) || deletedMeanwhile) return { verdict: 'done', answer, success: false };

  const details = errorDetails(answer.text);
  const text = describeStatus(status, details);
  if (status === 429) {
    // The server did not act: worth another attempt for every request.
    return { status, text, details, mayHaveActed: false, serverWaitMs: requestedWaitMs(answer.headers, ctx.now) };
  }
  if (!retryable) return { verdict: 'fail', kind: 'status', what: `failed: ${text}`, status, ...details };
  // A gateway error does not prove that the origin did not act.
  if (rules.repeat === 'once') return { verdict: 'fail', kind: 'unknown-outcome', what: `${text}; ${NOT_REPEATED}`, status, ...details };
  const serverWaitMs = status === 503 ? requestedWaitMs(answer.headers, ctx.now) : undefined;
  return { status, text, details, mayHaveActed: true, serverWaitMs };
}

export function lenientJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The only parts of an error body that reach a message: Qlik's `errors[0].code`/`title`, Talend's
 * `message` (or Spring's `error`), redacted. Never `detail` (it can echo inputs), never raw text.
 */
function errorDetails(text: string): ErrorDetails {
  const body = lenientJson(text);
  if (typeof body !== 'object' || body === null) return {};
  const record = body as Record<string, unknown>;
  const first: unknown = Array.isArray(record['errors']) ? record['errors'][0] : undefined;
  const qlik = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
  const out: ErrorDetails = {};
  const rawCode = qlik['code'];
  if (typeof rawCode === 'string') {
    const code = redact(rawCode, 64);
    if (code === rawCode && CODE_PATTERN.test(code)) out.code = code;
  }
  const rawTitle = [qlik['title'], record['message'], record['error']].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (rawTitle !== undefined) {
    const title = redact(rawTitle, 120);
    if (title !== '') out.title = title;
  }
  return out;
}

function describeStatus(status: number, details: ErrorDetails): string {
  const title = details.title === undefined ? undefined : JSON.stringify(details.title);
  if (details.code !== undefined && title !== undefined) return `HTTP ${status} (code ${details.code}: ${title})`;
  if (details.code !== undefined) return `HTTP ${status} (code ${details.code})`;
  if (title !== undefined) return `HTTP ${status} (${title})`;
  return `HTTP ${status}`;
}
