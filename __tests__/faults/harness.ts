/**
 * Shared machinery of the fault suite: the requests of a rotation (steps), the faults injected into
 * them, the invariant checks (I1, I2, I5, I7, named in docs/protocol.md) and convergence. Each cell
 * gets its own emulator.
 *
 * Every check throws an Error whose message names the invariant, so a failing `it` says which
 * invariant broke and in what state.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { type Emulator, type EmulatorSnapshot, type FaultAction, type FaultRule, type LoggedRequest, type ServiceKind, startEmulator } from '../../emulator/index.js';
import { secretsAnyTargetMayHold } from '../../src/core/holdings.js';
import { type RotationRecord, parseDescription } from '../../src/core/record.js';
import { type ActionRun, type RunHandle, baseInputs, leaksIn, runAction } from '../../scripts/action-runner.js';

/** The smallest timeout-seconds: per-request timeout 1 s, reserve 1 s, backoff 100–500 ms. */
export const FAULT_TIMEOUT_SECONDS = 5;
export const CHECK_TASK = 'smoke';
/**
 * Every cell delivers to two targets: TMC's setting and this TMC connection, so every step and
 * fault meets a rotation whose deliveries run side by side (docs/talend-targets.md).
 */
export const CONNECTION = 'conn-1';
const connectionPath = () => `/orchestration/connections/${CONNECTION}`;

