/**
 * The rotation rules (the Plan step of docs/protocol.md), as a pure function from the configuration,
 * what was observed in Qlik and the current time to a plan. No I/O, no clock, no randomness.
 */
import type { Config } from '../config.js';
import { plainText } from '../untrusted-text.js';
import type { ClientSecretMeta, ConsentMethod, OAuthClient } from '../qlik/model.js';
import {
  commonHolding,
  holdingOf,
  knownRecord,
  secretsAnyTargetMayHold,
  secretsToMakeRoom,
  secretsToRetire,
  talendMayHold as mayHoldOf,
  targetsBefore,
  withNewPending,
  withoutHintsOf,
} from './holdings.js';
import { DESCRIPTION_MAX, EMPTY_RECORD, type Lease, type RecordState, type RotationRecord, type TargetHolding, parseDescription, renderDescription } from './record.js';
import { MAX_HINT_LENGTH } from '../qlik/model.js';
import type { ApiKeyState } from '../qlik/api-key.js';
import { CLOCK_SKEW_MS, type SecretRef, describeAge, dueAgeDays, findSecret, oldestFirst, sameSecret, secretAgeDays } from './secret-ref.js';
import { type Target, configuredTargets, describeTarget, kindOfKey } from './targets.js';
import { type TargetInspection, unprovenProblem } from '../talend/orchestration.js';

/** Qlik allows this many secrets per client; the next create answers 409. */
export const MAX_SECRETS_PER_CLIENT = 5;
export const REQUIRED_GRANT_TYPE = 'client_credentials';
export const REQUIRED_AUTH_METHOD = 'client_secret';
/** No run of the action lasts longer (timeout-seconds is at most 3600). */
const LONGEST_RUN_MS = 3600 * 1000;

export interface ObservedState {
  client: OAuthClient | null;
  record: RotationRecord | null;
  recordState: RecordState;
  /** The description's own text around the record block (kept as it is). */
  userText?: string;
  /** When the admin API key expires, as far as Qlik says. */
  apiKey?: ApiKeyState;
  /** Per connection or task target key, what Read state learned of it (the client ID it names, what it may hide). */
  targets?: Readonly<Record<string, TargetInspection>>;
  /**
   * Whether this tenant was proven to show hidden values in clear (a target's own secret worked at
   * Qlik's /oauth/token); undefined until a plan needs to know.
   */
  shownInClear?: boolean;
}

/**
 * What a read of the OAuth client says: the client, its record and the record's state. After the
 * lease, the fresh read replaces these and keeps everything Read state saw in Talend.
 */
export function observedClient(client: OAuthClient): Pick<ObservedState, 'client' | 'record' | 'recordState' | 'userText'> {
  const parsed = parseDescription(client.description);
  return { client, record: parsed.record, recordState: parsed.state, userText: parsed.userText };
}

/** Why a new secret is due: data, so the report words it and the `plan` output carries it as is. */
export type NewSecretReason =
  | { why: 'no-record' }
  /** A configured target the record does not know: it holds something unknown. */
  | { why: 'new-target'; target: string }
  | { why: 'pending-delivery' }
  | { why: 'nothing-delivered' }
  /** The configured targets hold different secrets (an earlier delivery reached only some). */
  | { why: 'targets-differ' }
  /** A connection or task names another client ID than this client's (changed by hand). */
  | { why: 'target-drifted'; target: string }
  | { why: 'delivered-gone' }
  | { why: 'retarget' }
  | { why: 'rotate-always' }
  | { why: 'age'; ageDays: number; maxAgeDays: number };

/**
 * One step of the plan, carrying everything apply needs to carry it out. The list is in the order
 * apply walks it (docs/protocol.md); the log, the summary and the `plan` output are rendered from it.
 */
