/**
 * The request that stores the pair in TMC's Qlik Cloud Authentication setting. Talend publishes no
 * API for it, so its shape is the user's to give (`talend-qlik-auth-request`), captured from what
 * TMC's own page sends. This module reads that description and renders the request from it.
 *
 * Rendering works on the parsed JSON value: a placeholder is replaced inside a string leaf, and the
 * body is serialised afterwards, so a secret with quotes or backslashes is always escaped right.
 */

export type AuthRequestMethod = 'PUT' | 'POST' | 'PATCH';

export interface QlikAuthRequest {
  method: AuthRequestMethod;
  contentType: 'json' | 'form';
  /** Any JSON value; string leaves may hold the placeholders. */
  body: unknown;
  /** Extra, non-secret headers (lower-case names). */
  headers: Record<string, string>;
  /** Statuses that mean "stored"; null: any 2xx. */
  success: number[] | null;
}

export const PLACEHOLDERS = ['{{clientId}}', '{{clientSecret}}', '{{qlikTenantUrl}}'] as const;

/** Today's request, unchanged for workflows that give no description. */
export const DEFAULT_QLIK_AUTH_REQUEST: QlikAuthRequest = {
  method: 'PUT',
  contentType: 'json',
  body: { clientId: '{{clientId}}', clientSecret: '{{clientSecret}}' },
  headers: {},
  success: null,
};

const FIELDS = ['method', 'contentType', 'body', 'headers', 'success'];
const METHODS: AuthRequestMethod[] = ['PUT', 'POST', 'PATCH'];
/** Headers the action sets itself, or that would carry credentials it does not manage. */
const REFUSED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'host', 'content-type', 'content-length', 'talend-version']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]{0,1024}$/;

/**
 * Reads the input's text. Every problem goes to `report` as a predicate about the input; none
 * quotes the text (it may hold anything the user pasted).
 */
export function parseQlikAuthRequest(text: string, report: (problem: string) => void): QlikAuthRequest {
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
  if (Object.keys(json).some((k) => !FIELDS.includes(k))) report(`may have only the fields ${FIELDS.join(', ')}`);

  let method: AuthRequestMethod = DEFAULT_QLIK_AUTH_REQUEST.method;
  if (json.method !== undefined) {
    const m = METHODS.find((x) => x === json.method);
    if (m) method = m;
    else report(`field 'method' must be one of ${METHODS.join(', ')}`);
  }
  let contentType: QlikAuthRequest['contentType'] = 'json';
  if (json.contentType !== undefined) {
    if (json.contentType === 'json' || json.contentType === 'form') contentType = json.contentType;
    else report("field 'contentType' must be 'json' or 'form'");
  }

  const body = json.body === undefined ? DEFAULT_QLIK_AUTH_REQUEST.body : json.body;
  const leaves = stringLeaves(body);
  const used = new Set(leaves.flatMap((s) => s.match(/\{\{[^{}]*\}\}/g) ?? []));
  if ([...used].some((p) => !(PLACEHOLDERS as readonly string[]).includes(p))) {
    report(`field 'body' uses a placeholder other than ${PLACEHOLDERS.join(', ')}`);
  }
  if (!used.has('{{clientSecret}}')) report("field 'body' must contain {{clientSecret}} (else TMC never gets the new secret)");
  if (contentType === 'form') {
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
          report(`field 'headers' must not set ${[...REFUSED_HEADERS].join(', ')} (credentials and headers the action sets itself)`);
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
  return { method, contentType, body, headers, success };
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
