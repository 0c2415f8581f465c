// The emulated tenant's state: Qlik OAuth clients and their secrets, issued access tokens,
// the pair stored in TMC, Talend tasks and executions. No HTTP here.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ConnectionState, SecretReadBack, TaskDefinitionState } from './talend-orchestration.js';
import type {
  AppType,
  ClientChanges,
  ConsentMethod,
  IssuedSecret,
  QlikClientState,
  QlikSecretState,
  SeedClient,
  SeedSecret,
} from './types.js';

export const MAX_SECRETS_PER_CLIENT = 5;
export const ACCESS_TOKEN_LIFETIME_S = 21600;
const DAY_MS = 86_400_000;

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

export interface AccessTokenRecord {
  clientId: string;
  expiresAt: number;
  /** The token's ID in `/api/v1/oauth-tokens`. */
  id: string;
  /** The client's bot user, made at its first token (Qlik keeps it when the client is deleted). */
  userId: string;
}

/** A JWT as Qlik issues them (header.payload.signature, base64url); the signature is not checked by anyone here. */
export function jwt(payload: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'ES384', kid: hex(8), typ: 'JWT' })}.${part(payload)}.${Buffer.from(hex(48), 'hex').toString('base64url')}`;
}

export interface ExecutionRecord {
  executionId: string;
  taskId: string;
  /** How many times the execution was read: drives dispatching → executing → final. */
  polls: number;
  triggeredAt: string;
  startedAt?: string;
  finishedAt?: string;
  finalStatus?: string;
  errorMessage?: string;
}

/** Fields a caller may give when a client is made (API create or seeding). */
export interface ClientInit {
  clientId?: string;
  clientName: string;
  appType: AppType;
  description?: string;
  clientUri?: string;
  logoUri?: string;
  jwksUri?: string;
  redirectUris?: string[];
  allowedOrigins?: string[];
  allowedScopes?: string[];
  allowedGrantTypes?: string[];
  allowedAuthMethods?: string[];
  publicKeys?: unknown[];
  consentMethod: ConsentMethod;
  createdAt?: string;
}

export class EmulatorState {
  readonly adminUserId = hex(12);
  readonly adminUserName = 'Emulated Tenant Admin';
  readonly tenantId = hex(16);
  readonly accountId = randomUUID();

  private readonly clientsById = new Map<string, QlikClientState>();
  /** Every hint a client ever had, so a new hint never repeats an old one on the same client. */
  private readonly hintsEver = new Map<string, Set<string>>();
  private readonly issued: string[] = [];
  private readonly issuedSet = new Set<string>();
  /** Client secret values only (created by Qlik or handed to TMC), for leak checks. */
  readonly clientSecretValues = new Set<string>();
  private droppedScopes = new Set<string>();
  /** Hints the next new secrets get, in order, repeats allowed (a hostile or careless server). */
  readonly queuedHints: string[] = [];

  readonly accessTokens = new Map<string, AccessTokenRecord>();
  talendPair: { clientId: string; clientSecret: string } | null = null;
  /** Talend service accounts: ID → secret and the lifetime of the tokens they get. */
  readonly serviceAccounts = new Map<string, { secret: string; lifetimeS: number }>();
  /** Tokens service accounts signed in for: token → expiry (emulator clock). */
  readonly talendAccessTokens = new Map<string, number>();

  defineServiceAccount(id: string, secret: string, lifetimeS: number): void {
    this.serviceAccounts.set(id, { secret, lifetimeS });
    this.recordIssued(id);
    this.recordIssued(secret);
    this.recordIssued(Buffer.from(`${id}:${secret}`).toString('base64'));
  }

  /** Would Talend accept this bearer token now (the configured token, or a live service-account one)? */
  talendTokenValid(token: string | undefined): boolean {
    if (token === undefined) return false;
    if (token === this.talendToken) return true;
    const expires = this.talendAccessTokens.get(token);
    return expires !== undefined && expires > this.now();
  }
  readonly tasks = new Map<string, string>();
  /** Orchestration API: TMC connections and task definitions, and how encrypted values read back. */
  readonly connections = new Map<string, ConnectionState>();
  readonly taskDefinitions = new Map<string, TaskDefinitionState>();
  secretReadBack: SecretReadBack = 'masked';
  /** What a masked value reads as: any text (Talend documents no form). */
  maskText = '****';
  /** How an encrypted connection parameter shows its flag: `true`, left out, or null. */
  encryptedFlag: 'shown' | 'omitted' | 'null' = 'shown';
  /** Whether `GET /orchestration/artifacts/{id}/versions/{v}` answers (403 otherwise). */
  artifactsReadable = true;
  /** How TMC's Qlik Cloud Authentication page answers: JSON, a redirect after storing, or 200 with an error body on a refusal. */
  qlikAuthAnswer: 'json' | 'redirect' | 'error-200' = 'json';
  /** How Qlik writes a secret's `createdAt`: ISO as stored, with nanoseconds, with `+00:00`, or another form in every answer. */
  createdAtForm: 'iso' | 'nanos' | 'offset' | 'mixed' = 'iso';
  /** JSON Patch `add` on an existing array merges instead of replacing (RFC 6902 says replace; Qlik does not say). */
  addMerges = false;
  readonly executions = new Map<string, ExecutionRecord>();
  /** The admin API key: a JWT whose `jti` is its ID in `/api/v1/api-keys` (unless a test gave a plain one). */
  readonly apiKey: string;
  readonly apiKeyId = hex(12);
  apiKeyExpiry: string;
  apiKeyStatus: 'active' | 'expired' | 'revoked' = 'active';
  /** Whether `GET /api/v1/api-keys/{id}` answers (403 otherwise: the key's owner may not manage keys). */
  apiKeysReadable = true;
  /** Bot users, by client ID: made at a client's first token, kept when it is deleted. */
  readonly botUsers = new Map<string, string>();

  constructor(
    apiKey: string | undefined,
    readonly talendToken: string,
    readonly now: () => number,
    /** Hints from a wide alphabet, `+` and `/` included (Qlik gives no character set). */
    readonly wideHints = false,
  ) {
    this.apiKey = apiKey ?? jwt({ jti: this.apiKeyId, sub: this.adminUserId, subType: 'user', tenantId: this.tenantId, iat: Math.floor(now() / 1000) });
    this.apiKeyExpiry = new Date(now() + 180 * 86_400_000).toISOString();
    this.recordIssued(this.apiKey);
    this.recordIssued(talendToken);
  }

  /** Would Qlik accept the admin API key now (not revoked, not expired)? */
  apiKeyUsable(): boolean {
    return this.apiKeyStatus === 'active' && Date.parse(this.apiKeyExpiry) > this.now();
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  recordIssued(value: string): void {
    if (value && !this.issuedSet.has(value)) {
      this.issuedSet.add(value);
      this.issued.push(value);
    }
  }

  issuedSecrets(): string[] {
    return [...this.issued];
  }

  setDroppedScopes(scopes: string[]): void {
    this.droppedScopes = new Set(scopes);
  }

  /** Qlik silently drops scopes it does not keep. */
  keptScopes(scopes: string[]): string[] {
    return scopes.filter((s) => !this.droppedScopes.has(s));
  }

  client(clientId: string): QlikClientState | undefined {
    return this.clientsById.get(clientId);
  }

  /** All clients in creation order (the list's default order). */
  allClients(): QlikClientState[] {
    return [...this.clientsById.values()];
  }

  deleteClient(clientId: string): boolean {
    return this.clientsById.delete(clientId);
  }

  createClient(init: ClientInit): QlikClientState {
    const createdAt = init.createdAt ?? this.nowIso();
    let clientId = init.clientId ?? hex(16);
    while (!init.clientId && this.clientsById.has(clientId)) clientId = hex(16);
    if (this.clientsById.has(clientId)) throw new Error(`emulator: client ${clientId} already exists`);
    const client: QlikClientState = {
      clientId,
      clientName: init.clientName,
      appType: init.appType,
      description: init.description ?? '',
      redirectUris: [...(init.redirectUris ?? [])],
      allowedOrigins: [...(init.allowedOrigins ?? [])],
      allowedScopes: this.keptScopes([...(init.allowedScopes ?? [])]),
      allowedGrantTypes: [...(init.allowedGrantTypes ?? [])],
      allowedAuthMethods: [...(init.allowedAuthMethods ?? ['client_secret'])],
      publicKeys: [...(init.publicKeys ?? [])],
      consentMethod: init.consentMethod,
      clientSecrets: [],
      createdAt,
      updatedAt: createdAt,
    };
    if (init.clientUri !== undefined) client.clientUri = init.clientUri;
    if (init.logoUri !== undefined) client.logoUri = init.logoUri;
    if (init.jwksUri !== undefined) client.jwksUri = init.jwksUri;
    this.clientsById.set(clientId, client);
    this.hintsEver.set(clientId, new Set());
    return client;
  }

  /** Adds a secret to a client, without the 5-secret check (callers decide). */
  newSecret(client: QlikClientState, createdAt?: string, opts: { hint?: string } = {}): QlikSecretState {
    const used = this.hintsEver.get(client.clientId) ?? new Set<string>();
    this.hintsEver.set(client.clientId, used);
    const next = () => (this.wideHints ? wideHint() : hex(3).slice(0, 5));
    const chosen = opts.hint ?? this.queuedHints.shift();
    let hint = chosen ?? next();
    while (chosen === undefined && used.has(hint)) hint = next();
    used.add(hint);
    const secret: QlikSecretState = {
      hint,
      secret: hex(32),
      createdAt: createdAt ?? this.nowIso(),
      createdBy: this.adminUserId,
    };
    client.clientSecrets.push(secret);
    this.recordIssued(secret.secret);
    this.clientSecretValues.add(secret.secret);
    return secret;
  }

  seedSecretCreatedAt(s: SeedSecret): string {
    if (s.createdAt !== undefined) return s.createdAt;
    return new Date(this.now() - (s.ageDays ?? 0) * DAY_MS).toISOString();
  }

  seedClient(c: Partial<SeedClient>): QlikClientState {
    const appType = c.appType ?? 'web';
    const seeds = c.secrets ?? (appType === 'web' ? [{}] : []);
    const secretTimes = seeds.map((s) => this.seedSecretCreatedAt(s));
    // A client is never younger than its oldest secret.
    const oldest = [this.nowIso(), ...secretTimes].sort()[0];
    const init: ClientInit = {
      clientName: c.clientName ?? 'Talend Management Console',
      appType,
      description: c.description ?? '',
      redirectUris: c.redirectUris ?? [],
      allowedGrantTypes: c.allowedGrantTypes ?? ['client_credentials'],
      allowedScopes: c.allowedScopes ?? ['user_default', 'admin_classic'],
      allowedAuthMethods: c.allowedAuthMethods ?? ['client_secret'],
      consentMethod: c.consentMethod ?? 'trusted',
      createdAt: c.createdAt ?? oldest,
    };
    if (c.clientId !== undefined) init.clientId = c.clientId;
    const client = this.createClient(init);
    // Seeding states exactly what the test asked for: no dropped-scope filtering.
    client.allowedScopes = [...(init.allowedScopes ?? [])];
    for (const t of secretTimes) this.newSecret(client, t);
    return client;
  }

  seedMany(n: number, namePrefix: string): void {
    const width = String(n).length;
    const createdAt = this.nowIso();
    for (let i = 1; i <= n; i++) {
      const client = this.createClient({
        clientName: `${namePrefix} ${String(i).padStart(width, '0')}`,
        appType: 'web',
        allowedGrantTypes: ['client_credentials'],
        allowedScopes: ['user_default'],
        consentMethod: 'trusted',
        createdAt,
      });
      this.newSecret(client, createdAt);
    }
  }

  updateClient(clientId: string, changes: ClientChanges): QlikClientState {
    const client = this.clientsById.get(clientId);
    if (!client) throw new Error(`emulator: no client ${clientId}`);
    const rest: Partial<QlikClientState> = structuredClone(changes);
    delete rest.clientId;
    delete rest.clientSecrets;
    Object.assign(client, rest);
    if (changes.updatedAt === undefined) client.updatedAt = this.nowIso();
    return client;
  }

  addSecret(clientId: string, opts: SeedSecret = {}): IssuedSecret {
    const client = this.clientsById.get(clientId);
    if (!client) throw new Error(`emulator: no client ${clientId}`);
    const s = this.newSecret(client, this.seedSecretCreatedAt(opts), opts.hint === undefined ? {} : { hint: opts.hint });
    return { hint: s.hint, secret: s.secret, createdAt: s.createdAt };
  }

  /**
   * How TMC checks a pair it is given: against this emulator's Qlik, or (a second Talend account
   * connected to the same tenant) against another emulator's.
   */
  talendChecksPair: (clientId: string, clientSecret: string) => boolean = (id, secret) => this.pairWorks(id, secret);

  /** Would Qlik's /oauth/token accept this pair for the client-credentials grant right now? */
  pairWorks(clientId: string, clientSecret: string): boolean {
    const client = this.clientsById.get(clientId);
    if (!client) return false;
    return (
      client.appType === 'web' &&
      client.allowedGrantTypes.includes('client_credentials') &&
      client.allowedAuthMethods.includes('client_secret') &&
      client.clientSecrets.some((s) => s.secret === clientSecret)
    );
  }

  issueAccessToken(clientId: string): { token: string; expiresAt: number } {
    let userId = this.botUsers.get(clientId);
    if (!userId) {
      userId = `bot${hex(10)}`;
      this.botUsers.set(clientId, userId);
    }
    const id = hex(12);
    const expiresAt = this.now() + ACCESS_TOKEN_LIFETIME_S * 1000;
    const token = jwt({ sub: userId, subType: 'user', tenantId: this.tenantId, client_id: clientId, jti: id, exp: Math.floor(expiresAt / 1000) });
    this.accessTokens.set(token, { clientId, expiresAt, id, userId });
    this.recordIssued(token);
    return { token, expiresAt };
  }

  revokeAccessToken(token: string): void {
    this.accessTokens.delete(token);
  }

  /** A token by its ID (`DELETE /api/v1/oauth-tokens/{id}`); true when there was one. */
  revokeAccessTokenById(id: string): boolean {
    for (const [token, r] of this.accessTokens) {
      if (r.id === id) {
        this.accessTokens.delete(token);
        return true;
      }
    }
    return false;
  }

  /** Live tokens of a user, oldest first. Deleting a secret or a client does not end them: they last until revoked or expired. */
  tokensOf(userId: string): AccessTokenRecord[] {
    return [...this.accessTokens.values()].filter((r) => r.userId === userId && r.expiresAt > this.now());
  }

  /** Access tokens that would still be accepted (not expired, not revoked). */
  liveAccessTokens(): number {
    return [...this.accessTokens.values()].filter((r) => r.expiresAt > this.now()).length;
  }

  accessTokenValid(token: string): AccessTokenRecord | undefined {
    const rec = this.accessTokens.get(token);
    return rec && rec.expiresAt > this.now() ? rec : undefined;
  }

  setTalendPair(clientId: string, clientSecret: string): void {
    this.talendPair = { clientId, clientSecret };
    this.recordIssued(clientSecret);
    if (clientSecret) this.clientSecretValues.add(clientSecret);
  }

  /**
   * The tenant's state as plain data: the clients (secret values included), the pair in TMC,
   * tasks and their runs. `restore` makes another emulator start from it, so a test that needs
   * "a tenant one clean run left" can have one without running the action again.
   */
  snapshot(): EmulatorSnapshot {
    return copy({
      clients: this.allClients(),
      hintsEver: [...this.hintsEver].map(([id, hints]) => [id, [...hints]] as [string, string[]]),
      issued: this.issued,
      clientSecretValues: [...this.clientSecretValues],
      droppedScopes: [...this.droppedScopes],
      accessTokens: [...this.accessTokens],
      botUsers: [...this.botUsers],
      talendPair: this.talendPair,
      tasks: [...this.tasks],
      executions: [...this.executions],
      connections: [...this.connections],
      taskDefinitions: [...this.taskDefinitions],
    });
  }

  restore(snapshot: EmulatorSnapshot): void {
    const s = copy(snapshot);
    for (const c of s.clients) this.clientsById.set(c.clientId, c);
    for (const [id, hints] of s.hintsEver) this.hintsEver.set(id, new Set(hints));
    for (const value of s.issued) this.recordIssued(value);
    for (const value of s.clientSecretValues) this.clientSecretValues.add(value);
    this.droppedScopes = new Set(s.droppedScopes);
    for (const [token, r] of s.accessTokens) this.accessTokens.set(token, r);
    for (const [clientId, userId] of s.botUsers ?? []) this.botUsers.set(clientId, userId);
    this.talendPair = s.talendPair;
    for (const [id, status] of s.tasks) this.tasks.set(id, status);
    for (const [id, e] of s.executions) this.executions.set(id, e);
    for (const [id, c] of s.connections) this.connections.set(id, c);
    for (const [id, t] of s.taskDefinitions) this.taskDefinitions.set(id, t);
  }

  dump(): unknown {
    return {
      qlik: {
        tenantId: this.tenantId,
        droppedScopes: [...this.droppedScopes],
        clients: this.allClients(),
        accessTokens: [...this.accessTokens.entries()].map(([token, r]) => ({ token, ...r })),
      },
      talend: {
        accountId: this.accountId,
        pair: this.talendPair,
        tasks: Object.fromEntries(this.tasks),
        executions: [...this.executions.values()],
        connections: [...this.connections.values()],
        taskDefinitions: [...this.taskDefinitions.values()],
      },
    };
  }
}

export interface EmulatorSnapshot {
  clients: QlikClientState[];
  hintsEver: [string, string[]][];
  issued: string[];
  clientSecretValues: string[];
  droppedScopes: string[];
  accessTokens: [string, AccessTokenRecord][];
  botUsers?: [string, string][];
  talendPair: { clientId: string; clientSecret: string } | null;
  tasks: [string, string][];
  executions: [string, ExecutionRecord][];
  connections: [string, ConnectionState][];
  taskDefinitions: [string, TaskDefinitionState][];
}

const WIDE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** `a+b/c`: every strict-mode hint needs encoding in a URL path. */
function wideHint(): string {
  const pick = () => WIDE[randomBytes(1)[0]! % WIDE.length];
  return `${pick()}+${pick()}/${pick()}`;
}

export function copy<T>(value: T): T {
  return structuredClone(value);
}