export type PlanStep =
  | { step: 'create-client'; clientName: string; scopes: string[] }
  /** The full list to store: the client's own grant types plus client_credentials. */
  | { step: 'repair-grant-types'; store: string[] }
  /** The full list to store: the client's own auth methods plus client_secret. */
  | { step: 'repair-auth-methods'; store: string[] }
  /** `to`: the full list to store; `op`: `replace` where the client has the member and the scopes must be exact. */
  | { step: 'repair-scopes'; from: string[]; to: string[]; op: 'add' | 'replace' }
  | { step: 'repair-consent'; from: ConsentMethod | 'unknown' }
  /** `reclaim`: the record does not say what Talend holds; `reclaim-unrecorded-secrets` allowed it. */
  | { step: 'make-room'; secrets: ClientSecretMeta[]; reclaim: boolean }
  | { step: 'create-secret'; reason: NewSecretReason }
  | { step: 'verify-secret' }
  /**
   * Deliver the new secret to every target at once. `drop`: recorded targets the inputs no longer
   * name, dropped from the record once all of `targets` hold it (`retarget`).
   */
  | { step: 'deliver-to-talend'; targets: Target[]; drop: string[]; shownInClear: boolean }
  | { step: 'check-talend-task'; taskId: string; after: 'delivery' | 'unfinished-check' }
  | { step: 'write-record' }
  /** A run without a new secret: these, which the record proves Talend does not hold. */
  | { step: 'retire-secrets'; secrets: ClientSecretMeta[] }
  /**
   * After a delivery: older than the new secret, beyond this many (known only once it exists),
   * never one that `protect` names (what recorded targets outside the inputs may hold).
   */
  | { step: 'retire-older-secrets'; keep: number; protect: SecretRef[] }
  /** After a leak (`revoke-tokens`): every OAuth token of the client's bot user, once the old secrets are retired. */
  | { step: 'revoke-tokens' };

export type StepName = PlanStep['step'];
export type StepOf<K extends StepName> = Extract<PlanStep, { step: K }>;

export type PlanResult = 'created' | 'rotated' | 'repaired' | 'unchanged';

/** Things the plan tells the user without stopping the run: data, worded by the report. */
export type PlanWarning =
  /** Recorded targets the inputs do not name: their secrets are kept. */
  | { kind: 'not-in-inputs'; targets: string[] }
  /** `rotate: auto` cannot tell the age of the secret Talend holds. */
  | { kind: 'age-unknown' }
  /** A lease that claims to last longer than any run can: ignored. */
  | { kind: 'lease-ignored'; lease: Lease }
  /** The record could not be read: Talend may hold any secret. */
  | { kind: 'record-unreadable' }
  /** A dry run cannot prove that Talend shows hidden values in clear; a real run tests it, and refuses these targets otherwise. */
  | { kind: 'proof-needed'; targets: string[] }
  /** `revoke-tokens` in a run that retires nothing: no token is revoked. */
  | { kind: 'revoke-without-rotation' };

export interface RotationPlan {
  result: PlanResult;
  steps: PlanStep[];
  /** What Talend may hold right now: a list, or every existing secret when there is no record. */
  talendMayHold: ClientSecretMeta[] | 'any';
  /** Recorded targets the inputs do not name: their secrets stay protected (without `retarget`). */
  notInInputs: string[];
  /** Another run's live lease on the client, if any. */
  foreignLease: Lease | null;
  /** A lease that expires implausibly far in the future: ignored, and worth a warning. */
  ignoredLease: Lease | null;
  /** Another run's live lease, when this plan would change something: the plan cannot go ahead now. */
  blockedBy: Lease | null;
  /**
   * Targets the delivery would update that may hide values: the plan holds only once the run has
   * proven this tenant shows hidden values in clear (observed.shownInClear), and refuses them otherwise.
   */
  needsProof: string[];
  warnings: PlanWarning[];
}

/**
 * The plan made again after the lease, with what the first plan had to say too: the first read saw
 * things the fresh one no longer shows (another run's ignored lease, now replaced by this run's).
 */
export function replanned(final: RotationPlan, first: RotationPlan): RotationPlan {
  const seen = new Set(final.warnings.map((w) => JSON.stringify(w)));
  return { ...final, warnings: [...first.warnings.filter((w) => !seen.has(JSON.stringify(w))), ...final.warnings] };
}

/** The plan's step of a kind, if it has one. */
export function stepOf<K extends StepName>(plan: RotationPlan, kind: K): StepOf<K> | undefined {
  return plan.steps.find((s): s is StepOf<K> => s.step === kind);
}

