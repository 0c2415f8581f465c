/** In-memory stand-ins for the Qlik and Talend clients, for unit tests of apply(). */
import type { RunBudget } from '../../src/http/budget.js';
import { createBudget } from '../../src/http/budget.js';
import type { JsonPatchOp, QlikApi } from '../../src/qlik/client.js';
import type { OAuthClient } from '../../src/qlik/model.js';
import type { TalendApi } from '../../src/talend/client.js';
import type { DeliveryResult } from '../../src/core/holdings.js';
import type { Target } from '../../src/core/targets.js';
import type { Pair } from '../../src/talend/orchestration.js';

type DeliveryMode = 'store' | 'refuse' | 'unknown';
import { NOW } from './fixtures.js';

type Fail = () => Error | undefined;

export class FakeQlik {
  clients = new Map<string, OAuthClient & { values: Map<string, string> }>();
  calls: string[] = [];
  failures: Partial<Record<'createSecret' | 'deleteSecret' | 'patchClient' | 'exchangeToken', Fail>> = {};
  rejectToken = false;
  /** Runs after a description patch lands, e.g. to simulate a racing run overwriting the lease. */
  afterDescriptionPatch: ((c: OAuthClient) => void) | undefined;
  private n = 0;

  add(client: OAuthClient, values: Record<string, string> = {}): void {
    this.clients.set(client.clientId, { ...client, values: new Map(Object.entries(values)) });
  }

  get(id: string) {
    const c = this.clients.get(id);
    if (!c) throw new Error(`no client ${id}`);
    return c;
  }

  async getClient(id: string) {
    this.calls.push(`GET ${id}`);
    const c = this.clients.get(id);
    return c ? structuredClone({ ...c, values: undefined }) : null;
  }

  async createClient(req: { clientName: string; description: string; scopes: string[] }) {
    this.calls.push('CREATE client');
    const id = `client-${++this.n}`;
    const hint = `h${this.n}000`.slice(0, 5);
    const createdAt = new Date(NOW).toISOString();
    const c: OAuthClient = {
      clientId: id,
      clientName: req.clientName,
      appType: 'web',
      description: req.description,
      allowedScopes: req.scopes,
      scopesShown: true,
      allowedGrantTypes: ['client_credentials'],
      allowedAuthMethods: ['client_secret'],
      consentMethod: 'trusted',
      secrets: [{ hint, createdAt }],
      createdAt,
    };
    this.add(c, { [hint]: `initial-secret-${this.n}-${'x'.repeat(20)}` });
    return { client: c, secret: this.get(id).values.get(hint)!, secretMeta: undefined };
  }

  async findClientsByName(name: string) {
    this.calls.push('LIST');
    return [...this.clients.values()].filter((c) => c.clientName === name).map((c) => structuredClone({ ...c, values: undefined }));
  }

  async deleteClient(id: string) {
    this.calls.push(`DELETE client ${id}`);
    this.clients.delete(id);
  }

  /** Every JSON Patch sent, op by op. */
  patches: JsonPatchOp[][] = [];

  async patchClient(id: string, ops: JsonPatchOp[], _doing: string) {
    this.calls.push(`PATCH ${ops.map((o) => o.path).join(',')}`);
    this.patches.push(ops);
    const err = this.failures.patchClient?.();
    if (err) throw err;
    const c = this.get(id);
    for (const op of ops) {
      if (op.path === '/description') c.description = op.value as string;
      if (op.path === '/allowedScopes') c.allowedScopes = op.value as string[];
      if (op.path === '/allowedGrantTypes') c.allowedGrantTypes = op.value as string[];
      if (op.path === '/allowedAuthMethods') c.allowedAuthMethods = op.value as string[];
    }
    if (ops.some((o) => o.path === '/description')) this.afterDescriptionPatch?.(c);
    return {};
  }

  async setConsentTrusted(id: string) {
    this.calls.push('PATCH consent');
    this.get(id).consentMethod = 'trusted';
  }

  async createSecret(id: string) {
    this.calls.push('CREATE secret');
    const err = this.failures.createSecret?.();
    if (err) throw err;
    const c = this.get(id);
    const hint = `n${++this.n}`.padEnd(5, '0').slice(0, 5);
    const createdAt = new Date(NOW + this.n).toISOString();
    const secret = `new-secret-${this.n}-${'y'.repeat(24)}`;
    c.secrets.push({ hint, createdAt });
    c.values.set(hint, secret);
    return { hint, createdAt, secret };
  }

