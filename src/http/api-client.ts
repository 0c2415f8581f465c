import * as http from 'node:http';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';
import { loadZod } from '../lazy.js';
import { redact, scrubKnownSecrets } from '../secrets.js';
import type { RunBudget } from './budget.js';
import { requestedWaitMs } from './retry-after.js';
import type { ApiErrorKind, ApiResponse, Method, RequestSpec, ServiceName } from './types.js';

export interface ApiClientOptions {
  service: ServiceName;
  /**
   * The bearer token, already registered as a secret: a string, or a function asked before every
   * attempt (a service-account token is renewed when it is about to expire).
   */
  token: string | (() => Promise<string>);
  /** Origins (scheme://host:port) the token, and any credentials in a body, may be sent to. */
  allowedOrigins: readonly string[];
  /** e.g. `{'talend-version': '2021-03'}` */
  defaultHeaders?: Record<string, string>;
  budget: RunBudget;
  /** Injectable for tests. Never asked to sleep past the deadline. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable jitter, in [0, 1). */
  random?: () => number;
  /**
   * Gives the connection agent for a URL: keep-alive, and HTTPS_PROXY/NO_PROXY as
   * @actions/http-client supports them. Requests themselves are sent with node:http(s), never
   * redirected or retried by the library, and bounded by one AbortSignal per attempt.
   */
  httpClient?: HttpClient;
  /** Default `core.debug`. Gets method, path (query shown as `?…`), status, attempt, wait only. */
  onDebug?: (line: string) => void;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly kind: ApiErrorKind;
  readonly service: ServiceName;
  readonly doing: string;
  /** The last HTTP status seen, if any (also for `unknown-outcome` after a 502/503/504). */
  readonly status?: number;
  /** Error code from the body (Qlik `errors[0].code`), redacted and whitelisted. */
  readonly code?: string;
  /** Short message from the body (Qlik `errors[0].title`, Talend `message`), redacted. */
  readonly title?: string;
  /** How many times the request was sent (0: never). */
  readonly attempts: number;

  constructor(init: {
    kind: ApiErrorKind;
    service: ServiceName;
    doing: string;
    message: string;
    attempts: number;
    status?: number;
    code?: string;
    title?: string;
  }) {
    super(init.message);
    this.kind = init.kind;
    this.service = init.service;
    this.doing = init.doing;
    this.attempts = init.attempts;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    if (init.title !== undefined) this.title = init.title;
  }
}

/** Besides the deadline, no request is sent more often than this. */
export const MAX_ATTEMPTS = 8;
/** A larger body is not read unless the request allows more (the action's answers are a few KB). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const GATEWAY_STATUSES = new Set([502, 503, 504]);
const CODE_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_ISSUE_PATHS = 5;

interface RawAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** A failed attempt without an answer. `label` is fixed text, never a library's message. */
interface NoAnswer {
  label: string;
}

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

class AttemptTimeout extends Error {}
class BodyTooLarge extends Error {}
class BodyCutOff extends Error {}

export class ApiClient {
  private readonly service: ServiceName;
  private readonly token: () => Promise<string>;
  private readonly allowedOrigins: Set<string>;
  private readonly defaultHeaders: Record<string, string>;
  private readonly budget: RunBudget;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly http: HttpClient;
  private readonly ownsHttp: boolean;
  private readonly debug: (line: string) => void;

  constructor(opts: ApiClientOptions) {
    this.service = opts.service;
    const token = opts.token;
    this.token = typeof token === 'string' ? async () => token : token;
    this.allowedOrigins = new Set(opts.allowedOrigins.map((o) => originOf(o, opts.service)));
    this.defaultHeaders = lowerCaseKeys(opts.defaultHeaders ?? {});
    this.budget = opts.budget;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = opts.random ?? Math.random;
    // Paths can hold IDs a server chose (an execution ID): scrub them like any untrusted text.
    const debug = opts.onDebug ?? ((line: string) => core.debug(line));
    this.debug = (line) => debug(scrubKnownSecrets(line));
    if (opts.httpClient) {
      this.http = opts.httpClient;
      this.ownsHttp = false;
    } else {
      this.http = new HttpClient(USER_AGENT, [], { keepAlive: true });
      this.ownsHttp = true;
    }
  }

  /** Closes kept-alive sockets of the client this instance created. */
  dispose(): void {
    if (this.ownsHttp) this.http.dispose();
  }

