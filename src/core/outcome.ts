/**
 * What a run found and did, for the report: apply returns it, and a failure carries it as far as
 * the run got. Only apply's own run writes to it.
 */
import type { ClientSecretMeta } from '../qlik/model.js';
import type { ObservedState, RotationPlan } from './plan.js';
import { type SecretRef, sameSecret } from './record.js';

export type DeliveryState = 'not-needed' | 'stored' | 'refused' | 'unknown';
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
  /** The secret Talend is known to hold at the end (or now). */
  talendHolds: SecretRef | undefined;
  delivery: DeliveryState;
  check: CheckState;
  checkDetail: string | undefined;
  /** The last check recorded before this run, for the summary of a run that did not check. */
  lastCheck: { result: string; at: string } | undefined;
  /** What changed, in words, in the order it happened. */
  done: string[];
  /** The client's secrets as far as the run knows. */
  secrets: ClientSecretMeta[];
}

/** Before the plan is made (a plan that stops the run still reports what was found). */
const NO_PLAN: RotationPlan = { result: 'unchanged', steps: [], talendMayHold: 'any', foreignLease: null, ignoredLease: null };

/** The outcome of a run that has not changed anything (yet): a dry run, or before apply. */
export function initialOutcome(observed: ObservedState, plan: RotationPlan = NO_PLAN): Outcome {
  // Only a recorded secret that still exists, with no delivery pending, is known to be in Talend.
  const record = observed.record;
  const delivered = record && !record.unknownHolder && record.pending.length === 0 ? record.delivered : null;
  return {
    plan,
    clientId: observed.client?.clientId,
    found: describeFound(observed),
    newSecret: undefined,
    talendHolds: delivered ? observed.client?.secrets.find((s) => sameSecret(s, delivered)) : undefined,
    delivery: 'not-needed',
    check: 'not-run',
    checkDetail: undefined,
    lastCheck: record?.check ?? undefined,
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

function describeFound(observed: ObservedState): string {
  const { client, record, recordState } = observed;
  if (!client) return 'no OAuth client with that name';
  const recordText =
    recordState === 'unreadable' ? 'an unreadable record' : !record || record.unknownHolder ? 'no record of what Talend holds' : 'a record';
  const pending = record && record.pending.length > 0 ? `, ${record.pending.length} delivery(ies) with an unknown outcome` : '';
  return `the client with ${client.secrets.length} secret(s) and ${recordText}${pending}`;
}