  async deleteSecret(id: string, hint: string) {
    this.calls.push(`DELETE ${hint}`);
    const err = this.failures.deleteSecret?.();
    if (err) throw err;
    const c = this.get(id);
    const before = c.secrets.length;
    c.secrets = c.secrets.filter((s) => s.hint !== hint);
    c.values.delete(hint);
    return c.secrets.length < before ? ('deleted' as const) : ('gone' as const);
  }

  async exchangeToken(id: string, secret: string) {
    this.calls.push('TOKEN');
    const err = this.failures.exchangeToken?.();
    if (err) throw err;
    const ok = !this.rejectToken && [...(this.clients.get(id)?.values.values() ?? [])].includes(secret);
    return ok ? ({ accepted: true, revoked: Promise.resolve(true), botUserId: `bot-${id}` } as const) : ({ accepted: false, status: 401 } as const);
  }

  /** Tokens of each user, as Qlik's /api/v1/oauth-tokens would list them. */
  tokens = new Map<string, number>();
  revokeFails = false;

  async revokeTokensOf(userId: string) {
    this.calls.push(`REVOKE tokens of ${userId}`);
    if (this.revokeFails) throw new Error('Qlik: listing the OAuth tokens of the client\'s bot user failed: HTTP 403');
    const n = this.tokens.get(userId) ?? 0;
    this.tokens.set(userId, 0);
    return n;
  }

  hints(id: string): string[] {
    return this.get(id).secrets.map((s) => s.hint);
  }
}

export class FakeTalend {
  held: { clientId: string; clientSecret: string } | null = null;
  /** What each target holds, by key. */
  heldBy = new Map<string, { clientId: string; clientSecret: string }>();
  calls: string[] = [];
  /** How every target answers a delivery, unless `byTarget` says otherwise for its key. */
  answer: DeliveryMode | ((secret: string) => DeliveryMode) = 'store';
  byTarget: Record<string, DeliveryMode> = {};
  checkStatuses: string[] = ['dispatching', 'executing', 'execution_successful'];
  startFails = false;

  async checkToken() {
    this.calls.push('PREFLIGHT');
  }

  async inspect(target: Target): Promise<void> {
    this.calls.push(`INSPECT ${target.key}`);
  }

  async deliver(target: Target, pair: Pair): Promise<DeliveryResult> {
    this.calls.push(target.kind === 'qlik-auth' ? 'PUT' : `PUT ${target.key}`);
    const mode = this.byTarget[target.key] ?? (typeof this.answer === 'function' ? this.answer(pair.clientSecret) : this.answer);
    if (mode === 'unknown') throw new Error('Talend: storing the pair: no answer after 3 attempts (timeout); the outcome is unknown');
    if (mode === 'refuse') return { outcome: 'refused', status: 400, message: 'Qlik Cloud connection failed' };
    this.heldBy.set(target.key, { ...pair });
    if (target.kind === 'qlik-auth') this.held = { ...pair };
    return { outcome: 'stored', evidence: 'answer-only', warnings: [] };
  }

  async startExecution(_taskId: string) {
    this.calls.push('RUN');
    if (this.startFails) throw new Error('Talend: starting a run: HTTP 405');
    return 'exec-1';
  }

  private polls = 0;
  async getExecution(_id: string) {
    this.calls.push('POLL');
    const status = this.checkStatuses[Math.min(this.polls++, this.checkStatuses.length - 1)]!;
    const passed = status === 'execution_successful' ? true : status.startsWith('exec') && status !== 'executing' ? false : status === 'dispatching' || status === 'executing' ? undefined : false;
    return { status, passed, errorMessage: undefined };
  }
}

export function fakeBudget(timeoutSeconds = 300): RunBudget {
  return createBudget(timeoutSeconds, { now: () => NOW });
}

export function asQlik(f: FakeQlik): QlikApi {
  return f as unknown as QlikApi;
}
export function asTalend(f: FakeTalend): TalendApi {
  return f as unknown as TalendApi;
}
