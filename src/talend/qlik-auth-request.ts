/**
 * The request that stores the pair in TMC's Qlik Cloud Authentication setting. Talend publishes no
 * API for it, so its shape is the user's to give (`talend-qlik-auth-request`), captured from what
 * TMC's own page sends. This module reads that description and renders the request from it.
 *
 * Rendering works on the parsed JSON value: a placeholder is replaced inside a string leaf, and the
 * body is serialised afterwards, so a secret with quotes or backslashes is always escaped right.
 */

export type AuthRequestMethod = 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** What a 2xx answer's JSON body must hold: the value at an RFC 6901 JSON pointer. */
export interface AnswerCondition {
  pointer: string;
  equals: unknown;
}

export interface QlikAuthRequest {
  method: AuthRequestMethod;
  contentType: 'json' | 'form';
  /** Any JSON value; string leaves may hold the placeholders. */
  body: unknown;
  /** Extra, non-secret headers (lower-case names). */
  headers: Record<string, string>;
  /** The 2xx statuses TMC answers when it took the request; null: any 2xx. Another 2xx: it may have stored the pair. */
  success: number[] | null;
  /** A 2xx counts as stored only when its body matches (TMC's web endpoints may answer 200 with an error). */
  stored: AnswerCondition | null;
  /** A 2xx whose body matches is a definite refusal. */
  refused: AnswerCondition | null;
}

export const PLACEHOLDERS = ['{{clientId}}', '{{clientSecret}}', '{{qlikTenantUrl}}'] as const;

/**
 * The request that disconnects TMC's setting (`talend-qlik-auth-disconnect-request`, for a
 * decommission): the same shape, an optional URL (the raw text; inputs.ts resolves it like
 * `talend-qlik-auth-url`, which it defaults to), any method, an optional body, and never the
 * secret.
 */
export interface QlikAuthDisconnect extends QlikAuthRequest {
  url: string | undefined;
}

/** Today's request, unchanged for workflows that give no description. */
export const DEFAULT_QLIK_AUTH_REQUEST: QlikAuthRequest = {
  method: 'PUT',
  contentType: 'json',
  body: { clientId: '{{clientId}}', clientSecret: '{{clientSecret}}' },
  headers: {},
  success: null,
  stored: null,
  refused: null,
};

const FIELDS = ['method', 'contentType', 'body', 'headers', 'success', 'stored', 'refused'];
const METHODS: AuthRequestMethod[] = ['PUT', 'POST', 'PATCH'];
const DISCONNECT_METHODS: AuthRequestMethod[] = ['PUT', 'POST', 'PATCH', 'DELETE'];
/**
 * Headers the action sets itself, that would carry credentials it does not manage, or that are
 * hop-by-hop (RFC 9110 §7.6.1: they describe one connection, and `Transfer-Encoding` beside the
 * action's own `Content-Length` is how requests are smuggled).
 */
const REFUSED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-type',
  'content-length',
  'talend-version',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]{0,1024}$/;

/**
 * Reads the input's text. Every problem goes to `report` as a predicate about the input; none
 * quotes the text (it may hold anything the user pasted).
 */
export function parseQlikAuthRequest(text: string, report: (problem: string) => void): QlikAuthRequest {
  return parseRequest(text, report, 'store');
}

/** Reads `talend-qlik-auth-disconnect-request`: as the store request, with `url`, and without the secret. */
export function parseQlikAuthDisconnect(text: string, report: (problem: string) => void): QlikAuthDisconnect {
  const request = parseRequest(text, report, 'disconnect');
  let url: string | undefined;
  try {
    const json: unknown = JSON.parse(text);
    const raw = isObject(json) ? json.url : undefined;
    if (raw !== undefined && typeof raw !== 'string') report("field 'url' must be a string: an absolute https:// URL or a path below the Talend API base");
    else url = raw;
  } catch {
    // parseRequest reported it.
  }
  return { ...request, url };
}

