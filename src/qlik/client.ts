/**
 * The Qlik Cloud tenant's OAuth clients API (tenant level, `/api/v1/oauth-clients`) and the token
 * endpoint. Knows wire formats, nothing about rotation. Every secret Qlik returns is registered
 * with the runner's mask the moment it is parsed.
 */
import type * as Z from 'zod/mini';
import type { ApiClient } from '../http/api-client.js';
import { type Zod, lazySchema } from '../lazy.js';
import { isMaskableSecret, registerSecret } from '../secrets.js';
import { isPathSafeId } from '../untrusted-text.js';
import { type ApiKeyState, readApiKey } from './api-key.js';
import { idClaim } from './jwt.js';
import { type ClientSecretMeta, type ConsentMethod, type OAuthClient, isValidHint } from './model.js';
import { OAuthTokens } from './oauth-tokens.js';

// Built on first use, zod loaded then (lazy.ts): a run builds only the schemas of the requests it makes.

/** Qlik's secrets are 64 characters. */
const MAX_SECRET_LENGTH = 4096;

// Answer sizes that fit each endpoint: a page of 100 clients with full descriptions is about 1 MB.
const LIST_PAGE_MAX_BYTES = 4 * 1024 * 1024;
const CLIENT_MAX_BYTES = 256 * 1024;
const SMALL_ANSWER_MAX_BYTES = 64 * 1024;

/** Any short printable text, not `.` or `..` (model.ts): the hint goes into a DELETE path and logs. */
const hint = (z: Zod) => z.string().check(z.refine(isValidHint));
/**
 * Qlik's IDs are hex. The client ID also becomes the `client-id` output, which a later `run:` step
 * may paste into a shell: only URL-unreserved characters, never `.` or `..`.
 */
const id = (z: Zod) => z.string().check(z.refine(isPathSafeId));
/** Long enough to be masked safely (secrets.ts), one printable line without surrounding space. */
const secretValue = (z: Zod) => z.string().check(z.refine((v) => isMaskableSecret(v, MAX_SECRET_LENGTH)));
/** Optional in Qlik's spec: every field but the ID, name and type may be absent (or null). */
const clientSchema = lazySchema((z) =>
  z.looseObject({
    clientId: id(z),
    clientName: z.string(),
    appType: z.string(),
    description: z.nullish(z.string()),
    allowedScopes: z.nullish(z.array(z.string())),
    allowedGrantTypes: z.nullish(z.array(z.string())),
    allowedAuthMethods: z.nullish(z.array(z.string())),
    clientSecrets: z.nullish(z.array(z.looseObject({ hint: hint(z), createdAt: z.nullish(z.string()) }))),
    connectionConfig: z.nullish(z.looseObject({ consentMethod: z.nullish(z.string()) })),
    createdAt: z.nullish(z.string()),
  }),
);
type WireClient = Z.infer<Awaited<ReturnType<typeof clientSchema>>>;

const listSchema = lazySchema(async (z) =>
  z.looseObject({
    data: z.array(await clientSchema()),
    links: z.nullish(z.looseObject({ next: z.nullish(z.looseObject({ href: z.nullish(z.string()) })) })),
  }),
);
const createdClientSchema = lazySchema(async (z) =>
  z.extend(await clientSchema(), {
    clientSecret: secretValue(z),
    // Seen in real answers, not in Qlik's spec: used when present and valid, never required.
    clientSecretHint: z.nullish(z.unknown()),
  }),
);
const patchAnswerSchema = lazySchema((z) => z.looseObject({ clientSecret: z.optional(secretValue(z)) }));
const consentSchema = lazySchema((z) => z.looseObject({ consentMethod: z.nullish(z.string()) }));
const newSecretSchema = lazySchema((z) =>
  z.looseObject({ clientSecret: secretValue(z), hint: hint(z), createdAt: z.nullish(z.string()) }),
);
const tokenSchema = lazySchema((z) => z.looseObject({ access_token: secretValue(z) }));

/** Fields only the admin view has: with one of them, a missing `clientSecrets` means "none". */
const ADMIN_ONLY_FIELDS = ['redirectUris', 'allowedOrigins', 'publicKeys', 'jwksUri', 'connectionConfig'];

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

