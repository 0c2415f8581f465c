/**
 * The rotation rules (the Plan step of docs/protocol.md), as a pure function from the configuration,
 * what was observed in Qlik and the current time to a plan. No I/O, no clock, no randomness.
 */
import type { Config } from '../config.js';
import { plainText } from '../untrusted-text.js';
import type { ClientSecretMeta, OAuthClient } from '../qlik/model.js';
import {
  commonHolding,
  holdingOf,
  knownRecord,
  secretsAnyTargetMayHold,
  secretsToMakeRoom,
  secretsToRetire,
  talendMayHold as mayHoldOf,
  targetsBefore,
  withoutHintsOf,
} from './holdings.js';
import type { TargetInspection } from '../talend/orchestration.js';
import { foreignLeaseOf, refuseAnotherTmc, refuseLeakKeptAlive, refuseOverlongRecord, unproven } from './plan-guards.js';
import { type NewSecretReason, type ObservedState, type PlanResult, type PlanStep, type PlanWarning, type RotationPlan, type StepOf, PlanError } from './plan-model.js';
import type { RotationRecord, TargetHolding } from './record.js';
import { type SecretRef, describeAge, dueAgeDays, findSecret, oldestFirst, sameSecret, secretAgeDays } from './secret-ref.js';
import { configuredTargets } from './targets.js';

/** Qlik allows this many secrets per client; the next create answers 409. */
export const MAX_SECRETS_PER_CLIENT = 5;
export const REQUIRED_GRANT_TYPE = 'client_credentials';
export const REQUIRED_AUTH_METHOD = 'client_secret';

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
      steps.push({ step: 'revoke-tokens', after: 'rotation' });
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
