// Wire shapes of the Qlik side: the admin view of a client and Qlik's error body.
import type { RouteResponse } from './http.js';
import type { QlikClientState } from './types.js';

export interface TenantInfo {
  tenantId: string;
  ownerId: string;
  /**
   * Answer only as Qlik's OpenAPI spec allows, nothing more generous: optional fields left out
   * when empty, no connectionConfig on a read by ID (OAuthClientAdminReadResponse has none).
   */
  strict: boolean;
  /** How `createdAt` of a secret is written (state.createdAtForm); `mixed` changes with every answer. */
  createdAtForm?: () => 'iso' | 'nanos' | 'offset' | 'mixed';
}

let answers = 0;

/** One instant in the forms Qlik might use: as stored, with nanoseconds, or with `+00:00`. */
function createdAtAs(iso: string, form: 'iso' | 'nanos' | 'offset' | 'mixed'): string {
  const chosen = form === 'mixed' ? (['iso', 'nanos', 'offset'] as const)[answers++ % 3]! : form;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m || chosen === 'iso') return iso;
  const ms = (m[2] ?? '000').padEnd(3, '0').slice(0, 3);
  return chosen === 'nanos' ? `${m[1]}.${ms}000000Z` : `${m[1]}.${ms}+00:00`;
}

/**
 * `OAuthClientAdminListItem` (`list`), `OAuthClientAdminReadResponse` (`get`) and the create
 * answer (`create`): metadata only, never secret values.
 */
export function adminView(c: QlikClientState, tenant: TenantInfo, kind: 'list' | 'get' | 'create' = 'get'): Record<string, unknown> {
  const view: Record<string, unknown> = {
    clientId: c.clientId,
    clientName: c.clientName,
    appType: c.appType,
    description: c.description,
    redirectUris: [...c.redirectUris],
    allowedOrigins: [...c.allowedOrigins],
    allowedScopes: [...c.allowedScopes],
    allowedGrantTypes: [...c.allowedGrantTypes],
    allowedAuthMethods: [...c.allowedAuthMethods],
    publicKeys: structuredClone(c.publicKeys),
    clientSecrets: c.clientSecrets.map((s) => ({ hint: s.hint, createdAt: createdAtAs(s.createdAt, tenant.createdAtForm?.() ?? 'iso'), createdBy: s.createdBy })),
    connectionConfig: { consentMethod: c.consentMethod },
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    createdByType: 'user',
    ownerId: tenant.ownerId,
    tenantId: tenant.tenantId,
  };
  if (c.clientUri !== undefined) view.clientUri = c.clientUri;
  if (c.logoUri !== undefined) view.logoUri = c.logoUri;
  if (c.jwksUri !== undefined) view.jwksUri = c.jwksUri;
  if (tenant.strict) {
    for (const [key, value] of Object.entries(view)) {
      if (value === '' || (Array.isArray(value) && value.length === 0)) delete view[key];
    }
    if (kind !== 'list') delete view.connectionConfig;
  }
  return view;
}

export function qlikError(status: number, code: string, title: string, detail?: string, headers?: Record<string, string>): RouteResponse {
  const error: Record<string, string> = { code, title };
  if (detail !== undefined) error.detail = detail;
  const res: RouteResponse = { status, body: { errors: [error] } };
  if (headers) res.headers = headers;
  return res;
}

export const badRequest = (detail: string): RouteResponse => qlikError(400, 'HTTP-400', 'Bad Request', detail);
export const notFound = (detail: string): RouteResponse => qlikError(404, 'HTTP-404', 'Not Found', detail);
