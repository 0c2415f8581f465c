/**
 * What a run found and did, for the report: apply returns it, and a failure carries it as far as
 * the run got. Only apply's own run writes to it.
 */
import type { ClientSecretMeta } from '../qlik/model.js';
import type { ObservedState, RotationPlan } from './plan.js';
import { type SecretRef, holdingOf, sameSecret } from './record.js';

/**
 * The delivery as a whole: `stored` by every target, `partial` (some stored it, others refused or
 * gave no answer), `refused` by every target, or `unknown` (none stored it, some gave no answer).
 */
export type DeliveryState = 'not-needed' | 'stored' | 'partial' | 'refused' | 'unknown';

/**
 * One target at the end of the run (or now): `holds` the recorded secret, `delivered` this run's,
 * `refused` this run's (and holds what it held, if known), `unknown` (a delivery without an answer,
 * a target new to the record, no record), `not-in-inputs` (recorded, not named by this run's
 * inputs: its secrets are kept), `dropped` (taken out of the record by `retarget`).
 */
export type TargetStatus = 'holds' | 'delivered' | 'refused' | 'unknown' | 'not-in-inputs' | 'dropped';

export interface TargetState {
  key: string;
  status: TargetStatus;
  /** The secret it is known to hold, if any. */
  holds: SecretRef | null;
  /** Why a delivery failed, in words (server text already scrubbed). */
  detail?: string;
}
export type CheckState = 'not-run' | 'passed' | 'failed' | 'unknown';

/** A secret this run created (its value already masked). `deleted`: the run deleted it again. */
export interface NewSecretValue {
  value: string;
  meta: SecretRef;
  deleted?: boolean;
}

/** What the run found and did, for the report: on success, and (as far as it got) on failure. */
export interface Outcome {
  /** The plan carried out (made again after the lease read-back). */
  plan: RotationPlan;
  clientId: string | undefined;
  /** What the run found before changing anything, in words. */
  found: string;
  newSecret: NewSecretValue | undefined;
  /** The secret every configured target is known to hold at the end (or now). */
  talendHolds: SecretRef | undefined;
  delivery: DeliveryState;
  /** Each target: the configured ones in input order, then recorded ones the inputs do not name. */
  targets: TargetState[];
  check: CheckState;
  checkDetail: string | undefined;
  /** The last check recorded before this run, for the summary of a run that did not check. */
  lastCheck: { result: string; at: string } | undefined;
  /** Things to tell the user that did not stop the run (a task's auto-upgrade, say). */
  warnings: string[];
  /** What changed, in words, in the order it happened. */
  done: string[];
  /** The client's secrets as far as the run knows. */
  secrets: ClientSecretMeta[];
}

/** Before the plan is made (a plan that stops the run still reports what was found). */
const NO_PLAN: RotationPlan = { result: 'unchanged', steps: [], talendMayHold: 'any', notInInputs: [], foreignLease: null, ignoredLease: null };

/**
 * The outcome of a run that has not changed anything (yet): a dry run, or before apply. `keys`:
 * the configured targets' keys, in input order.
 */
export function initialOutcome(observed: ObservedState, keys: string[], plan: RotationPlan = NO_PLAN): Outcome {
  const record = observed.record && !observed.record.unknownHolder ? observed.record : null;
  const secrets = observed.client?.secrets ?? [];
  // Only a recorded secret that still exists, with no delivery pending, is known to be held.
  const known = (key: string): TargetState => {
    const holding = holdingOf(record, key);
    const held = holding && holding.pending.length === 0 && holding.delivered ? secrets.find((s) => sameSecret(s, holding.delivered as SecretRef)) : undefined;
    return { key, status: held ? 'holds' : 'unknown', holds: held ?? null };
  };
  const outside = (observed.record?.targets ?? []).filter((t) => !keys.includes(t.key));
  const targets = [...keys.map(known), ...outside.map((t) => ({ ...known(t.key), status: 'not-in-inputs' as const }))];
  return {
    plan,
    clientId: observed.client?.clientId,
    found: describeFound(observed),
    newSecret: undefined,
    talendHolds: commonHolding(targets),
    delivery: 'not-needed',
    targets,
    check: 'not-run',
    checkDetail: undefined,
    lastCheck: observed.record?.check ?? undefined,
    warnings: [],
    done: [],
    secrets: observed.client?.secrets ?? [],
  };
}

/** Apply stopped: `cause` says why, `outcome` what it had done by then. */
export class ApplyFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly outcome: Outcome,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ApplyFailure';
  }
}

/** The secret every configured target holds, when they all hold the same known one. */
export function commonHolding(targets: TargetState[]): SecretRef | undefined {
  const configured = targets.filter((t) => t.status !== 'not-in-inputs' && t.status !== 'dropped');
  const [first] = configured;
  // A target that refused a delivery still holds what it held.
  if (!first?.holds || !configured.every((t) => t.holds && t.status !== 'unknown' && sameSecret(t.holds, first.holds as SecretRef))) {
    return undefined;
  }
  return first.holds;
}

function describeFound(observed: ObservedState): string {
  const { client, record, recordState } = observed;
  if (!client) return 'no OAuth client with that name';
  const recordText =
    recordState === 'unreadable' ? 'an unreadable record' : !record || record.unknownHolder ? 'no record of what Talend holds' : 'a record';
  const unknown = record ? record.targets.reduce((n, t) => n + t.pending.length, 0) : 0;
  const pending = unknown > 0 ? `, ${unknown} delivery(ies) with an unknown outcome` : '';
  return `the client with ${client.secrets.length} secret(s) and ${recordText}${pending}`;
}

