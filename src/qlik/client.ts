/**
 * The Qlik Cloud tenant's OAuth clients API (tenant level, `/api/v1/oauth-clients`) and the token
 * endpoint. Knows wire formats, nothing about rotation. Every secret Qlik returns is registered
 * with the runner's mask the moment it is parsed.
 */
import * as z from 'zod/mini';
import type { ApiClient } from '../http/api-client.js';
import { lazy } from '../lazy.js';
import { registerSecret } from '../secrets.js';
import type { ClientSecretMeta, ConsentMethod, OAuthClient } from './model.js';

// Built on first use (lazy.ts): a run builds only the schemas of the requests it makes.

/**
 * Qlik documents hints as at most 5 characters. Allow some slack, but only URL-safe characters:
 * a hint goes into a DELETE path and, unmasked by design, into logs and the summary.
 */
const hint = () => z.string().check(z.regex(/^[A-Za-z0-9._~-]{1,16}$/));
const nonEmpty = () => z.string().check(z.minLength(1));
const clientSchema = lazy(() =>
  z.looseObject({
    clientId: nonEmpty(),
    clientName: z.string(),
    appType: z.string(),
    description: z.nullish(z.string()),
    allowedScopes: z.nullish(z.array(z.string())),
    allowedGrantTypes: z.nullish(z.array(z.string())),
    clientSecrets: z.nullish(z.array(z.looseObject({ hint: hint(), createdAt: z.optional(z.string()) }))),
    connectionConfig: z.nullish(z.looseObject({ consentMethod: z.optional(z.string()) })),
    createdAt: z.optional(z.string()),
  }),
);
type WireClient = z.infer<ReturnType<typeof clientSchema>>;

const listSchema = lazy(() =>
  z.looseObject({
    data: z.array(clientSchema()),
    links: z.nullish(z.looseObject({ next: z.nullish(z.looseObject({ href: z.nullish(z.string()) })) })),
  }),
);
const createdClientSchema = lazy(() =>
  z.extend(clientSchema(), {
    clientSecret: nonEmpty(),
    // Seen in real answers, not in Qlik's spec: used when present, never required.
    clientSecretHint: z.optional(z.string()),
  }),
);
const patchAnswerSchema = lazy(() => z.looseObject({ clientSecret: z.optional(z.string()) }));
const consentSchema = lazy(() => z.looseObject({ consentMethod: z.optional(z.string()) }));
const newSecretSchema = lazy(() =>
  z.looseObject({ clientSecret: nonEmpty(), hint: hint(), createdAt: z.optional(z.string()) }),
);
const tokenSchema = lazy(() => z.looseObject({ access_token: nonEmpty() }));

/** A bounded walk: a misbehaving server cannot make the listing spin forever. */
const MAX_PAGES = 1000;

export interface CreateClientRequest {
  clientName: string;
  description: string;
  scopes: string[];
}

export interface CreatedClient {
  client: OAuthClient;
  secret: string;
  /** The initial secret's metadata, when the create answer carried it. */
  secretMeta: ClientSecretMeta | undefined;
}

export interface NewSecret extends ClientSecretMeta {
  secret: string;
}

export type JsonPatchOp = { op: 'replace' | 'add'; path: string; value: string | string[] };

export class QlikApi {
  constructor(
    private readonly http: ApiClient,
    private readonly tenantUrl: string,
  ) {}

  /** The client by ID, or null when Qlik answers 404. Falls back to the consent endpoint when the view lacks it. */
  async getClient(clientId: string): Promise<OAuthClient | null> {
    const wire = await this.readClient(clientId);
    return wire ? this.complete(wire, 'get') : null;
  }

  private async readClient(clientId: string): Promise<WireClient | null> {
    const res = await this.http.request({
      method: 'GET',
      url: this.clientUrl(clientId),
      repeat: 'repeatable',
      accept: [404],
      schema: clientSchema,
      doing: 'reading the OAuth client',
    });
    return res.status === 404 || !res.body ? null : res.body;
  }

