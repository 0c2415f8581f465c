/**
 * The admin API key's own record in Qlik (`GET /api/v1/api-keys/{id}`): when it expires. A key
 * carries no expiry claim, only its ID (`jti`), so the action decodes the key (never logging it)
 * and asks. Unreadable (not a JWT, 403, 404, another answer) is a note, never a failure: the key
 * works or the other requests say so.
 */
import type { ApiClient } from '../http/api-client.js';
import { lazySchema } from '../lazy.js';
import { idClaim } from './jwt.js';

const apiKeySchema = lazySchema((z) => z.looseObject({ id: z.optional(z.string()), expiry: z.nullish(z.string()), status: z.nullish(z.string()) }));

export type ApiKeyState =
  /** `expiresAt`: milliseconds, undefined when the key has no expiry Qlik shows. */
  | { read: true; expiresAt: number | undefined; status: string | undefined }
  /** Why the expiry is unknown, in words. */
  | { read: false; why: string };

export async function readApiKey(http: ApiClient, tenantUrl: string, apiKey: string): Promise<ApiKeyState> {
  const id = idClaim(apiKey, 'jti');
  if (!id) return { read: false, why: 'the key is not a JWT with a key ID' };
  try {
    const res = await http.request({
      method: 'GET',
      url: new URL(`/api/v1/api-keys/${encodeURIComponent(id)}`, tenantUrl).toString(),
      repeat: 'repeatable',
      accept: [403, 404],
      schema: apiKeySchema,
      maxBodyBytes: 64 * 1024,
      doing: "reading the API key's expiry",
    });
    if (res.status === 403) return { read: false, why: "Qlik did not show the key's record (HTTP 403: its owner may not manage API keys)" };
    if (res.status === 404 || !res.body || (res.body.id !== undefined && res.body.id !== id)) return { read: false, why: "Qlik has no record of the key's ID" };
    const at = res.body.expiry ? Date.parse(res.body.expiry) : NaN;
    const status = typeof res.body.status === 'string' && /^[a-z_-]{1,20}$/.test(res.body.status) ? res.body.status : undefined;
    return { read: true, expiresAt: Number.isFinite(at) ? at : undefined, status };
  } catch (err) {
    return { read: false, why: `reading it failed (${(err as Error).message})` };
  }
}
