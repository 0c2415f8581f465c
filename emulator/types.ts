// Public types of the Qlik Cloud + Talend Cloud emulator used by the end-to-end tests.
import type { EmulatorSnapshot } from './state.js';
import type { ConnectionParameterState, ConnectionState, SecretReadBack, TaskDefinitionState } from './talend-orchestration.js';

export type { ConnectionParameterState, ConnectionState, SecretReadBack, TaskDefinitionState };

export interface EmulatorOptions {
  /** Default 'qlik-admin-key-' + random hex (>= 32 chars). */
  qlikApiKey?: string;
  /** Default 'talend-pat-' + random hex. */
  talendToken?: string;
  /** Default '/talend-api': every Talend route is served under it, so a talend-api-url with a path is exercised. */
  talendBasePath?: string;
  /** Default '/tmc/qlik-cloud-authentication', relative to the Talend base. */
  qlikAuthPath?: string;
  /**
   * The request TMC's setting takes (the action's `talend-qlik-auth-request` must match it).
   * Default: PUT, JSON, fields clientId and clientSecret. Field names may be dotted paths into the
   * JSON body (`credentials.secret`); `header` must be present with that value.
   */
  qlikAuthShape?: QlikAuthShape;
  /** Added to every response (global). Default 0. */
  latencyMs?: number;
  /** A filtered list is built from fixed-size chunks of all clients, so a page may hold fewer than `limit` items (even none) and still have a next link. */
  sparsePages?: boolean;
  /**
   * Answer only as Qlik's OpenAPI spec allows, nothing more generous: optional fields left out
   * when empty, `replace` on a missing member refused, hints like `a+b/c`, the consent asked for
   * at creation ignored (`required`), `+` in a query taken literally. Default false.
   */
  strict?: boolean;
  /**
   * How the Orchestration API reads back an encrypted connection parameter or a password-type task
   * parameter: in clear, masked (`****`) or left out. Talend does not document it. Default masked.
   */
  secretReadBack?: SecretReadBack;
  /** Start from another emulator's `snapshot()` (its clients, secrets, TMC pair, tasks and runs). */
  restore?: EmulatorSnapshot;
  /** Clock for createdAt values, secret ages and token expiry. Default Date.now. */
  now?: () => number;
  /** Fixed loopback ports (default 0: any free port). Used by the CLI. */
  qlikPort?: number;
  talendPort?: number;
}

export type ServiceKind = 'qlik' | 'talend';

export interface QlikAuthShape {
  method?: 'PUT' | 'POST' | 'PATCH';
  contentType?: 'json' | 'form';
  clientIdField?: string;
  clientSecretField?: string;
  header?: [string, string];
}

export interface LoggedRequest {
  seq: number;
  service: ServiceKind;
  method: string;
  /** Path with query string, as received (for Talend including the base path). */
  path: string;
  /** Status sent; 0 while pending, and for hang/reset. */
  status: number;
  /** Arrival time (ms since epoch, wall clock). */
  at: number;
  authorization?: string;
  /** Raw request body text. */
  body?: string;
  /** All request headers, lower-cased names. */
  headers: Record<string, string>;
}

export type FaultAction =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { latencyMs: number }
  | { hang: true }
  | { reset: true }
  | { echo: true; status?: number }
  /** The request takes effect; the answer is then whatever `rewrite` makes of the real one. */
  | { rewrite: (answer: { status: number; headers?: Record<string, string>; body?: unknown }) => { status: number; headers?: Record<string, string>; body?: unknown } }
  /** 200 and a body that never ends (until the client hangs up or the emulator closes). */
  | { endless: true };

export interface FaultRule {
  service: ServiceKind;
  method?: string;
  /** Matched against the path without query (for Talend, without the base path). A string matches exactly, or as a prefix when it ends with '*'. */
  path: string | RegExp;
  /** 1-based: fire starting at the Nth matching request. Default 1. */
  occurrence?: number;
  /** How many matching requests it applies to. Default 1; Infinity allowed. */
  times?: number;
  /** before: the request has no effect; after: it takes effect, then the fault replaces the response. Default 'before'. */
  when?: 'before' | 'after';
  action: FaultAction;
}

export type AppType = 'web' | 'native' | 'spa' | 'anonymous-embed';
export type ConsentMethod = 'trusted' | 'required';

export interface QlikSecretState {
  hint: string;
  /** The secret value (Qlik never returns it again; the emulator keeps it for tests). */
  secret: string;
  createdAt: string;
  createdBy: string;
}

export interface QlikClientState {
  clientId: string;
  clientName: string;
  appType: AppType;
  description: string;
  clientUri?: string;
  logoUri?: string;
  jwksUri?: string;
  redirectUris: string[];
  allowedOrigins: string[];
  allowedScopes: string[];
  allowedGrantTypes: string[];
  allowedAuthMethods: string[];
  publicKeys: unknown[];
  consentMethod: ConsentMethod;
  clientSecrets: QlikSecretState[];
  createdAt: string;
  updatedAt: string;
}

export interface SeedSecret {
  ageDays?: number;
  createdAt?: string;
  /** A hint of the test's choosing, even one another secret already has (hostile servers). */
  hint?: string;
}

