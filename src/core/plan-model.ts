/**
 * What a plan is made of, for every planner (plan.ts for a rotation, decommission.ts for the end
 * of the integration): what Read state observed, the steps, the warnings, the result. Pure types
 * and the few functions that only look at them.
 */
import type { ApiKeyState } from '../qlik/api-key.js';
import type { ClientSecretMeta, ConsentMethod, OAuthClient } from '../qlik/model.js';
import type { TargetInspection } from '../talend/orchestration.js';
import { type Lease, type RecordState, type RotationRecord, parseDescription } from './record.js';
import type { SecretRef } from './secret-ref.js';
import type { Target } from './targets.js';

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
  /**
   * Every OAuth token of the client's bot user: after a leak (`revoke-tokens`), once the old
   * secrets are retired; in a decommission, before the client is deleted and once more after.
   */
  | { step: 'revoke-tokens'; after: 'rotation' | 'decommission' }
  /** A decommission: empty the pair's parameters in these connections and tasks, everything else kept. */
  | { step: 'detach-targets'; targets: Target[]; shownInClear: boolean }
  /** A decommission: TMC's Qlik Cloud Authentication, through `talend-qlik-auth-disconnect-request`. */
  | { step: 'disconnect-tmc'; url: string }
  /** A decommission: the client itself (its secrets and record go with it; Qlik keeps its bot user). */
  | { step: 'delete-client' };

export type StepName = PlanStep['step'];

export type StepOf<K extends StepName> = Extract<PlanStep, { step: K }>;

export type PlanResult = 'created' | 'rotated' | 'repaired' | 'unchanged' | 'decommissioned';

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
  | { kind: 'revoke-without-rotation' }
  /** A decommission cannot call TMC's setting (no disconnect request, or another URL): a person presses Disconnect. */
  | { kind: 'press-disconnect'; targets: string[] }
  /** A decommission leaves the client's bot user in Qlik: its ID, or null when the record does not name it. */
  | { kind: 'bot-user-stays'; botUserId: string | null };

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
    readonly reason: 'app-type' | 'slots-full' | 'talend-target' | 'description-full' | 'confirm',
  ) {
    super(message);
    this.name = 'PlanError';
  }
}