export class PlanError extends Error {
  constructor(
    message: string,
    readonly reason: 'app-type' | 'slots-full' | 'talend-target' | 'description-full',
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

/**
 * `runUrl`: the workflow run the record's audit trail names (its length counts towards what the
 * record needs in the client's description).
 */
export function planRotation(config: Config, observed: ObservedState, now: number, runId: string, runUrl?: string): RotationPlan {
  const { client } = observed;
  const { live: foreignLease, ignored: ignoredLease } = foreignLeaseOf(observed.record, now, runId);
  const targets = configuredTargets(config);
  const keys = targets.map((t) => t.key);
  // The inputs require one; without any, a rotation would retire what every target holds.
  if (keys.length === 0) throw new Error('No Talend target is configured.');
  const steps: PlanStep[] = [];
  const check = (after: StepOf<'check-talend-task'>['after']) => {
    if (config.talendCheckTaskId) steps.push({ step: 'check-talend-task', taskId: config.talendCheckTaskId, after });
  };
  const finish = (result: PlanResult, rest: Pick<RotationPlan, 'talendMayHold' | 'notInInputs'>): RotationPlan => {
    const delivering = steps.some((s) => s.step === 'deliver-to-talend');
    const needsProof = delivering ? unproven(observed, targets, client === null) : [];
    const warnings: PlanWarning[] = [];
    // A real run asks for the proof and either goes on or stops; only a dry run has to say so.
    if (needsProof.length > 0 && config.dryRun) warnings.push({ kind: 'proof-needed', targets: needsProof });
    if (observed.recordState === 'unreadable') warnings.push({ kind: 'record-unreadable' });
    if (rest.notInInputs.length > 0) warnings.push({ kind: 'not-in-inputs', targets: rest.notInInputs });
    const held = client ? commonHolding(targetsBefore(observed.record, client.secrets, keys)) : undefined;
    if (config.rotate === 'auto' && held && secretAgeDays(held, now) === null) warnings.push({ kind: 'age-unknown' });
    if (ignoredLease) warnings.push({ kind: 'lease-ignored', lease: ignoredLease });
    const blockedBy = result === 'unchanged' ? null : foreignLease;
    if (result !== 'unchanged') refuseOverlongRecord(observed, delivering ? targets : [], { runId, runUrl, now });
    return { result, steps, ...rest, foreignLease, ignoredLease, blockedBy, needsProof, warnings };
  };

  if (client === null) {
    steps.push({ step: 'create-client', clientName: config.clientName, scopes: config.scopes }, { step: 'verify-secret' }, { step: 'deliver-to-talend', targets, drop: [], shownInClear: observed.shownInClear === true });
    check('delivery');
    steps.push({ step: 'write-record' });
    return finish('created', { talendMayHold: [], notInInputs: [] });
  }

  if (client.appType !== 'web') {
    throw new PlanError(
      `The OAuth client has appType '${plainText(client.appType, 40)}', but Talend needs a Web client with machine-to-machine access. ` +
        `Qlik cannot change a client's type, so the action cannot repair it: create a Web client (or delete this one) ` +
        `and pin it with 'client-id', or choose another 'client-name'.`,
      'app-type',
    );
  }

  const recorded = observed.record?.targets ?? [];
  const outside = recorded.filter((t) => !keys.includes(t.key));
  refuseAnotherTmc(config, outside, keys);
  // `rotate` only says when to make a new secret; taking the client from targets the inputs no
  // longer name is a separate decision (`retarget`), because those targets lose their secrets.
  const drop = config.retarget ? outside.map((t) => t.key) : [];
  const kept = outside.filter((t) => !drop.includes(t.key));
  const record = knownRecord(observed.record);
  const talendMayHold = mayHoldOf(observed.record, client.secrets, keys);
  const reason: NewSecretReason | null = drop.length > 0 ? { why: 'retarget' } : newSecretDue(config, client, record, keys, observed.targets ?? {}, now);
  const rest = { talendMayHold, notInInputs: kept.map((t) => t.key) };
  const protect = secretsAnyTargetMayHold(kept);

  steps.push(...planRepairs(config, client, observed.record));
  if (reason !== null) {
    // Even where the record cannot say everything a target holds, what it does say stays protected.
    const makeRoom = planMakeRoom(config, client.secrets, talendMayHold, secretsAnyTargetMayHold(recorded), now);
    if (makeRoom.length > 0) steps.push({ step: 'make-room', secrets: makeRoom, reclaim: talendMayHold === 'any' });
    steps.push({ step: 'create-secret', reason }, { step: 'verify-secret' }, { step: 'deliver-to-talend', targets, drop, shownInClear: observed.shownInClear === true });
    check('delivery');
    steps.push({ step: 'write-record' }, { step: 'retire-older-secrets', keep: config.keepPreviousSecrets, protect });
    if (config.revokeTokens) {
      refuseLeakKeptAlive(kept);
      steps.push({ step: 'revoke-tokens' });
    }
    return finish('rotated', rest);
  }

  // No new secret is due, so every configured target holds the same recorded secret (no pending).
  const lastCheck = record?.check?.result;
  if (lastCheck === 'failed' || lastCheck === 'pending') check('unfinished-check');
  const delivered = findSecret(client.secrets, holdingOf(record, keys[0] ?? '')?.delivered ?? null);
  const retire = delivered ? withoutHintsOf(secretsToRetire(client.secrets, delivered, config.keepPreviousSecrets, { retireNewer: true }), protect) : [];
  if (steps.length > 0 || retire.length > 0) steps.push({ step: 'write-record' });
  if (retire.length > 0) steps.push({ step: 'retire-secrets', secrets: retire });
  const plan = finish(steps.length > 0 ? 'repaired' : 'unchanged', rest);
  return config.revokeTokens ? { ...plan, warnings: [...plan.warnings, { kind: 'revoke-without-rotation' }] } : plan;
}

/**
 * After a leak (`revoke-tokens`), no secret older than the new one may stay valid: a recorded
 * target the inputs do not name would keep its (leaked) secret alive while the run passes. Stop
 * before any change and say how out: name it, or take the client from it with `retarget`.
 */
function refuseLeakKeptAlive(kept: TargetHolding[]): void {
  const alive = kept.filter((t) => secretsAnyTargetMayHold([t]).length > 0);
  if (alive.length === 0) return;
  throw new PlanError(
    `'revoke-tokens' is true, but ${alive.map((t) => describeTarget(t.key)).join(', ')} still hold(s) an older secret this run would keep valid: ` +
      'it is recorded on the client and the inputs do not name it. Name it in the inputs, so that it gets the new secret too, ' +
      "or run with 'retarget: true' to take the client from it (it loses its secret). Nothing was changed.",
    'talend-target',
  );
}

/**
 * A run writes the record several times; the longest is the one with the new secret pending at
 * every target (beside what each may hold already), the lease, a check and the scopes. If that
 * would not fit in Qlik's description, the run would fail after making a secret and could not
 * even release its lease: so it stops before any change, saying how long each part is.
 */
function refuseOverlongRecord(observed: ObservedState, targets: Target[], run: { runId: string; runUrl: string | undefined; now: number }): void {
  const existing = observed.client?.secrets ?? [];
  const base = observed.record ?? { ...EMPTY_RECORD, unknownHolder: observed.client !== null };
  // The longest hint and creation time an answer may carry.
  const newest = { hint: 'h'.repeat(MAX_HINT_LENGTH), createdAt: '2000-01-01T00:00:00.000000000+00:00' };
  const at = new Date(run.now).toISOString();
  const longest: RotationRecord = {
    ...withNewPending(base, targets, newest, [...existing, newest]),
    lease: { holder: run.runId, expiresAt: at },
    check: { result: 'pending', at },
    changedAt: at,
    changedBy: run.runUrl ?? null,
    scopes: base.scopes ?? null,
    botUserId: base.botUserId ?? 'u'.repeat(64),
  };
  const userText = observed.userText ?? '';
  const length = renderDescription(userText, longest).length;
  if (length <= DESCRIPTION_MAX) return;
  const own = userText.trimEnd().length;
  throw new PlanError(
    `The OAuth client's description is too short to hold the action's record during this run: Qlik allows ${DESCRIPTION_MAX} characters, the record needs ${length - own} ` +
      `and the description's own text has ${own} (the record names each Talend target with the secrets it may hold; this run delivers to ${targets.length}). ` +
      "Shorten the description's own text in Qlik, or name fewer Talend targets.",
    'description-full',
  );
}

/**
 * The targets a delivery would update that may hide values (docs/talend-targets.md): none when the
 * tenant is proven to show them in clear. Proven not to, or no client to prove it with (a new
 * one): the plan stops before any change, naming each target and what to do.
 */
function unproven(observed: ObservedState, targets: Target[], newClient: boolean): string[] {
  if (observed.shownInClear === true) return [];
  const problems = targets.flatMap((t) => {
    const inspection = observed.targets?.[t.key];
    const problem = inspection ? unprovenProblem(inspection, describeTarget(t.key).replace(/^TMC /, '')) : undefined;
    return problem ? [{ key: t.key, problem: `${describeTarget(t.key)}: ${problem}` }] : [];
  });
  if (problems.length === 0 || (observed.shownInClear === undefined && !newClient)) return problems.map((p) => p.key);
  throw new PlanError(
    `A Talend target cannot take the new secret without losing a value:\n${problems.map((p) => p.problem).join('\n')}` +
      (newClient ? '\n(The client is new: no secret of it could prove that Talend shows hidden values in clear.)' : ''),
    'talend-target',
  );
}

/**
 * TMC has one Qlik Cloud Authentication setting per account. A record naming the setting at
 * another URL than this run's means another TMC account shares the client (they would retire each
 * other's secrets) or TMC moved: only `retarget` says which.
 */
function refuseAnotherTmc(config: Config, outside: TargetHolding[], keys: string[]): void {
  const other = outside.find((t) => kindOfKey(t.key) === 'qlik-auth');
  if (!other || config.retarget || !keys.some((k) => kindOfKey(k) === 'qlik-auth')) return;
  throw new PlanError(
    `This OAuth client's record says its secret is delivered to another Talend target (${describeTarget(other.key)}). ` +
      "Two TMC accounts sharing one client would retire each other's secrets: give each its own 'client-name' " +
      "(or 'client-id'). If TMC really moved, run once with 'retarget: true' to deliver a new secret to this run's targets; the old target loses its secret.",
    'talend-target',
  );
}

function planRepairs(config: Config, client: OAuthClient, record: RotationRecord | null): PlanStep[] {
  const steps: PlanStep[] = [];
  if (!client.allowedGrantTypes.includes(REQUIRED_GRANT_TYPE)) {
    steps.push({ step: 'repair-grant-types', store: [...client.allowedGrantTypes, REQUIRED_GRANT_TYPE] });
  }
  // Not shown (the field is optional) is not drift: only a list without client_secret is.
  const methods = client.allowedAuthMethods;
  if (methods !== undefined && !methods.includes(REQUIRED_AUTH_METHOD)) {
    steps.push({ step: 'repair-auth-methods', store: [...methods, REQUIRED_AUTH_METHOD] });
  }
  const current = sortedSet(client.allowedScopes);
  // Talend's guide says to grant every scope: a repair adds what the input asks for and keeps
  // what a person granted, unless the scopes must be exact.
  const wanted = config.scopesExact ? config.scopes : sortedSet([...current, ...config.scopes]);
  if (!sameSet(current, wanted)) {
    // Qlik may drop scopes it does not offer. If the last repair asked for exactly these scopes and
    // Qlik kept exactly what the client has now, patching again would change nothing: no drift.
    const kept = record?.scopes;
    const keptByQlik = kept && sameSet(kept.requested, config.scopes) && sameSet(kept.kept, current);
    const op = config.scopesExact && client.scopesShown ? 'replace' : 'add';
    if (!keptByQlik) steps.push({ step: 'repair-scopes', from: current, to: wanted, op });
  }
  if (client.consentMethod !== 'trusted') steps.push({ step: 'repair-consent', from: client.consentMethod ?? 'unknown' });
  return steps;
}

/** When a new secret is due, and why (the Plan step). */
function newSecretDue(
  config: Config,
  client: OAuthClient,
  record: RotationRecord | null,
  keys: string[],
  inspections: Readonly<Record<string, TargetInspection>>,
  now: number,
): NewSecretReason | null {
  if (record === null) return { why: 'no-record' };
  const held: TargetHolding[] = [];
  for (const key of keys) {
    const holding = holdingOf(record, key);
    if (!holding) return { why: 'new-target', target: key };
    held.push(holding);
  }
  if (held.some((t) => t.pending.length > 0)) return { why: 'pending-delivery' };
  const [first] = held;
  if (!first?.delivered || held.some((t) => t.delivered === null)) return { why: 'nothing-delivered' };
  // The record says it holds this client's secret, but it names another client now: whatever
  // it holds, it is not what the record says, and only a delivery puts it right.
  const named = (key: string) => (Object.hasOwn(inspections, key) ? inspections[key]?.clientId : undefined);
  const drifted = keys.find((key) => named(key) !== undefined && named(key) !== client.clientId);
  if (drifted) return { why: 'target-drifted', target: drifted };
  if (held.some((t) => !sameSecret(t.delivered as SecretRef, first.delivered as SecretRef))) return { why: 'targets-differ' };
  const delivered = findSecret(client.secrets, first.delivered);
  if (!delivered) return { why: 'delivered-gone' };
  if (config.rotate === 'always') return { why: 'rotate-always' };
  if (config.rotate === 'auto') {
    const age = secretAgeDays(delivered, now);
    if (age !== null && age >= dueAgeDays(config.maxSecretAgeDays)) return { why: 'age', ageDays: Math.floor(age * 10) / 10, maxAgeDays: config.maxSecretAgeDays };
  }
  return null;
}

/**
 * The Make room step: free one slot for the new secret without touching anything Talend may hold.
 * `recorded`: what the record says some target holds or may hold; never deleted, not even when
 * `reclaim-unrecorded-secrets` lets the action delete secrets nobody recorded.
 */
function planMakeRoom(
  config: Config,
  secrets: ClientSecretMeta[],
  mayHold: ClientSecretMeta[] | 'any',
  recorded: SecretRef[],
  now: number,
): ClientSecretMeta[] {
  const excess = secrets.length - (MAX_SECRETS_PER_CLIENT - 1);
  const room = secretsToMakeRoom(secrets, mayHold, recorded, excess, config.reclaimUnrecordedSecrets);
  if (room) return room;
  const list = oldestFirst(secrets).map((s) => `${s.hint} (${describeAge(s, now)})`).join(', ');
  const advice =
    mayHold === 'any'
      ? (recorded.length === 0
          ? 'There is no record of which one Talend holds.'
          : 'The record does not say what every Talend target holds (a target new to it, one that never took a delivery, or a recorded secret that is gone); the ones it names are never deleted.') +
        " Delete one by hand after checking TMC, or set 'reclaim-unrecorded-secrets: true' to let the action delete the oldest secret no target is recorded to hold (a target may be disconnected until the new secret is delivered)."
      : 'Talend may hold every one of them (the delivered secrets and deliveries with an unknown outcome). Check which secret each target holds and delete another one by hand.';
  throw new PlanError(
    `The OAuth client already holds ${secrets.length} secrets, Qlik's maximum, and none can be deleted safely: ${list}. ${advice}`,
    'slots-full',
  );
}

/**
 * Another run's lease that still holds. A lease runs to its holder's deadline, at most the longest
 * run from now (plus clock skew); one that claims more was not written by a run of this action
 * and would block every run for its whole length: it is ignored.
 */
function foreignLeaseOf(record: RotationRecord | null, now: number, runId: string): { live: Lease | null; ignored: Lease | null } {
  const lease = record?.lease;
  if (!lease || lease.holder === runId) return { live: null, ignored: null };
  const expires = Date.parse(lease.expiresAt);
  if (Number.isNaN(expires) || expires <= now) return { live: null, ignored: null };
  if (expires > now + LONGEST_RUN_MS + CLOCK_SKEW_MS) return { live: null, ignored: lease };
  return { live: lease, ignored: null };
}

/**
 * What the record keeps of a scope repair: nothing when Qlik kept what was asked for (every scope
 * of the input; exactly those with `scopes-exact`); otherwise both lists, so the next run does not
 * patch again the scopes Qlik drops.
 */
export function scopesKept(requested: string[], kept: string[], exact: boolean): RotationRecord['scopes'] {
  const keptSet = sortedSet(kept);
  const asked = exact ? sameSet(keptSet, requested) : requested.every((s) => keptSet.includes(s));
  return asked ? null : { requested, kept: keptSet };
}

export function sortedSet(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = sortedSet(a);
  const sb = sortedSet(b);
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}