  async request<T>(spec: RequestSpec<T>): Promise<ApiResponse<T>> {
    const url = this.checkedUrl(spec);
    const logPath = url.pathname + (url.search === '' ? '' : '?…');
    const until = spec.until ?? 'work';
    const payload = bodyOf(spec);

    // Some attempt may have reached the server without a definite answer (timeout, reset,
    // 502/503/504): the server may have acted on it.
    let mayHaveActed = false;
    for (let attempt = 1; ; attempt++) {
      const remaining = this.budget.remainingMs(until);
      if (attempt === 1 && remaining < this.budget.minRequestMs) {
        const what = "the run's time budget ran out before the request could be sent";
        throw this.error(spec, 'deadline', 0, what);
      }
      const timeoutMs = Math.min(this.budget.requestTimeoutMs, remaining);
      // Asked every attempt: a token that expired during the retries is renewed.
      const headers = await this.headersFor(spec);
      const answer = await this.sendOnce(spec.method, url, payload, headers, timeoutMs, spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      const verdict: { response: ApiResponse<T> } | { success: RawAnswer } | Setback = this.judge(spec, answer, attempt, logPath, mayHaveActed);
      if ('response' in verdict) return verdict.response;
      if ('success' in verdict) return this.success(spec, verdict.success, attempt);
      const setback: Setback = verdict;
      mayHaveActed ||= setback.mayHaveActed;

      const giveUp = (why: string): ApiError => {
        const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
        const extra = { status: setback.status, ...setback.details };
        if (setback.status === undefined) {
          const what = `no answer after ${tries} (${setback.text}); ${why}; the outcome is unknown`;
          return this.error(spec, 'unknown-outcome', attempt, what);
        }
        // A read changes nothing, so its last answer decides. A write that may have reached the
        // server on some attempt has an unknown outcome (the Talend PUT: the Deliver step of docs/protocol.md).
        if (spec.method !== 'GET' && mayHaveActed) {
          const what = `${setback.text} after ${tries}; ${why}; the outcome is unknown`;
          return this.error(spec, 'unknown-outcome', attempt, what, extra);
        }
        const what = `failed: ${setback.text} after ${tries}; ${why}`;
        return this.error(spec, 'status', attempt, what, extra);
      };
      if (attempt >= (spec.maxAttempts ?? MAX_ATTEMPTS)) throw giveUp('no more attempts allowed');
      // A server's wait is honoured, but never below half the action's own backoff ceiling:
      // `Retry-After: 0` must not turn the until-the-deadline PUT into a tight loop.
      const waitMs =
        setback.serverWaitMs === undefined
          ? this.backoffMs(attempt)
          : Math.max(setback.serverWaitMs, Math.floor(this.backoffCeilingMs(attempt) / 2));
      // Never sleep into the deadline: the wait plus the smallest useful request must fit.
      if (waitMs + this.budget.minRequestMs > this.budget.remainingMs(until)) {
        throw giveUp(
          setback.serverWaitMs === undefined
            ? "the run's time budget leaves no time for another attempt"
            : `the server asked to wait ${formatSeconds(setback.serverWaitMs)}, ` +
                "longer than the run's time budget allows",
        );
      }
      this.debug(`${this.service} ${spec.method} ${logPath}: retrying in ${waitMs} ms`);
      await this.sleep(waitMs);
    }
  }

  /**
   * What one attempt means: the response, a thrown ApiError, or a setback worth another attempt
   * if the budget allows.
   */
  private judge<T>(
    spec: RequestSpec<T>,
    answer: RawAnswer | NoAnswer,
    attempt: number,
    logPath: string,
    earlierMayHaveActed: boolean,
  ): { response: ApiResponse<T> } | { success: RawAnswer } | Setback {
    if ('label' in answer) {
      this.debug(`${this.service} ${spec.method} ${logPath} → ${answer.label} (attempt ${attempt})`);
      if (spec.repeat === 'once') {
        const what = `no answer (${answer.label}); ${NOT_REPEATED}`;
        throw this.error(spec, 'unknown-outcome', attempt, what);
      }
      return { text: answer.label, details: {}, mayHaveActed: true };
    }

    const { status } = answer;
    this.debug(`${this.service} ${spec.method} ${logPath} → ${status} (attempt ${attempt})`);
    if (status >= 200 && status < 300) return { success: answer };
    // A DELETE answered 404 after an earlier attempt: that attempt (or someone) deleted it.
    const deletedMeanwhile = spec.method === 'DELETE' && status === 404 && attempt > 1;
    // `accept` lists definite answers; 429 and gateway errors say nothing about the resource and
    // stay with the retry rules even inside an accepted range (the Talend PUT accepts 400–499).
    const retryable = GATEWAY_STATUSES.has(status) || (spec.retryStatuses?.includes(status) ?? false);
    const transient = status === 429 || retryable;
    if (!transient && !deletedMeanwhile && spec.method !== 'GET' && earlierMayHaveActed) {
      // A refusal now says nothing about an earlier attempt that may have acted (the Talend PUT
      // stored, then the token expired and the retry got 401): the outcome is unknown, not refused.
      const what = `${describeStatus(status, errorDetails(answer.text))} after an earlier attempt without a definite answer; the outcome is unknown`;
      throw this.error(spec, 'unknown-outcome', attempt, what, { status });
    }
    if ((spec.accept?.includes(status) && !transient) || deletedMeanwhile) {
      const body = lenientJson(answer.text) as T | undefined;
      return { response: { status, body, headers: answer.headers, attempts: attempt } };
    }

    const details = errorDetails(answer.text);
    const text = describeStatus(status, details);
    if (status === 429) {
      // The server did not act: worth another attempt for every request.
      const serverWaitMs = requestedWaitMs(answer.headers, this.budget.now());
      return { status, text, details, mayHaveActed: false, serverWaitMs };
    }
    if (!retryable) {
      throw this.error(spec, 'status', attempt, `failed: ${text}`, { status, ...details });
    }
    if (spec.repeat === 'once') {
      // A gateway error does not prove that the origin did not act.
      const what = `${text}; ${NOT_REPEATED}`;
      throw this.error(spec, 'unknown-outcome', attempt, what, { status, ...details });
    }
    const serverWaitMs =
      status === 503 ? requestedWaitMs(answer.headers, this.budget.now()) : undefined;
    return { status, text, details, mayHaveActed: true, serverWaitMs };
  }

  /** `Qlik: reading the OAuth client failed: HTTP 403 (…)`; `what` starts with "failed" or not. */
  private error(
    spec: RequestSpec<unknown>,
    kind: ApiErrorKind,
    attempts: number,
    what: string,
    extra: { status?: number | undefined } & ErrorDetails = {},
  ): ApiError {
    const separator = what.startsWith('failed') ? ' ' : ': ';
    return new ApiError({
      kind,
      service: this.service,
      doing: spec.doing,
      message: `${this.service}: ${spec.doing}${separator}${what}`,
      attempts,
      ...extra,
    });
  }

  private checkedUrl(spec: RequestSpec<unknown>): URL {
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      // TypeError: Invalid URL carries the input; it may hold a password.
      throw this.error(spec, 'origin', 0, 'refused to send a request to an invalid URL');
    }
    // Checked for every request, not only bearer-token ones: a request without the token still
    // carries client credentials in its body (`/oauth/token`).
    const web = url.protocol === 'https:' || url.protocol === 'http:';
    if (!web || !this.allowedOrigins.has(url.origin)) {
      const what = `refused to send the ${this.service} credentials to a link on another origin`;
      throw this.error(spec, 'origin', 0, what);
    }
    return url;
  }