/**
 * JSON Patch ops the action sends. `add` on an object member sets it whether or not it exists
 * (RFC 6902 §4.1), while `replace` needs it to exist (§4.3): a client made in Qlik's UI may have
 * no description at all. `replace` only where the member is known to exist and `add` might merge
 * an array instead (Qlik does not say). Either op stores the same state however often it is sent.
 */
export type JsonPatchOp = { op: 'add' | 'replace'; path: string; value: string | string[] };

/** A client as the name lookup lists it: enough to choose one before reading it in full. */
export interface ListedClient {
  clientId: string;
  clientName: string;
  createdAt: string | undefined;
  /** The list item, completed by `completeListed` for the one client the run uses. */
  readonly item: unknown;
}

export class QlikApi {
  constructor(
    private readonly http: ApiClient,
    private readonly tenantUrl: string,
    /** Notes for the log (already plain text, no server text unescaped). */
    private readonly note: (line: string) => void = () => undefined,
  ) {}

  /** When the admin API key expires, as far as Qlik says (api-key.ts): never throws. */
  apiKeyState(apiKey: string): Promise<ApiKeyState> {
    return readApiKey(this.http, this.tenantUrl, apiKey);
  }

  /** Revokes every OAuth token of a user (the client's bot user); resolves to how many. */
  revokeTokensOf(userId: string): Promise<number> {
    return new OAuthTokens(this.http, this.tenantUrl).revokeAllOf(userId);
  }

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
      maxBodyBytes: CLIENT_MAX_BYTES,
      doing: 'reading the OAuth client',
    });
    if (res.status === 404 || !res.body) return null;
    // Changing or deleting by ID trusts that the answer is about that ID.
    if (res.body.clientId !== clientId) {
      throw new Error('Qlik: reading the OAuth client: the answer is about another client ID than the one asked for.');
    }
    return res.body;
  }

  /**
   * Every client whose name is exactly `name` (case-sensitive, compared after Unicode NFC, as Qlik
   * may store names normalised), following cursor pagination. Nothing is read in full here: with
   * several matches the caller stops before sending a request per match.
   */
  async findClientsByName(name: string): Promise<ListedClient[]> {
    const filter = `clientName eq "${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    // encodeURIComponent, not URLSearchParams: Qlik reads a space as %20, and `+` literally.
    const first = `${new URL('/api/v1/oauth-clients', this.tenantUrl).toString()}?filter=${encodeURIComponent(filter)}&limit=100`;
    const wanted = name.normalize('NFC');
    const matches: ListedClient[] = [];
    const seen = new Set<string>();
    let url: string | undefined = first;
    for (let page = 0; url !== undefined; page++) {
      if (page >= MAX_PAGES || seen.has(url)) {
        throw new Error(`Qlik: listing OAuth clients did not end after ${page} pages; the server's page links repeat.`);
      }
      seen.add(url);
      const res: { body?: Z.infer<Awaited<ReturnType<typeof listSchema>>> } = await this.http.request({
        method: 'GET',
        url,
        repeat: 'repeatable',
        schema: listSchema,
        maxBodyBytes: LIST_PAGE_MAX_BYTES,
        doing: 'looking up the OAuth client by name',
      });
      // The server filter may be looser than an exact, case-sensitive match: check again here.
      for (const c of res.body?.data ?? []) {
        if (c.clientName.normalize('NFC') !== wanted) continue;
        matches.push({ clientId: c.clientId, clientName: c.clientName, createdAt: c.createdAt ?? undefined, item: c });
      }
      const next = res.body?.links?.next?.href;
      url = next ? new URL(next, this.tenantUrl).toString() : undefined;
    }
    return matches;
  }

  /** The one listed client the run uses, read in full where the list item leaves things out. */
  async completeListed(listed: ListedClient): Promise<OAuthClient> {
    return this.complete(listed.item as WireClient, 'list');
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
      maxBodyBytes: CLIENT_MAX_BYTES,
      doing: 'creating the OAuth client',
    });
    const body = required(res.body, 'creating the OAuth client');
    registerSecret(body.clientSecret);
    // Half of the credential pair: masked before any request path or debug line can name it.
    registerSecret(body.clientId);
    // Qlik's own example answer shows consent "required" although "trusted" was asked for: when
    // the answer does not say, ask; the caller makes sure it is trusted before any delivery.
    const consent = asConsent(body.connectionConfig?.consentMethod) ?? (await this.readConsent(body.clientId));
    const client = toModel(body, consent, body.clientSecrets ?? []);
    // Not in the spec, and text like any other: used only when it is a valid hint.
    const given = typeof body.clientSecretHint === 'string' && isValidHint(body.clientSecretHint) ? body.clientSecretHint : undefined;
    const hint = given ?? (client.secrets.length === 1 ? client.secrets[0]?.hint : undefined);
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
      // Only `add` ops on members are sent (JsonPatchOp), so sending the patch twice stores the same state.
      repeat: 'repeatable',
      schema: patchAnswerSchema,
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
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
      // The consent endpoint documents only `replace`; the member always exists there.
      json: [{ op: 'replace', path: '/consentMethod', value: 'trusted' }],
      repeat: 'repeatable',
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
      doing: "setting the OAuth client's consent method to trusted",
    });
  }

  /** The consent method from `connection-configs/me`, or undefined when Qlik does not say. */
  async readConsent(clientId: string): Promise<ConsentMethod | undefined> {
    const res = await this.http.request({
      method: 'GET',
      url: `${this.clientUrl(clientId)}/connection-configs/me`,
      repeat: 'repeatable',
      accept: [404],
      schema: consentSchema,
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
      doing: "reading the OAuth client's consent method",
    });
    return asConsent(res.body?.consentMethod);
  }

  async createSecret(clientId: string): Promise<NewSecret> {
    const res = await this.http.request({
      method: 'POST',
      url: `${this.clientUrl(clientId)}/client-secrets`,
      repeat: 'once',
      schema: newSecretSchema,
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
      doing: 'creating a new client secret',
    });
    const body = required(res.body, 'creating a new client secret');
    registerSecret(body.clientSecret);
    return { secret: body.clientSecret, hint: body.hint, createdAt: body.createdAt ?? undefined };
  }

  /**
   * Deletes a client: one this run created moments ago and never delivered (a lost creation race),
   * or the one a decommission retires. Qlik's current spec requires the confirmation header.
   */
  async deleteClient(clientId: string, doing = 'deleting the OAuth client this run created in a race'): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      url: this.clientUrl(clientId),
      headers: { 'qlik-confirm-delete': clientId },
      repeat: 'repeatable',
      accept: [404],
      until: 'final',
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
      doing,
    });
  }

  /** Deletes a secret by hint. `gone` when it did not exist (404): the goal is reached either way. */
  async deleteSecret(clientId: string, hint: string, until: 'work' | 'final' = 'work'): Promise<'deleted' | 'gone'> {
    const res = await this.http.request({
      until,
      method: 'DELETE',
      url: `${this.clientUrl(clientId)}/client-secrets/${pathSegment(hint, isValidHint)}`,
      repeat: 'repeatable',
      accept: [404],
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
      doing: `deleting the client secret with hint ${hint}`,
    });
    return res.status === 404 ? 'gone' : 'deleted';
  }

  /**
   * Exchanges the client credentials at `/oauth/token`: the proof that Qlik accepts the secret. The
   * API key is not sent here. The access token acts as a tenant admin for hours, so it is masked,
   * and its revocation starts at once; `revoked` settles true when Qlik confirmed it, never
   * rejects (a failed revocation does not fail the run), and may overlap the caller's next request.
   */
  async exchangeToken(
    clientId: string,
    secret: string,
  ): Promise<{ accepted: true; revoked: Promise<boolean>; botUserId: string | undefined } | { accepted: false; status: number }> {
    const res = await this.http.request({
      method: 'POST',
      url: new URL('/oauth/token', this.tenantUrl).toString(),
      json: { client_id: clientId, client_secret: secret, grant_type: 'client_credentials' },
      auth: false,
      // It changes nothing, so it may be sent again after an unknown outcome.
      repeat: 'repeatable',
      accept: [400, 401, 403],
      schema: tokenSchema,
      maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
      doing: 'verifying the new secret at /oauth/token',
    });
    if (res.status >= 300 || !res.body) return { accepted: false, status: res.status };
    registerSecret(res.body.access_token);
    // The token is the client's bot user's: its `sub` names it, for revoking its tokens later.
    return { accepted: true, revoked: this.revokeToken(res.body.access_token), botUserId: idClaim(res.body.access_token, 'sub') };
  }

  /** `POST /oauth/revoke` for an access token; true when Qlik confirmed it. Never throws. */
  private async revokeToken(token: string): Promise<boolean> {
    try {
      const res = await this.http.request({
        method: 'POST',
        url: new URL('/oauth/revoke', this.tenantUrl).toString(),
        json: { token, token_type_hint: 'access_token' },
        auth: false,
        // Revoking twice leaves the same state.
        repeat: 'repeatable',
        maxAttempts: 3,
        maxBodyBytes: SMALL_ANSWER_MAX_BYTES,
        doing: 'revoking the verification token at /oauth/revoke',
      });
      return res.status < 300;
    } catch {
      return false;
    }
  }

  private clientUrl(clientId: string): string {
    const segment = pathSegment(clientId, isPathSafeId);
    return new URL(`/api/v1/oauth-clients/${segment}`, this.tenantUrl).toString();
  }

  /**
   * Fills in what a view leaves out: secrets from `GET {id}` (for a list item; a client already
   * read by ID is not read again), consent from `connection-configs/me`.
   */
  private async complete(wire: WireClient, from: 'list' | 'get'): Promise<OAuthClient> {
    const full = wire.clientSecrets || from === 'get' ? wire : await this.readClient(wire.clientId);
    if (!full) throw new Error('Qlik: reading the OAuth client: it disappeared while the run read it.');
    const shown = full as Record<string, unknown>;
    if (!full.clientSecrets && !ADMIN_ONLY_FIELDS.some((f) => shown[f] !== undefined && shown[f] !== null)) {
      // Qlik's spec leaves every one of these out when it has nothing to show, so this is most
      // likely a client without secrets; with a key that is not a Tenant Admin's, the first change fails.
      this.note("Qlik's answer lists no secrets for the OAuth client (and none of the admin-only fields): taken as no secrets. The API key must belong to a Tenant Admin.");
    }
    const consent = asConsent(full.connectionConfig?.consentMethod) ?? (await this.readConsent(wire.clientId));
    return toModel(full, consent, full.clientSecrets ?? []);
  }
}

