import type { core } from 'zod/mini';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type ServiceName = 'Qlik' | 'Talend';

/**
 * One request to a remote API. The HTTP layer adds the bearer token (when `auth` is not false),
 * `Accept: application/json`, the service's default headers and `Content-Type` for bodies.
 */
export interface RequestSpec<T = unknown> {
  method: Method;
  /** Absolute URL. Must be on one of the client's allowed origins when `auth` is true. */
  url: string;
  /** JSON body. */
  json?: unknown;
  /** application/x-www-form-urlencoded body (never logged). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * `repeatable`: safe to send again after an unknown outcome (GET, DELETE, JSON Patch `replace`,
   * the PUT to Talend, `POST /oauth/token`): retried on 429, 502/503/504, timeouts and resets.
   * `once`: a POST that creates something: retried only on 429 (the server did not act); any other
   * transient failure ends as an `unknown-outcome` error.
   */
  repeat: 'repeatable' | 'once';
  /**
   * Statuses (>= 300) returned to the caller instead of thrown, e.g. 404 on a lookup. 429 and
   * 502/503/504 follow the retry rules even when listed here.
   */
  accept?: number[];
  /**
   * Further statuses that, for a `repeatable` request, are worth another attempt like a gateway
   * error: the Deliver step (docs/protocol.md) retries every 5xx of the Talend PUT until a definite answer or the deadline.
   */
  retryStatuses?: number[];
  /**
   * The largest answer (success or error) read, in bytes; a larger one is cut off like a timeout.
   * Each endpoint sets what fits it; default 1 MiB.
   */
  maxBodyBytes?: number;
  /** More attempts than the default cap: the Talend PUT is retried until the deadline (the Deliver step). */
  maxAttempts?: number;
  /**
   * Validates a 2xx JSON body. A mismatch is an `invalid-response` error without the body. Any zod 4
   * schema (the action's are `zod/mini`), or a function returning one: it is called only when a
   * body arrives, so the schema is not built before the request is sent.
   */
  schema?: core.$ZodType<T> | (() => core.$ZodType<T> | Promise<core.$ZodType<T>>);
  /** What the action was doing, for error messages: "reading the OAuth client". */
  doing: string;
  /** Send the service's bearer token. Default true. `/oauth/token` sends client credentials instead. */
  auth?: boolean;
  /**
   * Which deadline bounds retries: `work` (default) leaves a reserve at the end of the run for
   * compensation and the final record write; `final` may use the whole budget.
   */
  until?: 'work' | 'final';
}

export interface ApiResponse<T = unknown> {
  status: number;
  /** Parsed (and, for 2xx with a schema, validated) JSON body; undefined when empty. */
  body: T | undefined;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** How many times the request was sent. */
  attempts: number;
}

export type ApiErrorKind =
  /** A definite answer the caller did not accept (4xx/5xx after retries were exhausted or not allowed). */
  | 'status'
  /** Sent, but no answer: timeout, reset, or the deadline ran out between retries. The server may have acted. */
  | 'unknown-outcome'
  /** The deadline ran out before the request could be sent. */
  | 'deadline'
  /** A 2xx answer whose body does not match the schema (or is not JSON). */
  | 'invalid-response'
  /** A URL on an origin the credentials do not belong to. Nothing was sent. */
  | 'origin';