  /**
   * The headers of one attempt. Without `auth`, no bearer token: only an `authorization` the
   * request itself carries (the Basic header of a service-account sign-in), never a default one.
   */
  private async headersFor(spec: RequestSpec<unknown>): Promise<Record<string, string>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (spec.json !== undefined) headers['content-type'] = 'application/json';
    if (spec.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    Object.assign(headers, this.defaultHeaders);
    delete headers['authorization'];
    Object.assign(headers, lowerCaseKeys(spec.headers ?? {}));
    if (spec.auth !== false) headers['authorization'] = `Bearer ${await this.token()}`;
    return headers;
  }

  /** Full jitter: uniform in [0, min(cap, base · 2^(attempt−1))). */
  private backoffMs(attempt: number): number {
    return Math.floor(this.random() * this.backoffCeilingMs(attempt));
  }

  private backoffCeilingMs(attempt: number): number {
    const { backoffBaseMs, backoffCapMs } = this.budget;
    return Math.min(backoffCapMs, backoffBaseMs * 2 ** (attempt - 1));
  }

  private async success<T>(spec: RequestSpec<T>, answer: RawAnswer, attempts: number): Promise<ApiResponse<T>> {
    const base = { status: answer.status, headers: answer.headers, attempts };
    if (answer.text.trim() === '') return { ...base, body: undefined };
    const invalid = (what: string) =>
      this.error(spec, 'invalid-response', attempts, `the answer (HTTP ${answer.status}) ${what}`, {
        status: answer.status,
      });
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      // Not the SyntaxError's message: V8 quotes part of the input in it.
      throw invalid('is not valid JSON');
    }
    if (spec.schema === undefined) return { ...base, body: parsed as T };
    const schema = typeof spec.schema === 'function' ? await spec.schema() : spec.schema;
    const result = (await loadZod()).safeParse(schema, parsed);
    if (result.success) return { ...base, body: result.data };
    // Paths only: zod 4 messages hold no input values by default, but paths are all we need.
    const paths = [
      ...new Set(result.error.issues.map((i) => redact(i.path.map(String).join('.') || '(root)', 80))),
    ];
    const shown =
      paths.slice(0, MAX_ISSUE_PATHS).join(', ') + (paths.length > MAX_ISSUE_PATHS ? ', …' : '');
    throw invalid(`does not have the expected shape (at ${shown})`);
  }

  /**
   * One attempt, bounded by `timeoutMs` from start to the last byte of the body by one
   * AbortSignal: Node's request honours it while connecting and waiting for headers, `readBody`
   * while the body arrives (a server that sends headers and then stalls is cut off too). Never
   * throws: a failure without an answer comes back as a fixed label.
   */
  private sendOnce(
    method: Method,
    url: URL,
    payload: string | null,
    headers: Record<string, string>,
    timeoutMs: number,
    maxBodyBytes: number,
  ): Promise<RawAnswer | NoAnswer> {
    const signal = AbortSignal.timeout(timeoutMs);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const outgoing: Record<string, string> = { 'user-agent': USER_AGENT, ...headers };
    if (payload !== null) outgoing['content-length'] = String(Buffer.byteLength(payload));
    return new Promise((resolve) => {
      const fail = (error: unknown) => resolve({ label: describeNetworkError(error, timeoutMs) });
      const request = send(url, { method, headers: outgoing, agent: this.http.getAgent(url.href), signal }, (response) => {
        readBody(response, signal, maxBodyBytes).then(
          (text) => resolve({ status: response.statusCode ?? 0, headers: flattenHeaders(response.headers), text }),
          fail,
        );
      });
      request.on('error', fail);
      unsentRequests += 1;
      let sent = false;
      const onSent = () => {
        if (sent) return;
        sent = true;
        unsentRequests -= 1;
        // Every request of the moment is on the wire: load zod while the answers are on their way
        // (checking them needs it). Loading it earlier would hold back a request that overlaps.
        if (unsentRequests === 0) void loadZod();
      };
      request.once('finish', onSent);
      request.once('close', onSent);
      request.end(payload ?? undefined);
    });
  }
}

