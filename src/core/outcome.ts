/**
 * What a run found and did, for the report: apply returns it, also with the failure that stopped
 * it part-way. Only apply's own run writes to it.
 */
import type { ApiKeyState } from '../qlik/api-key.js';
import type { ClientSecretMeta } from '../qlik/model.js';
import { type DeliveryState, type TargetState, targetsBefore } from './holdings.js';
import type { ObservedState, RotationPlan } from './plan-model.js';
import type { SecretRef } from './secret-ref.js';

export type CheckState = 'not-run' | 'passed' | 'failed' | 'unknown';

/** A secret this run created (its value already masked). `deleted`: the run deleted it again. */
export interface NewSecretValue {
  value: string;
  meta: SecretRef;
  deleted?: boolean;
}

/** What the run found and did, for the report: on success, and (as far as it got) on failure. */
export interface Outcome {
  /** The plan carried out (the final one, made on the read after the lease). */
  plan: RotationPlan;
  clientId: string | undefined;
  /** What the run found before changing anything, in words. */
  found: string;
  newSecret: NewSecretValue | undefined;
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
  /** When the admin API key expires, as far as Qlik says (undefined: not read). */
  apiKey: ApiKeyState | undefined;
  /** OAuth tokens of the bot user this run revoked (undefined: none was to be revoked). */
  tokensRevoked: number | undefined;
}

/** Before the plan is made (a plan that stops the run still reports what was found). */
const NO_PLAN: RotationPlan = {
  result: 'unchanged',
  steps: [],
  talendMayHold: 'any',
  notInInputs: [],
  foreignLease: null,
  ignoredLease: null,
  blockedBy: null,
  needsProof: [],
  warnings: [],
};

/**
 * The outcome of a run that has not changed anything (yet): a dry run, or before apply. `keys`:
 * the configured targets' keys, in input order.
 */
export function initialOutcome(observed: ObservedState, keys: string[], plan: RotationPlan = NO_PLAN): Outcome {
  const secrets = observed.client?.secrets ?? [];
  return {
    plan,
    clientId: observed.client?.clientId,
    found: describeFound(observed),
    newSecret: undefined,
    delivery: 'not-needed',
    targets: targetsBefore(observed.record, secrets, keys),
    check: 'not-run',
    checkDetail: undefined,
    lastCheck: observed.record?.check ?? undefined,
    warnings: [],
    done: [],
    secrets,
    apiKey: observed.apiKey,
    tokensRevoked: undefined,
  };
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