function parseRequest(text: string, report: (problem: string) => void, kind: 'store' | 'disconnect'): QlikAuthRequest {
  const fields = kind === 'store' ? FIELDS : [...FIELDS, 'url'];
  const methods = kind === 'store' ? METHODS : DISCONNECT_METHODS;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    report('must be a JSON object (it is not valid JSON)');
    return DEFAULT_QLIK_AUTH_REQUEST;
  }
  if (!isObject(json)) {
    report('must be a JSON object');
    return DEFAULT_QLIK_AUTH_REQUEST;
  }
  if (Object.keys(json).some((k) => !fields.includes(k))) report(`may have only the fields ${fields.join(', ')}`);

  // A disconnect is most likely a DELETE; the user says otherwise.
  let method: AuthRequestMethod = kind === 'store' ? DEFAULT_QLIK_AUTH_REQUEST.method : 'DELETE';
  if (json.method !== undefined) {
    const m = methods.find((x) => x === json.method);
    if (m) method = m;
    else report(`field 'method' must be one of ${methods.join(', ')}`);
  }
  let contentType: QlikAuthRequest['contentType'] = 'json';
  if (json.contentType !== undefined) {
    if (json.contentType === 'json' || json.contentType === 'form') contentType = json.contentType;
    else report("field 'contentType' must be 'json' or 'form'");
  }

  const body = json.body === undefined ? (kind === 'store' ? DEFAULT_QLIK_AUTH_REQUEST.body : undefined) : json.body;
  const leaves = stringLeaves(body);
  const used = new Set(leaves.flatMap((s) => s.match(/\{\{[^{}]*\}\}/g) ?? []));
  if ([...used].some((p) => !(PLACEHOLDERS as readonly string[]).includes(p))) {
    report(`field 'body' uses a placeholder other than ${PLACEHOLDERS.join(', ')}`);
  }
  if (kind === 'store' && !used.has('{{clientSecret}}')) report("field 'body' must contain {{clientSecret}} (else TMC never gets the new secret)");
  if (kind === 'disconnect' && used.has('{{clientSecret}}')) report('field \'body\' must not contain {{clientSecret}}: a disconnect sends no secret');
  if (contentType === 'form' && body !== undefined) {
    const flat = isObject(body) && Object.values(body).every((v) => ['string', 'number', 'boolean'].includes(typeof v));
    if (!flat) report("field 'body' must be a flat object of strings, numbers and booleans when 'contentType' is 'form'");
  }

  const headers: Record<string, string> = {};
  if (json.headers !== undefined) {
    if (!isObject(json.headers)) {
      report("field 'headers' must be an object of header names and values");
    } else {
      for (const [name, value] of Object.entries(json.headers)) {
        const lower = name.toLowerCase();
        if (!HEADER_NAME.test(name) || typeof value !== 'string' || !HEADER_VALUE.test(value)) {
          report("field 'headers' must map header names to printable one-line values");
        } else if (REFUSED_HEADERS.has(lower)) {
          report(`field 'headers' must not set ${[...REFUSED_HEADERS].join(', ')} (credentials, headers the action sets itself, hop-by-hop headers)`);
        } else if (/\{\{[^{}]*\}\}/.test(value)) {
          // Headers reach proxies and their logs; placeholders are filled only in the body.
          report("field 'headers' must not hold a placeholder such as {{clientSecret}}: the pair goes only in the body");
        } else {
          headers[lower] = value;
        }
      }
    }
  }

  let success: number[] | null = null;
  if (json.success !== undefined) {
    const list = json.success;
    if (!Array.isArray(list) || list.length === 0 || !list.every((s) => Number.isInteger(s) && s >= 200 && s <= 299)) {
      report("field 'success' must be a non-empty list of 2xx statuses");
    } else {
      success = [...new Set(list as number[])];
    }
  }
  const stored = answerCondition(json.stored, 'stored', report);
  const refused = answerCondition(json.refused, 'refused', report);
  return { method, contentType, body, headers, success, stored, refused };
}

/** `{"pointer": "/status", "equals": "OK"}`: an RFC 6901 pointer into the answer and the JSON value it must hold. */
function answerCondition(v: unknown, field: string, report: (problem: string) => void): AnswerCondition | null {
  if (v === undefined) return null;
  const ok = isObject(v) && Object.keys(v).every((k) => k === 'pointer' || k === 'equals') && 'equals' in v && typeof v.pointer === 'string' && /^(\/[^/]*)*$/.test(v.pointer) && v.pointer.length <= 256;
  if (!ok) {
    report(`field '${field}' must be {"pointer": "/a/json/pointer", "equals": <a JSON value>}`);
    return null;
  }
  return { pointer: v.pointer as string, equals: v.equals };
}

/** The value at an RFC 6901 pointer, or undefined when the answer has none there. */
function at(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let here: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(here) && /^(0|[1-9][0-9]*)$/.test(token)) here = here[Number(token)];
    else if (isObject(here) && Object.hasOwn(here, token)) here = here[token];
    else return undefined;
  }
  return here;
}

function matches(body: unknown, condition: AnswerCondition): boolean {
  const value = at(body, condition.pointer);
  return value !== undefined && canonical(value) === canonical(condition.equals);
}

/** JSON with sorted keys, so equal values compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * What TMC's answer to the request means (the Deliver step): a definite refusal only when it says
 * no (a 4xx, or a 2xx whose body matches `refused`); stored only when it says yes (a listed 2xx
 * whose body matches `stored`, when given); anything else (a redirect, a 2xx `success` does not
 * list, a body that matches neither) may have stored the pair.
 */
export function judgeQlikAuthAnswer(request: QlikAuthRequest, status: number, body: unknown): 'stored' | 'refused' | 'unclear' {
  if (status >= 400 && status < 500) return 'refused';
  if (status < 200 || status >= 300) return 'unclear';
  if (request.refused && matches(body, request.refused)) return 'refused';
  if (request.success !== null && !request.success.includes(status)) return 'unclear';
  if (request.stored) return matches(body, request.stored) ? 'stored' : 'unclear';
  return 'stored';
}

export interface RenderedRequest {
  method: AuthRequestMethod;
  json?: unknown;
  form?: Record<string, string>;
  headers: Record<string, string>;
}

/** The request with the placeholders replaced in the parsed body (escaping is JSON's or the form's). */
export function renderQlikAuthRequest(
  request: QlikAuthRequest,
  values: { clientId: string; clientSecret: string; qlikTenantUrl: string },
): RenderedRequest {
  const fill = (s: string) =>
    s.replace(/\{\{(clientId|clientSecret|qlikTenantUrl)\}\}/g, (_m, key: keyof typeof values) => values[key]);
  const body = mapStrings(request.body, fill);
  if (body === undefined) return { method: request.method, headers: request.headers };
  if (request.contentType === 'form') {
    const form = Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    return { method: request.method, form, headers: request.headers };
  }
  return { method: request.method, json: body, headers: request.headers };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringLeaves(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringLeaves);
  if (isObject(v)) return Object.values(v).flatMap(stringLeaves);
  return [];
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}