const USER_AGENT = 'qlik-talend-oauth';

/** Requests started but not yet fully written, across every client of the run (see sendOnce). */
let unsentRequests = 0;

const NOT_REPEATED =
  'the request is not repeated because the server may have acted on it; the outcome is unknown';

function originOf(url: string, service: ServiceName): string {
  try {
    return new URL(url).origin;
  } catch {
    // Not the TypeError: it carries the input, which may hold a password.
    throw new TypeError(`${service}: an allowed origin is not a valid URL`);
  }
}

function bodyOf(spec: RequestSpec<unknown>): string | null {
  if (spec.json !== undefined && spec.form !== undefined) {
    throw new TypeError(`${spec.doing}: a request has either a JSON or a form body, not both`);
  }
  if (spec.json !== undefined) return JSON.stringify(spec.json);
  if (spec.form !== undefined) return new URLSearchParams(spec.form).toString();
  return null;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * http-client's `readBody()` listens only to `data` and `end`: when the connection drops
 * mid-body it never settles. This reads the same stream and also ends on errors, cut-offs, the
 * attempt's abort and a size limit.
 */
function readBody(message: IncomingMessage, signal: AbortSignal, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        message.destroy();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    };
    const onAbort = () => finish(new AttemptTimeout());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(new BodyTooLarge());
      else chunks.push(chunk);
    });
    message.on('end', () => finish(undefined));
    message.on('error', (error) => finish(error));
    message.on('close', () => finish(message.complete ? undefined : new BodyCutOff()));
  });
}

/** Fixed words for a failure without an answer; never a library's message (it may hold the URL). */
function describeNetworkError(error: unknown, timeoutMs: number): string {
  const timeout = `timeout after ${formatSeconds(timeoutMs)}`;
  if (error instanceof AttemptTimeout) return timeout;
  if (error instanceof BodyTooLarge) return 'answer larger than this request allows, not read';
  if (error instanceof BodyCutOff) return 'connection closed before the answer was complete';
  const e = error as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (e.name === 'AbortError' || code === 'ABORT_ERR') return timeout;
  switch (code) {
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not resolved';
    default:
      if (typeof e.message === 'string' && /socket hang up/i.test(e.message)) return 'connection reset';
      return code !== undefined && /^E[A-Z0-9_]{2,30}$/.test(code)
        ? `network error ${code}`
        : 'network error';
  }
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}

function lenientJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface ErrorDetails {
  code?: string;
  title?: string;
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
  const rawTitle = [qlik['title'], record['message'], record['error']].find(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  if (rawTitle !== undefined) {
    const title = redact(rawTitle, 120);
    if (title !== '') out.title = title;
  }
  return out;
}

function describeStatus(status: number, details: ErrorDetails): string {
  const title = details.title === undefined ? undefined : JSON.stringify(details.title);
  if (details.code !== undefined && title !== undefined) {
    return `HTTP ${status} (code ${details.code}: ${title})`;
  }
  if (details.code !== undefined) return `HTTP ${status} (code ${details.code})`;
  if (title !== undefined) return `HTTP ${status} (${title})`;
  return `HTTP ${status}`;
}