export interface SeedClient {
  clientId: string;
  clientName: string;
  appType: AppType;
  description: string;
  allowedGrantTypes: string[];
  allowedScopes: string[];
  allowedAuthMethods: string[];
  redirectUris: string[];
  consentMethod: ConsentMethod;
  createdAt: string;
  /** Default: one secret created now (web clients), none otherwise. */
  secrets: SeedSecret[];
}

export type ClientChanges = Partial<Omit<QlikClientState, 'clientId' | 'clientSecrets'>>;

/** The seeded client, secrets with their values. */
export type SeededClient = QlikClientState;

export interface IssuedSecret {
  hint: string;
  secret: string;
  createdAt: string;
}

export interface ExecutionState {
  executionId: string;
  taskId: string;
  status: string;
}

export interface Emulator {
  /** 'http://127.0.0.1:PORT' */
  qlikUrl: string;
  /** 'http://127.0.0.1:PORT2' + talendBasePath */
  talendUrl: string;
  /** Absolute URL of the Qlik Cloud Authentication PUT. */
  talendQlikAuthUrl: string;
  qlikApiKey: string;
  talendToken: string;
  /** Every request in arrival order. */
  log: LoggedRequest[];
  /** Credential-handling mistakes seen on the wire. Each starts with a fixed phrase, then ': ' and where it was seen. */
  violations: string[];
  setLatency(ms: number): void;

  seedClient(c?: Partial<SeedClient>): SeededClient;
  seedManyClients(n: number, namePrefix?: string): void;
  addSecret(clientId: string, opts?: SeedSecret): IssuedSecret;
  /** Changes a client directly, as an admin would in Qlik's UI (drift). Not logged; no scope dropping. */
  updateClient(clientId: string, changes: ClientChanges): QlikClientState;
  setTalendPair(clientId: string, clientSecret: string): void;
  /** A Talend service account that can sign in at /security/oauth/token; its tokens last `lifetimeS` (default 3600). */
  defineServiceAccount(id: string, secret: string, lifetimeS?: number): void;
  /** How many tokens service accounts signed in for. */
  serviceAccountSignIns(): number;
  /** Would this Qlik's /oauth/token accept the pair now? */
  pairWorks(clientId: string, clientSecret: string): boolean;
  /** This emulator's Talend is a second TMC account of `other`'s Qlik tenant: it checks pairs there. */
  connectTalendTo(other: Emulator): void;
  defineTask(taskId: string, finalStatus: string): void;
  /** A TMC connection (Orchestration API); values as stored, encrypted ones in clear. */
  defineConnection(c: { id: string; name?: string; workspaceId?: string; app?: string; parameters?: ConnectionParameterState[] }): void;
  connection(id: string): ConnectionState | undefined;
  /** A task definition (Orchestration API); `sensitive` names the password-type parameters. */
  defineTaskDefinition(t: { id: string } & Partial<Omit<TaskDefinitionState, 'id'>>): void;
  taskDefinition(id: string): TaskDefinitionState | undefined;
  setSecretReadBack(mode: SecretReadBack): void;
  /** The admin API key's metadata as `GET /api/v1/api-keys/{id}` shows it; `readable: false` answers 403. */
  setApiKey(changes: { expiry?: string; status?: 'active' | 'expired' | 'revoked'; readable?: boolean }): void;
  /** The bot user Qlik made at a client's first token (kept when the client is deleted). */
  botUserOf(clientId: string): string | undefined;
  /** A consumer (TMC, a Job) gets a token with a client's secret, as /oauth/token would give it. */
  mintToken(clientId: string): string;
  /** Tokens of a user Qlik would still accept (not revoked, not expired). */
  liveTokensOf(userId: string): number;
  /** How a Talend that hides values shows them: the mask's text, and the `encrypted` flag of a hidden connection parameter. */
  setHiddenValues(how: { mask?: string; encryptedFlag?: 'shown' | 'omitted' | 'null' }): void;
  /** Whether Talend answers for a task's artifact version (its parameter types). */
  setArtifactsReadable(readable: boolean): void;
  /** How TMC's Qlik Cloud Authentication page answers a store: JSON, a 303 after storing, or 200 with an error body on a refusal. */
  setQlikAuthAnswer(answer: 'json' | 'redirect' | 'error-200'): void;
  /** How Qlik writes a secret's createdAt in its answers. */
  setCreatedAtForm(form: 'iso' | 'nanos' | 'offset' | 'mixed'): void;
  /** JSON Patch `add` on an existing array merges instead of replacing. */
  setAddMerges(merges: boolean): void;
  setDroppedScopes(scopes: string[]): void;
  /** The next secrets Qlik makes get these hints, in order, even ones another secret has. */
  queueHints(hints: string[]): void;

  fault(rule: FaultRule): void;
  clearFaults(): void;
  onRequest(cb: (r: LoggedRequest, phase: 'received' | 'done') => void): () => void;

  clients(): QlikClientState[];
  client(clientId: string): QlikClientState | undefined;
  talendPair(): { clientId: string; clientSecret: string } | null;
  executions(): ExecutionState[];
  issuedSecrets(): string[];
  /** Access tokens Qlik would still accept: issued, not expired, not revoked. */
  liveAccessTokens(): number;
  /** The state as plain data, for `startEmulator({ restore })`. */
  snapshot(): EmulatorSnapshot;
  dump(): unknown;
  close(): Promise<void>;
}
