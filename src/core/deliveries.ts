/**
 * The Record pending and Deliver steps' rules for several targets (docs/protocol.md), as pure
 * functions: what the record says before the deliveries, and what each target holds after their
 * answers. apply.ts sends the requests and writes the record; the rules are here.
 */
import type { TargetDelivery } from '../talend/client.js';
import type { DeliveryState, TargetState } from './outcome.js';
import { type RotationRecord, type SecretRef, type TargetHolding, holdingOf, sameSecret, withHoldings } from './record.js';
import { type Target, describeTarget } from './targets.js';

/** One target's answer: its delivery, or the error of a delivery without a definite answer. */
export type DeliveryAnswer = { target: Target; delivery: TargetDelivery } | { target: Target; error: string };

type Refusal = Extract<TargetDelivery, { stored: false }>;

function holding(record: RotationRecord, target: Target): TargetHolding {
  return holdingOf(record, target.key) ?? { key: target.key, delivered: null, pending: [] };
}

/**
 * The Record pending step: the new secret pending at every target. A pending secret that no
 * longer exists in Qlik (`existing`) protects nothing and is dropped, so the record stays small.
 */
export function withNewPending(record: RotationRecord, targets: Target[], meta: SecretRef, existing: SecretRef[]): RotationRecord {
  const exists = (p: SecretRef) => existing.some((s) => sameSecret(s, p));
  return withHoldings(
    record,
    targets.map((t) => ({ ...holding(record, t), pending: [...holding(record, t).pending.filter(exists), meta] })),
  );
}

export interface SettledDeliveries {
  /** What each target holds now: the new secret; what it held (a refusal); or any of them (no answer). */
  record: RotationRecord;
  /** Each answering target's state, for the report. */
  states: TargetState[];
  /** `stored` only when every target stored it. */
  delivery: Exclude<DeliveryState, 'not-needed'>;
  /** What went wrong, per target, in words (a single target is not named: it would only repeat "Talend"). */
  failures: string[];
  warnings: string[];
}

/**
 * The Deliver step's bookkeeping once every target answered. `before`: the targets' states before
 * the deliveries, for what a refusing target still holds.
 */
export function settleDeliveries(record: RotationRecord, answers: DeliveryAnswer[], meta: SecretRef, before: TargetState[]): SettledDeliveries {
  const states: TargetState[] = [];
  const holdings: TargetHolding[] = [];
  const failures: string[] = [];
  const warnings: string[] = [];
  const named = (target: Target, what: string) => (answers.length > 1 ? `${describeTarget(target.key)}: ${what}` : what);
  for (const answer of answers) {
    const { key } = answer.target;
    if (!('delivery' in answer)) {
      // No definite answer: the new secret stays pending at this target.
      states.push({ key, status: 'unknown', holds: null, detail: answer.error });
      failures.push(named(answer.target, answers.length > 1 ? `no definite answer (${answer.error})` : answer.error));
    } else if (answer.delivery.stored) {
      holdings.push({ key, delivered: meta, pending: [] });
      states.push({ key, status: 'delivered', holds: meta });
      warnings.push(...answer.delivery.warnings);
    } else {
      // A definite refusal: the target holds what it held; the new secret is not pending there.
      const was = holding(record, answer.target);
      holdings.push({ ...was, pending: was.pending.filter((p) => !sameSecret(p, meta)) });
      const detail = refusalText(answer.delivery);
      states.push({ key, status: 'refused', holds: before.find((t) => t.key === key)?.holds ?? null, detail });
      failures.push(named(answer.target, detail));
    }
  }
  const count = (status: TargetState['status']) => states.filter((s) => s.status === status).length;
  const delivery = count('delivered') === answers.length ? 'stored' : count('delivered') > 0 ? 'partial' : count('unknown') > 0 ? 'unknown' : 'refused';
  return { record: withHoldings(record, holdings), states, delivery, failures, warnings };
}

/** A target's refusal in words: its status and Talend's message (already scrubbed). */
function refusalText(delivery: Refusal): string {
  const status = delivery.status === undefined ? 'refused' : `HTTP ${delivery.status}`;
  return delivery.message ? `${status}: ${delivery.message}` : status;
}
