/**
 * The OAuth tokens of a user (`/api/v1/oauth-tokens`): after a leak, every token the client's bot
 * user holds is revoked, since a token outlives the secret it was minted with (and the client) until
 * it expires, hours later. Consumers such as TMC mint a new one with the new secret on their next
 * call. Needs a Tenant Admin's key.
 */
import type { ApiClient } from '../http/api-client.js';
import { lazySchema } from '../lazy.js';
import { isPathSafeId } from '../untrusted-text.js';

const pageSchema = lazySchema((z) =>
  z.looseObject({
    data: z.array(z.looseObject({ id: z.string().check(z.refine(isPathSafeId)) })),
    links: z.nullish(z.looseObject({ next: z.nullish(z.looseObject({ href: z.nullish(z.string()) })) })),
  }),
);

/** A bounded walk: a server whose page links repeat cannot make it spin. */
const MAX_PAGES = 100;

export class OAuthTokens {
  constructor(
    private readonly http: ApiClient,
    private readonly tenantUrl: string,
  ) {}

  /** Revokes every token of the user; resolves to how many were revoked (gone meanwhile ones not counted). */
  async revokeAllOf(userId: string): Promise<number> {
    let revoked = 0;
    // Revoking while paging would move the pages under the cursor: list first, then revoke.
    for (const id of await this.idsOf(userId)) {
      const res = await this.http.request({
        method: 'DELETE',
        url: new URL(`/api/v1/oauth-tokens/${encodeURIComponent(id)}`, this.tenantUrl).toString(),
        repeat: 'repeatable',
        accept: [404],
        maxBodyBytes: 64 * 1024,
        doing: "revoking an OAuth token of the client's bot user",
      });
      if (res.status < 300) revoked += 1;
    }
    return revoked;
  }

  private async idsOf(userId: string): Promise<string[]> {
    const ids = new Set<string>();
    const seen = new Set<string>();
    let url: string | undefined = `${new URL('/api/v1/oauth-tokens', this.tenantUrl).toString()}?userId=${encodeURIComponent(userId)}&limit=100`;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES || seen.has(url)) throw new Error(`Qlik: listing the bot user's OAuth tokens did not end after ${page} pages; the server's page links repeat.`);
      seen.add(url);
      const res: { body?: { data: { id: string }[]; links?: { next?: { href?: string | null } | null } | null } } = await this.http.request({
        method: 'GET',
        url,
        repeat: 'repeatable',
        schema: pageSchema,
        maxBodyBytes: 4 * 1024 * 1024,
        doing: "listing the OAuth tokens of the client's bot user",
      });
      for (const token of res.body?.data ?? []) ids.add(token.id);
      const next = res.body?.links?.next?.href;
      // A link on another origin is refused by the HTTP layer: the key goes only to the tenant.
      url = next ? new URL(next, this.tenantUrl).toString() : undefined;
    }
    return [...ids];
  }
}