/**
 * One URL path segment built from a value that came from an answer (or an input): checked, then
 * percent-encoded. `.` and `..` never reach a URL, where they would walk the path.
 */
export function pathSegment(value: string, valid: (v: string) => boolean): string {
  if (!valid(value)) throw new Error('Qlik: refused to build a request path from an invalid ID or hint.');
  return encodeURIComponent(value);
}

function asConsent(value: string | null | undefined): ConsentMethod | undefined {
  return value === 'trusted' || value === 'required' ? value : undefined;
}

function toModel(wire: WireClient, consent: ConsentMethod | undefined, secrets: NonNullable<WireClient['clientSecrets']>): OAuthClient {
  return {
    clientId: wire.clientId,
    clientName: wire.clientName,
    appType: wire.appType,
    description: wire.description ?? '',
    allowedScopes: wire.allowedScopes ?? [],
    scopesShown: Array.isArray(wire.allowedScopes),
    allowedGrantTypes: wire.allowedGrantTypes ?? [],
    allowedAuthMethods: wire.allowedAuthMethods ?? undefined,
    consentMethod: consent,
    secrets: secrets.map((s) => ({ hint: s.hint, createdAt: s.createdAt ?? undefined })),
    createdAt: wire.createdAt ?? undefined,
  };
}

function required<T>(body: T | undefined, doing: string): T {
  if (body === undefined) throw new Error(`Qlik: ${doing}: the answer had no body.`);
  return body;
}
