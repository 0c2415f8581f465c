// JSON Patch (RFC 6902) on an OAuth client, limited to the paths Qlik documents. Each path is a
// top-level member, so `add` sets the member like `replace`, and `remove` clears it.
import type { QlikClientState } from './types.js';

const STRING_PATHS = ['clientName', 'clientUri', 'description', 'logoUri', 'jwksUri'] as const;
const ARRAY_PATHS = ['allowedOrigins', 'redirectUris', 'allowedScopes', 'allowedGrantTypes', 'allowedAuthMethods', 'publicKeys'] as const;
type StringPath = (typeof STRING_PATHS)[number];
type ArrayPath = (typeof ARRAY_PATHS)[number];

export const GRANT_TYPES = ['client_credentials', 'urn:qlik:oauth:user-impersonation'];
export const AUTH_METHODS = ['client_secret', 'private_key_jwt'];

const STRING_LIMITS: Record<StringPath, number> = { clientName: 512, clientUri: 2048, description: 4096, logoUri: 2048, jwksUri: 2048 };

/** Checks one array-valued field; returns an error text or undefined. Shared with create. */
export function checkArrayField(path: ArrayPath, value: unknown[], appType: string): string | undefined {
  if (path === 'publicKeys') return value.every((k) => typeof k === 'object' && k !== null) ? undefined : 'publicKeys must be JWK objects';
  if (!value.every((v) => typeof v === 'string')) return `${path} must be an array of strings`;
  const strings = value as string[];
  if (new Set(strings).size !== strings.length) return `${path} must not contain duplicates`;
  switch (path) {
    case 'allowedGrantTypes':
      if (strings.some((g) => !GRANT_TYPES.includes(g))) return `allowedGrantTypes may only contain ${GRANT_TYPES.join(', ')}`;
      if (strings.length > 0 && appType !== 'web') return "allowedGrantTypes is only allowed for appType 'web'";
      return undefined;
    case 'allowedAuthMethods':
      return strings.some((m) => !AUTH_METHODS.includes(m)) ? `allowedAuthMethods may only contain ${AUTH_METHODS.join(', ')}` : undefined;
    case 'redirectUris':
      return strings.length > 5 || strings.some((u) => u.length > 256) ? 'at most 5 redirectUris of at most 256 characters' : undefined;
    case 'allowedOrigins':
      if (strings.length > 5) return 'at most 5 allowedOrigins';
      return strings.length > 0 && appType !== 'spa' ? "allowedOrigins is only allowed for appType 'spa'" : undefined;
    case 'allowedScopes':
      return strings.some((s) => s.length === 0 || s.length > 256) ? 'scopes must be 1 to 256 characters' : undefined;
  }
}

export function checkStringField(path: StringPath, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${path} must be a string`;
  if (path === 'clientName' && value.trim() === '') return 'clientName must not be empty';
  if (value.length > STRING_LIMITS[path]) return `${path} must be at most ${STRING_LIMITS[path]} characters`;
  return undefined;
}

/**
 * Applies `ops` to `client` in place (pass a copy: on error the copy is half-changed).
 * Returns an error text for a 400, or undefined. `replaceNeedsMember`: `replace` on a member the
 * client does not have is refused, as RFC 6902 §4.3 says (an empty field is one Qlik leaves out).
 */
export function applyClientPatch(client: QlikClientState, ops: unknown, opts: { replaceNeedsMember?: boolean; addMerges?: boolean } = {}): string | undefined {
  if (!Array.isArray(ops)) return 'body must be a JSON Patch array';
  for (const [i, raw] of ops.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return `operation ${i} must be an object`;
    const { op, path, value } = raw as { op?: unknown; path?: unknown; value?: unknown };
    if (op !== 'add' && op !== 'remove' && op !== 'replace') return `operation ${i}: op must be add, remove or replace`;
    if (typeof path !== 'string' || !path.startsWith('/')) return `operation ${i}: invalid path`;
    const member = path.slice(1);
    const stringPath = STRING_PATHS.find((p) => p === member);
    const arrayPath = ARRAY_PATHS.find((p) => p === member);
    if (!stringPath && !arrayPath) return `operation ${i}: path '${path}' cannot be patched`;
    if (op !== 'remove' && value === undefined) return `operation ${i}: value is required for ${op}`;
    if (op === 'replace' && opts.replaceNeedsMember) {
      const current = client[(stringPath ?? arrayPath) as keyof QlikClientState];
      const missing = current === undefined || current === '' || (Array.isArray(current) && current.length === 0);
      if (missing) return `operation ${i}: replace needs the member '${path}' to exist (RFC 6902 §4.3); use add`;
    }

    if (stringPath) {
      if (op === 'remove') {
        if (stringPath === 'clientName') return `operation ${i}: clientName cannot be removed`;
        if (stringPath === 'description') client.description = '';
        else delete client[stringPath];
        continue;
      }
      const problem = checkStringField(stringPath, value);
      if (problem) return `operation ${i}: ${problem}`;
      client[stringPath] = value as string;
      continue;
    }
    if (arrayPath) {
      if (op === 'remove') {
        client[arrayPath] = [];
        continue;
      }
      if (!Array.isArray(value)) return `operation ${i}: ${arrayPath} must be an array`;
      const problem = checkArrayField(arrayPath, value, client.appType);
      if (problem) return `operation ${i}: ${problem}`;
      if (arrayPath === 'publicKeys') client.publicKeys = structuredClone(value);
      // `add` on an existing array member replaces it (RFC 6902 §4.1); a server may merge instead.
      else if (op === 'add' && opts.addMerges) client[arrayPath] = [...new Set([...client[arrayPath], ...(value as string[])])];
      else client[arrayPath] = [...(value as string[])];
    }
  }
  return undefined;
}
