/**
 * The one HTTP client both services' clients use: the allowed origins, the headers, the attempts
 * and waits of one request inside the run's budget, and the check of a 2xx answer. What an answer
 * means is attempt.ts's; the socket is transport.ts's.
 */
import { host } from '../host/host.js';
import { HttpClient } from '@actions/http-client';
import { loadZod } from '../lazy.js';
import { redact, scrubKnownSecrets } from '../secrets.js';
import { type ErrorDetails, classifyAttempt, lenientJson } from './attempt.js';
import type { RunBudget } from './budget.js';
import { type RawAnswer, USER_AGENT, sendOnce } from './transport.js';
import type { ApiErrorKind, ApiResponse, RequestSpec, ServiceName } from './types.js';

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
  /** Default: the host's debug log. Gets method, path (query shown as `?…`), status, attempt, wait only. */
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

/** A larger body is not read unless the request allows more (the action's answers are a few KB). */
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const MAX_ISSUE_PATHS = 5;

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
    const debug = opts.onDebug ?? ((line: string) => host().debug(line));
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
        throw this.error(spec, 'deadline', 0, "the run's time budget ran out before the request could be sent");
      }
      // Asked every attempt: a token that expired during the retries is renewed.
      const headers = await this.headersFor(spec);
      unwritten += 1;
      const answer = await sendOnce({
        method: spec.method,
        url,
        payload,
        headers,
        timeoutMs: Math.min(this.budget.requestTimeoutMs, remaining),
        maxBodyBytes: spec.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        agent: this.http.getAgent(url.href),
        onWritten: requestWritten,
      });
      this.debug(`${this.service} ${spec.method} ${logPath} → ${'label' in answer ? answer.label : answer.status} (attempt ${attempt})`);
      const verdict = classifyAttempt(spec, answer, {
        attempt,
        earlierMayHaveActed: mayHaveActed,
        remainingMs: this.budget.remainingMs(until),
        now: this.budget.now(),
        jitter: this.random(),
        budget: this.budget,
      });
      if (verdict.verdict === 'fail') {
        const { kind, what, verdict: _v, ...extra } = verdict;
        throw this.error(spec, kind, attempt, what, extra);
      }
      if (verdict.verdict === 'done') {
        const { answer: done } = verdict;
        if (verdict.success) return this.success(spec, done, attempt);
        return { status: done.status, body: lenientJson(done.text) as T | undefined, headers: done.headers, attempts: attempt };
      }
      mayHaveActed = verdict.mayHaveActed;
      this.debug(`${this.service} ${spec.method} ${logPath}: retrying in ${verdict.waitMs} ms`);
      await this.sleep(verdict.waitMs);
    }
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
}

/**
 * Requests started but not yet fully written, across every client of the run. When none is left,
 * every request of the moment is on the wire: zod loads while the answers are on their way
 * (checking them needs it). Loading it earlier would hold back a request that overlaps.
 */
let unwritten = 0;

function requestWritten(): void {
  unwritten -= 1;
  if (unwritten === 0) void loadZod();
}

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