/** Defines the second target in a fresh emulator: a connection holding only the client's pair. */
function defineConnection(emu: Emulator): void {
  emu.defineConnection({ id: CONNECTION, parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
}

/** The pair each target holds now (null: none yet). */
export function heldPairs(emu: Emulator): { target: string; pair: { clientId: string; clientSecret: string } | null }[] {
  const params = emu.connection(CONNECTION)?.parameters ?? [];
  const value = (name: string) => params.find((p) => p.name === name)?.value ?? '';
  const connection = value('client_id') && value('client_secret') ? { clientId: value('client_id'), clientSecret: value('client_secret') } : null;
  return [
    { target: "TMC's setting", pair: emu.talendPair() },
    { target: `connection ${CONNECTION}`, pair: connection },
  ];
}

// ---- steps -------------------------------------------------------------------------------------

export type Scenario = 'rotate' | 'check' | 'create';

export interface Step {
  id: string;
  /** What the request is for, in protocol terms. */
  label: string;
  scenario: Scenario;
  service: ServiceKind;
  method: string;
  /** Path without query (Talend: without the base path); `*` suffix = prefix. Built from the client ID. */
  path: (clientId: string) => string;
  /** 1-based among requests matching service + method + path, counted from the faulted run's start. */
  occurrence: number;
}

const clientPath = (id: string) => `/api/v1/oauth-clients/${id}`;

/** In order, as a clean rotation sends them (confirmed against emu.log of a clean `rotate: always` run). */
export const STEPS: Step[] = [
  { id: 'list', label: 'Qlik list by name', scenario: 'rotate', service: 'qlik', method: 'GET', path: () => '/api/v1/oauth-clients', occurrence: 1 },
  { id: 'preflight', label: 'Talend token preflight', scenario: 'rotate', service: 'talend', method: 'GET', path: () => '/account/subscription', occurrence: 1 },
  { id: 'lease-write', label: 'lease write (PATCH #1)', scenario: 'rotate', service: 'qlik', method: 'PATCH', path: clientPath, occurrence: 1 },
  { id: 'lease-read', label: 'lease read-back (GET client)', scenario: 'rotate', service: 'qlik', method: 'GET', path: clientPath, occurrence: 1 },
  { id: 'create-secret', label: 'create secret (POST client-secrets)', scenario: 'rotate', service: 'qlik', method: 'POST', path: (id) => `${clientPath(id)}/client-secrets`, occurrence: 1 },
  { id: 'verify', label: 'verify (POST /oauth/token)', scenario: 'rotate', service: 'qlik', method: 'POST', path: () => '/oauth/token', occurrence: 1 },
  { id: 'pending-write', label: 'pending record (PATCH #2)', scenario: 'rotate', service: 'qlik', method: 'PATCH', path: clientPath, occurrence: 2 },
  { id: 'deliver', label: 'Talend delivery (PUT)', scenario: 'rotate', service: 'talend', method: 'PUT', path: () => '/tmc/qlik-cloud-authentication', occurrence: 1 },
  // The connection's requests: the Read-state GET, the PUT, the read-back GET (its 3rd GET); they run
  // side by side with the TMC setting's PUT.
  { id: 'conn-read', label: 'connection read in Read state (GET)', scenario: 'rotate', service: 'talend', method: 'GET', path: connectionPath, occurrence: 1 },
  { id: 'conn-put', label: 'connection delivery (PUT)', scenario: 'rotate', service: 'talend', method: 'PUT', path: connectionPath, occurrence: 1 },
  { id: 'conn-readback', label: 'connection read-back (GET #3)', scenario: 'rotate', service: 'talend', method: 'GET', path: connectionPath, occurrence: 3 },
  { id: 'final-write', label: 'final record (PATCH #3)', scenario: 'rotate', service: 'qlik', method: 'PATCH', path: clientPath, occurrence: 3 },
  { id: 'retire', label: 'retire (DELETE client-secrets/{hint})', scenario: 'rotate', service: 'qlik', method: 'DELETE', path: (id) => `${clientPath(id)}/client-secrets/*`, occurrence: 1 },
  { id: 'exec-start', label: 'check: start task run (POST executions)', scenario: 'check', service: 'talend', method: 'POST', path: () => '/processing/executions', occurrence: 1 },
  { id: 'exec-poll', label: 'check: poll task run (GET executions/{id})', scenario: 'check', service: 'talend', method: 'GET', path: () => '/processing/executions/*', occurrence: 1 },
  { id: 'create-client', label: 'create client (POST oauth-clients)', scenario: 'create', service: 'qlik', method: 'POST', path: () => '/api/v1/oauth-clients', occurrence: 1 },
  // After creating, the action lists the name again to settle a creation race (oldest client wins).
  { id: 'create-relist', label: 'create: list by name again (race check)', scenario: 'create', service: 'qlik', method: 'GET', path: () => '/api/v1/oauth-clients', occurrence: 2 },
];

// ---- faults ------------------------------------------------------------------------------------

export interface Fault {
  id: string;
  action: FaultAction;
  /** How many matching requests the rule hits. */
  times: number;
}

export const FAULTS: Fault[] = [
  { id: '500', action: { status: 500 }, times: 1 },
  { id: '503→ok', action: { status: 503 }, times: 1 },
  { id: '429 RA:1', action: { status: 429, headers: { 'Retry-After': '1' } }, times: 1 },
  { id: 'reset', action: { reset: true }, times: 1 },
  // No answer at all: the action's 1-second request timeout fires first.
  { id: 'hang', action: { hang: true }, times: 1 },
];

export type KillPoint = 'before' | 'after';
export const KILL_COLUMNS: { id: string; when: KillPoint }[] = [
  { id: 'kill(before)', when: 'before' },
  { id: 'kill(after)', when: 'after' },
];

export function ruleFor(step: Step, clientId: string, action: FaultAction, extra: Partial<FaultRule> = {}): FaultRule {
  return { service: step.service, method: step.method, path: step.path(clientId), occurrence: step.occurrence, ...extra, action };
}

function pathMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** Does a logged request match a step (same rules as the emulator's fault book)? */
export function requestMatches(emu: Emulator, step: Step, clientId: string, r: LoggedRequest): boolean {
  if (r.service !== step.service || r.method !== step.method) return false;
  let path = r.path.split('?')[0] ?? '';
  if (r.service === 'talend') {
    const base = new URL(emu.talendUrl).pathname.replace(/\/+$/, '');
    if (path.startsWith(`${base}/`)) path = path.slice(base.length);
  }
  return pathMatches(step.path(clientId), path);
}

// ---- runs --------------------------------------------------------------------------------------

export interface Cell {
  emu: Emulator;
  scenario: Scenario;
  clientId: string;
  runs: ActionRun[];
  /** Notes for the report (not assertions). */
  notes: string[];
}

export function scenarioInputs(scenario: Scenario): Record<string, string> {
  return { 'talend-connection-ids': CONNECTION, ...(scenario === 'check' ? { 'talend-check-task-id': CHECK_TASK } : {}) };
}

export function faultedInputs(cell: Cell, extra: Record<string, string> = {}): Record<string, string> {
  const rotate: Record<string, string> = cell.scenario === 'create' ? {} : { rotate: 'always' };
  return { ...baseInputs(cell.emu), ...scenarioInputs(cell.scenario), ...rotate, 'timeout-seconds': String(FAULT_TIMEOUT_SECONDS), ...extra };
}

/** rotate auto, default inputs, timeout-seconds 20. */
export function cleanInputs(cell: Cell): Record<string, string> {
  return { ...baseInputs(cell.emu), ...scenarioInputs(cell.scenario), 'timeout-seconds': '20' };
}

export async function act(cell: Cell, inputs: Record<string, string>, opts: Parameters<typeof runAction>[1] = {}): Promise<ActionRun> {
  const run = await runAction(inputs, opts);
  cell.runs.push(run);
  return run;
}

/**
 * What one clean first run leaves (the client created, Talend holding its secret, the record
 * written), per scenario and emulator mode: the run happens once, and every cell starts from a copy.
 */
interface CleanSetup {
  snapshot: EmulatorSnapshot;
  clientId: string;
  /** The Talend target the record names: the setup emulator's URL, replaced by each cell's own. */
  target: string;
}
const setups = new Map<string, Promise<CleanSetup>>();

function cleanSetup(scenario: Scenario, strict: boolean): Promise<CleanSetup> {
  const key = `${scenario}|${strict}`;
  let setup = setups.get(key);
  if (!setup) {
    setup = (async () => {
      const emu = await startEmulator({ strict });
      emu.defineTask(CHECK_TASK, 'execution_successful');
      defineConnection(emu);
      try {
        const first = await runAction({ ...baseInputs(emu), ...scenarioInputs(scenario) });
        expect(first.code, `setup run failed:\n${errorLines(first)}`).toBe(0);
        expect(first.outputs.result).toBe('created');
        expect(leaksIn(first, emu.issuedSecrets()), 'I5 in the setup run').toEqual([]);
        return { snapshot: emu.snapshot(), clientId: only(emu.clients()).clientId, target: emu.talendQlikAuthUrl };
      } finally {
        await emu.close();
      }
    })();
    setups.set(key, setup);
  }
  return setup;
}

/** A fresh emulator; for rotate/check it starts where a clean first run (result created) left off. */
export async function newCell(scenario: Scenario, strict = false): Promise<Cell> {
  const setup = scenario === 'create' ? undefined : await cleanSetup(scenario, strict);
  const emu = await startEmulator(setup ? { strict, restore: setup.snapshot } : { strict });
  emu.defineTask(CHECK_TASK, 'execution_successful');
  if (!setup) defineConnection(emu);
  if (setup) {
    // The record names the TMC it delivered to; this cell's TMC is the same one on another port.
    const client = emu.client(setup.clientId)!;
    emu.updateClient(setup.clientId, { description: client.description.split(setup.target).join(emu.talendQlikAuthUrl), updatedAt: client.updatedAt });
  }
  return { emu, scenario, clientId: setup?.clientId ?? '', runs: [], notes: [] };
}

export async function closeCell(cell: Cell): Promise<void> {
  await cell.emu.close();
}

/**
 * Runs the action and SIGKILLs it when the emulator sees the step's request: on 'received' (the
 * request is held by a `before` hang: it has no effect) or on 'done' (an `after` hang: it took effect).
 */
export async function actAndKill(cell: Cell, step: Step, when: KillPoint, inputs: Record<string, string>): Promise<ActionRun & { killedAt: number | undefined }> {
  const { emu } = cell;
  let child: RunHandle | undefined;
  let seen = 0;
  let targetSeq: number | undefined;
  let killedAt: number | undefined;
  const kill = () => {
    killedAt ??= Date.now();
    child?.kill('SIGKILL');
  };
  const off = emu.onRequest((r, phase) => {
    const clientId = cell.clientId || (emu.clients()[0]?.clientId ?? '');
    if (phase === 'received' && targetSeq === undefined && requestMatches(emu, step, clientId, r)) {
      seen += 1;
      if (seen === step.occurrence) {
        targetSeq = r.seq;
        if (when === 'before') kill();
      }
    }
    if (phase === 'done' && when === 'after' && r.seq === targetSeq) kill();
  });
  try {
    const run = await act(cell, inputs, { onSpawn: (c) => (child = c) });
    return { ...run, killedAt };
  } finally {
    off();
  }
}

// ---- state and invariants ----------------------------------------------------------------------

export function only<T>(xs: T[]): T {
  expect(xs).toHaveLength(1);
  return xs[0]!;
}

export function recordOf(emu: Emulator, clientId: string): RotationRecord | null {
  const c = emu.client(clientId);
  return c ? parseDescription(c.description).record : null;
}

/** A one-line picture of both systems, for failure messages. */
export function describeState(emu: Emulator): string {
  const held = heldPairs(emu);
  const parts = emu.clients().map((c) => {
    const rec = parseDescription(c.description).record;
    const holds = held
      .map(({ target, pair }) => `${target}: ${pair && pair.clientId === c.clientId ? c.clientSecrets.find((s) => s.secret === pair.clientSecret)?.hint ?? '(gone!)' : '-'}`)
      .join(', ');
    return (
      `client ${c.clientId.slice(0, 6)}: secrets [${c.clientSecrets.map((s) => s.hint).join(', ')}]` +
      ` record ${rec?.targets.map((t) => `${t.key.split(':')[0]}: delivered=${t.delivered?.hint ?? 'null'} pending=[${t.pending.map((p) => p.hint).join(', ')}]`).join(', ') ?? 'none'}` +
      ` check=${rec?.check?.result ?? 'null'} lease=${rec?.lease ? rec.lease.expiresAt : 'none'}; Talend holds ${holds}`
    );
  });
  if (parts.length === 0) parts.push(`no client; Talend pairs ${held.map((h) => (h.pair ? 'set' : 'none')).join('/')}`);
  return parts.join(' | ');
}

/**
 * I1 nothing stranded: every secret in the record's delivered ∪ pending exists in Qlik; the secret
 * Talend holds exists on the client; and (when there is a record) the record lists it, since the
 * record is what tells later runs which secrets they must not delete.
 */
export function expectNothingStranded(emu: Emulator, when: string): void {
  const clients = emu.clients();
  const state = describeState(emu);
  for (const c of clients) {
    const parsed = parseDescription(c.description);
    const hints = c.clientSecrets.map((s) => s.hint);
    const rec = parsed.record;
    if (rec) {
      for (const ref of secretsAnyTargetMayHold(rec.targets)) {
        expect(hints, `I1 ${when}: the record names secret ${ref.hint} as possibly held by Talend, but Qlik no longer has it. State: ${state}`).toContain(ref.hint);
      }
    }
  }
  for (const { target, pair } of heldPairs(emu)) {
    if (!pair) continue;
    const client = clients.find((c) => c.clientId === pair.clientId);
    expect(client, `I1 ${when}: ${target} holds a pair for a client that no longer exists. State: ${state}`).toBeDefined();
    const held = client!.clientSecrets.find((s) => s.secret === pair.clientSecret);
    expect(held, `I1 ${when}: the secret ${target} holds was deleted from Qlik (it is disconnected). State: ${state}`).toBeDefined();
    const rec = parseDescription(client!.description);
    if (rec.state === 'ok' && rec.record) {
      const listed = secretsAnyTargetMayHold(rec.record.targets).some((r) => r.hint === held!.hint);
      expect(listed, `I1 ${when}: ${target} holds secret ${held!.hint}, but the record lists it neither as delivered nor as pending, so a later run may delete it. State: ${state}`).toBe(true);
    }
  }
}

/**
 * I7 honest exit: exit 0 only if the rotation (or creation) really completed — Talend holds the new
 * secret (= outputs['client-secret']) and the record says delivered = that secret's hint (and, with a
 * check task, the check passed). A non-zero exit writes result=failed and an ::error:: line.
 */
export function expectHonestExit(cell: Cell, run: ActionRun, expectedSuccess: 'rotated' | 'created'): void {
  const { emu } = cell;
  const state = describeState(emu);
  expect(run.signal, 'the run was killed by a signal').toBeNull();
  if (run.code === 0) {
    expect(run.outputs.result, `I7: exit 0 must mean '${expectedSuccess}'. State: ${state}`).toBe(expectedSuccess);
    const secret = run.outputs['client-secret'];
    expect(secret, 'I7: exit 0 without the new secret in the outputs').toBeTruthy();
    for (const held of heldPairs(emu)) {
      expect(held.pair?.clientSecret === secret, `I7: exit 0 but ${held.target} does not hold the new secret. State: ${state}`).toBe(true);
    }
    const pair = emu.talendPair();
    const client = emu.client(pair!.clientId);
    expect(run.outputs['client-id'], 'I7: client-id output').toBe(pair!.clientId);
    const meta = client?.clientSecrets.find((s) => s.secret === secret);
    expect(meta, `I7: exit 0 but the new secret does not exist in Qlik. State: ${state}`).toBeDefined();
    const rec = parseDescription(client!.description).record;
    expect(rec?.targets.map((t) => t.delivered?.hint), `I7: exit 0 but the record does not say the new secret was delivered. State: ${state}`).toEqual(rec?.targets.map(() => meta!.hint));
    expect(rec?.targets.length, `I7: exit 0 but the record names no target. State: ${state}`).toBeGreaterThan(0);
    expect(run.outputs['secret-hint'], 'I7: secret-hint output names the delivered secret').toBe(meta!.hint);
    if (cell.scenario === 'check') {
      expect(rec?.check?.result, `I7: exit 0 with a check task but the record's check is not 'passed'. State: ${state}`).toBe('passed');
      expect(emu.executions().some((e) => e.status === 'execution_successful'), 'I7: exit 0 without a successful task run').toBe(true);
    }
  } else {
    expect(run.code, 'I7: a failed run must exit with a code').not.toBeNull();
    expect(run.outputs.result, `I7: non-zero exit must write result=failed. stdout:\n${run.stdout.slice(-2000)}`).toBe('failed');
    expect(run.stdout, 'I7: non-zero exit must print an ::error:: line').toMatch(/^::error[^:]*::/m);
  }
}

/** I5 on every run of the cell, and no credential-handling violation on the wire. */
export function expectNoLeaks(cell: Cell): void {
  for (const run of cell.runs) expect(leaksIn(run, cell.emu.issuedSecrets()), 'I5: a secret leaked').toEqual([]);
  expect(cell.emu.violations, 'emulator saw credential-handling violations').toEqual([]);
}

/**
 * A killed (or failed) run's lease blocks changes until its deadline = its start + timeout-seconds.
 * Waits until both that bound and the lease actually stored have passed. Returns the lease seen.
 */
export async function waitForLeaseExpiry(cell: Cell, runStartedAt: number, timeoutSeconds: number): Promise<string | undefined> {
  const clientId = cell.clientId || cell.emu.clients()[0]?.clientId;
  const lease = clientId ? recordOf(cell.emu, clientId)?.lease : null;
  let until = 0;
  if (lease) {
    const expires = Date.parse(lease.expiresAt);
    // The contract: a lease expires at its holder's deadline (start + timeout-seconds). The holder
    // starts a little after the spawn (node startup), never before it.
    expect(expires, `lease expiry ${lease.expiresAt} is later than the holder's deadline allows`).toBeLessThanOrEqual(runStartedAt + timeoutSeconds * 1000 + 3000);
    until = Math.max(expires, runStartedAt + timeoutSeconds * 1000);
  }
  const wait = until + 150 - Date.now();
  if (wait > 0) await sleep(wait);
  return lease?.expiresAt;
}

/** The text of the run's ::error:: annotations, decoded (%0A → newline). */
export function errorText(run: ActionRun): string {
  return [...run.stdout.matchAll(/^::error(?: [^:]*)?::(.*)$/gm)]
    .map((m) => m[1]!.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
    .join('\n');
}

/** Collects failed checks instead of stopping at the first, so a cell reports every broken invariant. */
export class Problems {
  readonly list: string[] = [];
  async check(what: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.list.push(`[${what}] ${(err as Error).message}`);
    }
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new Error(this.list.join('\n---\n'));
  }
}

export function errorLines(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((l) => /^::(error|warning)[^:]*::/.test(l))
    .join('\n')
    .slice(0, 1500);
}

/**
 * Convergence: with the fault cleared, ONE clean rerun (rotate auto, default inputs, timeout 20)
 * exits 0 and leaves a healthy state (I1, at most 1 + keep-previous-secrets (0) = 1 secret, Talend
 * holds a secret that exists); a further run reports `unchanged` (or the rerun itself did, without
 * a changing request).
 */
export async function expectConvergence(cell: Cell, faultedStartedAt: number): Promise<void> {
  const { emu } = cell;
  emu.clearFaults();
  await waitForLeaseExpiry(cell, faultedStartedAt, FAULT_TIMEOUT_SECONDS);
  if (!cell.clientId && emu.clients().length === 1) cell.clientId = emu.clients()[0]!.clientId;
  const rerun = await act(cell, cleanInputs(cell));
  const state = describeState(emu);
  expect(rerun.code, `convergence: the clean rerun failed (result ${rerun.outputs.result}):\n${errorLines(rerun)}\nState: ${state}`).toBe(0);
  expect(['created', 'rotated', 'repaired', 'unchanged']).toContain(rerun.outputs.result);
  expectNothingStranded(emu, 'after the convergence rerun');
  const client = only(emu.clients());
  cell.clientId = client.clientId;
  expect(client.clientSecrets.length, `I2 after the convergence rerun: at most 1 + keep-previous-secrets (0) secrets. State: ${state}`).toBeLessThanOrEqual(1);
  for (const { target, pair } of heldPairs(emu)) {
    expect(pair, `convergence: ${target} holds no pair. State: ${state}`).not.toBeNull();
    expect(pair!.clientId).toBe(client.clientId);
    expect(client.clientSecrets.map((s) => s.secret), `convergence: the secret ${target} holds does not exist. State: ${state}`).toContain(pair!.clientSecret);
  }
  if (cell.scenario === 'check') {
    // With a check task configured, healthy means the delivered secret's task-run check passed
    // (the Check step runs it after a delivery and repeats it while it is not known to have passed).
    expect(
      recordOf(emu, client.clientId)?.check?.result,
      `convergence with talend-check-task-id: the record shows no passed task-run check for the delivered secret, so the end-to-end check of that delivery never completed and no later run will repeat it. State: ${describeState(emu)}`,
    ).toBe('passed');
  }
  // The run after a healing rerun must be `unchanged` (I3). A rerun that already found nothing to
  // heal is that run: it must have sent no changing request.
  if (rerun.outputs.result === 'unchanged') {
    const changing = emu.log.filter((r) => r.at >= rerun.startedAt && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
    expect(changing.map((r) => `${r.method} ${r.path}`), 'I3: an unchanged rerun sent a changing request').toEqual([]);
    return;
  }
  const again = await act(cell, cleanInputs(cell));
  expect(again.code, `convergence: the run after the rerun failed:\n${errorLines(again)}`).toBe(0);
  expect(again.outputs.result, `convergence: the run after the rerun is not unchanged. State: ${describeState(emu)}`).toBe('unchanged');
}
