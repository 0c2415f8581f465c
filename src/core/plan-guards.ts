/**
 * What stops a plan before any change (the Plan step of docs/protocol.md): another TMC account's
 * setting in the record, a leaked secret a target outside the inputs would keep valid, a record
 * that would not fit in the client's description, a target that may hide values unproven, and
 * the lease of another run. Pure.
 */
import type { Config } from '../config.js';
import { MAX_HINT_LENGTH } from '../qlik/model.js';
import { unprovenProblem } from '../talend/orchestration.js';
import { secretsAnyTargetMayHold, withNewPending } from './holdings.js';
import { type ObservedState, PlanError } from './plan-model.js';
import { DESCRIPTION_MAX, EMPTY_RECORD, type Lease, type RotationRecord, type TargetHolding, renderDescription } from './record.js';
import { CLOCK_SKEW_MS } from './secret-ref.js';
import { type Target, describeTarget, kindOfKey } from './targets.js';

/** No run of the action lasts longer (timeout-seconds is at most 3600). */
const LONGEST_RUN_MS = 3600 * 1000;

/**
 * After a leak (`revoke-tokens`), no secret older than the new one may stay valid: a recorded
 * target the inputs do not name would keep its (leaked) secret alive while the run passes. Stop
 * before any change and say how out: name it, or take the client from it with `retarget`.
 */
export function refuseLeakKeptAlive(kept: TargetHolding[]): void {
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
export function refuseOverlongRecord(observed: ObservedState, targets: Target[], run: { runId: string; runUrl: string | undefined; now: number }): void {
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
export function unproven(observed: ObservedState, targets: Target[], newClient: boolean, doing = 'take the new secret'): string[] {
  if (observed.shownInClear === true) return [];
  const problems = targets.flatMap((t) => {
    const inspection = observed.targets?.[t.key];
    const problem = inspection ? unprovenProblem(inspection, describeTarget(t.key).replace(/^TMC /, '')) : undefined;
    return problem ? [{ key: t.key, problem: `${describeTarget(t.key)}: ${problem}` }] : [];
  });
  if (problems.length === 0 || (observed.shownInClear === undefined && !newClient)) return problems.map((p) => p.key);
  throw new PlanError(
    `A Talend target cannot ${doing} without losing a value:\n${problems.map((p) => p.problem).join('\n')}` +
      (newClient ? '\n(The client is new: no secret of it could prove that Talend shows hidden values in clear.)' : ''),
    'talend-target',
  );
}

/**
 * TMC has one Qlik Cloud Authentication setting per account. A record naming the setting at
 * another URL than this run's means another TMC account shares the client (they would retire each
 * other's secrets) or TMC moved: only `retarget` says which.
 */
export function refuseAnotherTmc(config: Config, outside: TargetHolding[], keys: string[]): void {
  const other = outside.find((t) => kindOfKey(t.key) === 'qlik-auth');
  if (!other || config.retarget || !keys.some((k) => kindOfKey(k) === 'qlik-auth')) return;
  throw new PlanError(
    `This OAuth client's record says its secret is delivered to another Talend target (${describeTarget(other.key)}). ` +
      "Two TMC accounts sharing one client would retire each other's secrets: give each its own 'client-name' " +
      "(or 'client-id'). If TMC really moved, run once with 'retarget: true' to deliver a new secret to this run's targets; the old target loses its secret.",
    'talend-target',
  );
}

/**
 * Another run's lease that still holds. A lease runs to its holder's deadline, at most the longest
 * run from now (plus clock skew); one that claims more was not written by a run of this action
 * and would block every run for its whole length: it is ignored.
 */
export function foreignLeaseOf(record: RotationRecord | null, now: number, runId: string): { live: Lease | null; ignored: Lease | null } {
  const lease = record?.lease;
  if (!lease || lease.holder === runId) return { live: null, ignored: null };
  const expires = Date.parse(lease.expiresAt);
  if (Number.isNaN(expires) || expires <= now) return { live: null, ignored: null };
  if (expires > now + LONGEST_RUN_MS + CLOCK_SKEW_MS) return { live: null, ignored: lease };
  return { live: lease, ignored: null };
}