  /** Every client whose name is exactly `name` (case-sensitive), following cursor pagination. */
  async findClientsByName(name: string): Promise<OAuthClient[]> {
    const first = new URL('/api/v1/oauth-clients', this.tenantUrl);
    first.searchParams.set('filter', `clientName eq "${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
    first.searchParams.set('limit', '100');
    const matches: WireClient[] = [];
    const seen = new Set<string>();
    let url: string | undefined = first.toString();
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES || seen.has(url)) {
        throw new Error(`Qlik: listing OAuth clients did not end after ${page} pages; the server's page links repeat.`);
      }
      seen.add(url);
      const res: { body?: z.infer<ReturnType<typeof listSchema>> } = await this.http.request({
        method: 'GET',
        url,
        repeat: 'repeatable',
        schema: listSchema,
        doing: 'looking up the OAuth client by name',
      });
      // The server filter may be looser than an exact, case-sensitive match: check again here.
      matches.push(...(res.body?.data ?? []).filter((c) => c.clientName === name));
      const next = res.body?.links?.next?.href;
      url = next ? new URL(next, this.tenantUrl).toString() : undefined;
    }
    return Promise.all(matches.map((c) => this.complete(c, 'list')));
  }

  async createClient(req: CreateClientRequest): Promise<CreatedClient> {
    const res = await this.http.request({
      method: 'POST',
      url: new URL('/api/v1/oauth-clients', this.tenantUrl).toString(),
      json: {
        appType: 'web',
        clientName: req.clientName,
        description: req.description,
        allowedGrantTypes: ['client_credentials'],
        allowedScopes: req.scopes,
        allowedAuthMethods: ['client_secret'],
        connectionConfig: { consentMethod: 'trusted' },
      },
      repeat: 'once',
      schema: createdClientSchema,
      doing: 'creating the OAuth client',
    });
    const body = required(res.body, 'creating the OAuth client');
    registerSecret(body.clientSecret);
    const client = toModel(body, body.connectionConfig?.consentMethod ?? 'trusted');
    const hint = body.clientSecretHint ?? (client.secrets.length === 1 ? client.secrets[0]?.hint : undefined);
    const meta = hint ? (client.secrets.find((s) => s.hint === hint) ?? { hint, createdAt: undefined }) : undefined;
    return { client, secret: body.clientSecret, secretMeta: meta };
  }

  /** JSON Patch on the client. A 202 answer carries a secret Qlik generated: it is masked at once and returned. */
  async patchClient(
    clientId: string,
    ops: JsonPatchOp[],
    doing: string,
    until: 'work' | 'final' = 'work',
  ): Promise<{ generatedSecret?: string }> {
    const res = await this.http.request({
      until,
      method: 'PATCH',
      url: this.clientUrl(clientId),
      json: ops,
      // Only `replace` ops are sent, so sending the same patch twice stores the same state.
      repeat: 'repeatable',
      schema: patchAnswerSchema,
      doing,
    });
    const generated = res.body?.clientSecret;
    registerSecret(generated);
    return generated ? { generatedSecret: generated } : {};
  }

  async setConsentTrusted(clientId: string): Promise<void> {
    await this.http.request({
      method: 'PATCH',
      url: `${this.clientUrl(clientId)}/connection-configs/me`,
      json: [{ op: 'replace', path: '/consentMethod', value: 'trusted' }],
      repeat: 'repeatable',
      doing: "setting the OAuth client's consent method to trusted",
    });
  }

  async createSecret(clientId: string): Promise<NewSecret> {
    const res = await this.http.request({
      method: 'POST',
      url: `${this.clientUrl(clientId)}/client-secrets`,
      repeat: 'once',
      schema: newSecretSchema,
      doing: 'creating a new client secret',
    });
    const body = required(res.body, 'creating a new client secret');
    registerSecret(body.clientSecret);
    return { secret: body.clientSecret, hint: body.hint, createdAt: body.createdAt };
  }

  /**
   * Deletes a client. Only ever used on a client this run created moments ago and never delivered
   * (a lost creation race). Qlik's current spec requires the confirmation header.
   */
  async deleteClient(clientId: string): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      url: this.clientUrl(clientId),
      headers: { 'qlik-confirm-delete': clientId },
      repeat: 'repeatable',
      until: 'final',
      doing: 'deleting the OAuth client this run created in a race',
    });
  }

  /** Deletes a secret by hint. `gone` when it did not exist (404): the goal is reached either way. */
  async deleteSecret(clientId: string, hint: string, until: 'work' | 'final' = 'work'): Promise<'deleted' | 'gone'> {
    const res = await this.http.request({
      until,
      method: 'DELETE',
      url: `${this.clientUrl(clientId)}/client-secrets/${encodeURIComponent(hint)}`,
      repeat: 'repeatable',
      accept: [404],
      doing: `deleting the client secret with hint ${hint}`,
    });
    return res.status === 404 ? 'gone' : 'deleted';
  }

  /**
   * Exchanges the client credentials at `/oauth/token`: the proof that Qlik accepts the secret. The
   * API key is not sent here; the access token is masked and thrown away.
   */
  async exchangeToken(clientId: string, secret: string): Promise<{ accepted: true } | { accepted: false; status: number }> {
    const res = await this.http.request({
      method: 'POST',
      url: new URL('/oauth/token', this.tenantUrl).toString(),
      json: { client_id: clientId, client_secret: secret, grant_type: 'client_credentials' },
      auth: false,
      // It changes nothing, so it may be sent again after an unknown outcome.
      repeat: 'repeatable',
      accept: [400, 401, 403],
      schema: tokenSchema,
      doing: 'verifying the new secret at /oauth/token',
    });
    if (res.status >= 300 || !res.body) return { accepted: false, status: res.status };
    registerSecret(res.body.access_token);
    return { accepted: true };
  }

  private clientUrl(clientId: string): string {
    return new URL(`/api/v1/oauth-clients/${encodeURIComponent(clientId)}`, this.tenantUrl).toString();
  }

  /**
   * Fills in what the plain view leaves out: secrets from `GET {id}` (for a list item; a client
   * already read by ID is not read again), consent from `connection-configs/me`.
   */
  private async complete(wire: WireClient, from: 'list' | 'get'): Promise<OAuthClient> {
    const full = wire.clientSecrets || from === 'get' ? wire : await this.readClient(wire.clientId);
    if (!full) throw new Error('Qlik: reading the OAuth client: it disappeared while the run read it.');
    if (!full.clientSecrets) {
      // Treating "not shown" as "no secrets" would rotate on every run and never retire.
      throw new Error(
        "Qlik: reading the OAuth client: the answer does not list the client's secrets. The API key must belong to a Tenant Admin, who sees the admin view.",
      );
    }
    let consent = full.connectionConfig?.consentMethod;
    if (consent === undefined) {
      const res = await this.http.request({
        method: 'GET',
        url: `${this.clientUrl(wire.clientId)}/connection-configs/me`,
        repeat: 'repeatable',
        accept: [404],
        schema: consentSchema,
        doing: "reading the OAuth client's consent method",
      });
      consent = res.body?.consentMethod;
    }
    return toModel(full, consent);
  }
}

function toModel(wire: WireClient, consent: string | undefined): OAuthClient {
  return {
    clientId: wire.clientId,
    clientName: wire.clientName,
    appType: wire.appType,
    description: wire.description ?? '',
    allowedScopes: wire.allowedScopes ?? [],
    allowedGrantTypes: wire.allowedGrantTypes ?? [],
    consentMethod: consent === 'trusted' || consent === 'required' ? (consent as ConsentMethod) : undefined,
    secrets: (wire.clientSecrets ?? []).map((s) => ({ hint: s.hint, createdAt: s.createdAt })),
    createdAt: wire.createdAt,
  };
}

function required<T>(body: T | undefined, doing: string): T {
  if (body === undefined) throw new Error(`Qlik: ${doing}: the answer had no body.`);
  return body;
}
