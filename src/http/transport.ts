/**
 * One attempt of a request on the wire: node:http(s), bounded from start to the last byte of the
 * body by one AbortSignal, never redirected, never retried here. Knows sockets, nothing about
 * services, statuses or retries (attempt.ts decides what an answer means).
 */
import * as http from 'node:http';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import type { Method } from './types.js';

export const USER_AGENT = 'qlik-talend-oauth';

/** An answer: status, lower-cased headers and the body as text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** A failed attempt without an answer. `label` is fixed text, never a library's message. */
export interface NoAnswer {
  label: string;
}

export interface Attempt {
  method: Method;
  url: URL;
  payload: string | null;
  headers: Record<string, string>;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Keep-alive and proxy agent for the URL (from @actions/http-client). */
  agent: http.Agent | undefined;
  /** Called once, when the request is fully written (or closed before that). */
  onWritten?: () => void;
}

class AttemptTimeout extends Error {}
class BodyTooLarge extends Error {}
class BodyCutOff extends Error {}

/**
 * Sends one attempt. Node's request honours the signal while connecting and waiting for headers,
 * `readBody` while the body arrives (a server that sends headers and then stalls is cut off too).
 * Never throws: a failure without an answer comes back as a fixed label.
 */
export function sendOnce(attempt: Attempt): Promise<RawAnswer | NoAnswer> {
  const { method, url, payload, timeoutMs, maxBodyBytes } = attempt;
  const signal = AbortSignal.timeout(timeoutMs);
  const send = url.protocol === 'https:' ? https.request : http.request;
  const outgoing: Record<string, string> = { 'user-agent': USER_AGENT, ...attempt.headers };
  if (payload !== null) outgoing['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve) => {
    const fail = (error: unknown) => resolve({ label: describeNetworkError(error, timeoutMs) });
    const request = send(url, { method, headers: outgoing, agent: attempt.agent, signal }, (response) => {
      readBody(response, signal, maxBodyBytes).then(
        (text) => resolve({ status: response.statusCode ?? 0, headers: flattenHeaders(response.headers), text }),
        fail,
      );
    });
    request.on('error', fail);
    let written = false;
    const onWritten = () => {
      if (written) return;
      written = true;
      attempt.onWritten?.();
    };
    request.once('finish', onWritten);
    request.once('close', onWritten);
    request.end(payload ?? undefined);
  });
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
      return code !== undefined && /^E[A-Z0-9_]{2,30}$/.test(code) ? `network error ${code}` : 'network error';
  }
}

export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}
