// startEmulator: a stateful Qlik Cloud tenant and Talend Cloud API on two loopback servers.
import { FaultBook } from './faults.js';
import { startService, Wire } from './http.js';
import { qlikService } from './qlik.js';
import { copy, EmulatorState, hex } from './state.js';
import { executionStatus, talendService } from './talend.js';
import type { Emulator, EmulatorOptions } from './types.js';

export type { EmulatorSnapshot } from './state.js';
export type { ConnectionParameterState, ConnectionState, SecretReadBack, TaskDefinitionState } from './talend-orchestration.js';
export type {
  AppType,
  ClientChanges,
  ConsentMethod,
  Emulator,
  EmulatorOptions,
  ExecutionState,
  FaultAction,
  FaultRule,
  IssuedSecret,
  LoggedRequest,
  QlikAuthShape,
  QlikClientState,
  QlikSecretState,
  SeedClient,
  SeededClient,
  SeedSecret,
  ServiceKind,
} from './types.js';

function normalisePath(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  // Default: a JWT like Qlik's, whose `jti` names it in /api/v1/api-keys.
  const talendToken = opts.talendToken ?? `talend-pat-${hex(24)}`;
  const talendBasePath = normalisePath(opts.talendBasePath ?? '/talend-api');
  const qlikAuthPath = normalisePath(opts.qlikAuthPath ?? '/tmc/qlik-cloud-authentication') || '/';

  const state = new EmulatorState(opts.qlikApiKey, talendToken, opts.now ?? Date.now, opts.strict ?? false);
  const qlikApiKey = state.apiKey;
  if (opts.restore) state.restore(opts.restore);
  if (opts.secretReadBack) state.secretReadBack = opts.secretReadBack;
  const faults = new FaultBook();
  const wire = new Wire(faults);
  wire.latencyMs = opts.latencyMs ?? 0;

  const qlik = await startService(qlikService(state, { sparsePages: opts.sparsePages ?? false, strict: opts.strict ?? false }), wire, opts.qlikPort ?? 0);
  const talend = await startService(talendService(state, { basePath: talendBasePath, qlikAuthPath, qlikAuthShape: opts.qlikAuthShape ?? {} }), wire, opts.talendPort ?? 0).catch(
    async (err: unknown) => {
      await qlik.close();
      throw err;
    },
  );
  const talendUrl = talend.origin + talendBasePath;
  let closed: Promise<void> | undefined;

  return {
    qlikUrl: qlik.origin,
    talendUrl,
    talendQlikAuthUrl: talendUrl + qlikAuthPath,
    qlikApiKey,
    talendToken,
    log: wire.log,
    violations: wire.violations,
    setLatency: (ms) => {
      wire.latencyMs = ms;
    },

    seedClient: (c = {}) => copy(state.seedClient(c)),
    seedManyClients: (n, namePrefix = 'Seeded client') => state.seedMany(n, namePrefix),
    addSecret: (clientId, o) => state.addSecret(clientId, o),
    updateClient: (clientId, changes) => copy(state.updateClient(clientId, changes)),
    setTalendPair: (clientId, clientSecret) => state.setTalendPair(clientId, clientSecret),
    pairWorks: (clientId, clientSecret) => state.pairWorks(clientId, clientSecret),
    defineServiceAccount: (id, secret, lifetimeS = 3600) => state.defineServiceAccount(id, secret, lifetimeS),
    serviceAccountSignIns: () => state.talendAccessTokens.size,
    connectTalendTo: (other) => {
      state.talendChecksPair = (clientId, clientSecret) => other.pairWorks(clientId, clientSecret);
    },
    defineTask: (taskId, finalStatus) => {
      state.tasks.set(taskId, finalStatus);
    },
    defineConnection: (c) => {
      state.connections.set(c.id, {
        id: c.id,
        name: c.name ?? `Connection ${c.id}`,
        workspaceId: c.workspaceId ?? 'ws-emulated',
        app: c.app ?? 'Qlik Cloud',
        parameters: (c.parameters ?? []).map((p) => ({ name: p.name, value: p.value ?? null, encrypted: p.encrypted === true })),
      });
      for (const p of c.parameters ?? []) if (p.encrypted && p.value) state.recordIssued(p.value);
    },
    connection: (id) => {
      const c = state.connections.get(id);
      return c ? copy(c) : undefined;
    },
    defineTaskDefinition: (t) => {
      state.taskDefinitions.set(t.id, {
        name: `Task ${t.id}`,
        description: null,
        version: '0.1',
        workspaceId: 'ws-emulated',
        artifact: { id: `artifact-${t.id}`, name: 'Load to Qlik', version: '0.1.0' },
        tags: null,
        connections: null,
        parameters: {},
        resources: null,
        autoUpgradeInfo: null,
        sensitive: [],
        ...copy(t),
      });
      for (const name of t.sensitive ?? []) if (t.parameters?.[name]) state.recordIssued(t.parameters[name]);
    },
    taskDefinition: (id) => {
      const t = state.taskDefinitions.get(id);
      return t ? copy(t) : undefined;
    },
    setSecretReadBack: (mode) => {
      state.secretReadBack = mode;
    },
    setApiKey: (changes) => {
      if (changes.expiry !== undefined) state.apiKeyExpiry = changes.expiry;
      if (changes.status !== undefined) state.apiKeyStatus = changes.status;
      if (changes.readable !== undefined) state.apiKeysReadable = changes.readable;
    },
    botUserOf: (clientId) => state.botUsers.get(clientId),
    mintToken: (clientId) => state.issueAccessToken(clientId).token,
    liveTokensOf: (userId) => state.tokensOf(userId).length,
    setHiddenValues: (how) => {
      if (how.mask !== undefined) state.maskText = how.mask;
      if (how.encryptedFlag !== undefined) state.encryptedFlag = how.encryptedFlag;
    },
    setArtifactsReadable: (readable) => {
      state.artifactsReadable = readable;
    },
    setQlikAuthAnswer: (answer) => {
      state.qlikAuthAnswer = answer;
    },
    setCreatedAtForm: (form) => {
      state.createdAtForm = form;
    },
    setAddMerges: (merges) => {
      state.addMerges = merges;
    },
    setDroppedScopes: (scopes) => state.setDroppedScopes(scopes),
    queueHints: (hints) => {
      state.queuedHints.push(...hints);
    },

    fault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    onRequest: (cb) => wire.onRequest(cb),

    clients: () => copy(state.allClients()),
    client: (clientId) => {
      const c = state.client(clientId);
      return c ? copy(c) : undefined;
    },
    talendPair: () => (state.talendPair ? { ...state.talendPair } : null),
    executions: () => [...state.executions.values()].map((e) => ({ executionId: e.executionId, taskId: e.taskId, status: executionStatus(e) })),
    issuedSecrets: () => state.issuedSecrets(),
    liveAccessTokens: () => state.liveAccessTokens(),
    snapshot: () => state.snapshot(),
    dump: () => copy({ ...(state.dump() as object), log: wire.log, violations: wire.violations }),
    close: () => {
      closed ??= (async () => {
        wire.close();
        await Promise.all([qlik.close(), talend.close()]);
      })();
      return closed;
    },
  };
}
