/**
 * What each Talend target holds: the one home of the rules that keep nothing stranded (I1,
 * docs/protocol.md). Every change of a target's holding (the new secret pending, a delivery settled,
 * the undelivered secret taken back, targets dropped by `retarget`) and every question about
 * holdings (what Talend may hold, what a target is known to hold, which secrets may go) is a pure
 * function here.
 *
 * A holding, as the record keeps it per target: `delivered`, the secret the target is known to
 * hold, and `pending`, the secrets whose delivery had no definite answer (it may hold any of them).
 */
import type { ClientSecretMeta } from '../qlik/model.js';
import type { CheckResult, RotationRecord, TargetHolding } from './record.js';
import { type SecretRef, createdAtMs, findSecret, oldestFirst, sameSecret } from './secret-ref.js';
import { type Target, describeTarget } from './targets.js';

/**
 * How a stored delivery was confirmed: the target read back the secret itself; only the client ID
 * (Talend hides the secret, so the read-back cannot prove it); the answer alone (TMC's setting
 * cannot be read); or a check task that ran with it and passed.
 */
export type Evidence = 'secret-read-back' | 'client-id-read-back' | 'answer-only' | 'check-task';

/** A passed check proves what a hidden secret or a bare answer could not: for those, it is the evidence. */
export function confirmedByCheck(targets: TargetState[]): TargetState[] {
  return targets.map((t) => (t.status === 'delivered' && t.evidence !== 'secret-read-back' ? { ...t, evidence: 'check-task' } : t));
}

/** One target's answer to a delivery. */
export type DeliveryResult =
  /** The target stored the pair. */
  | { outcome: 'stored'; evidence: Evidence; warnings: string[] }
  /** A definite refusal (or nothing was sent): the target holds what it held. */
  | { outcome: 'refused'; status?: number | undefined; message?: string | undefined }
  /** No definite answer: the target may hold the new secret or what it held. */
  | { outcome: 'unknown'; detail: string };

/**
 * A delivery's answer. A send that throws got no definite answer: the target may hold the new
 * secret or what it held, so it is `unknown`, never a refusal.
 */
export async function answerOf(send: () => Promise<DeliveryResult>): Promise<DeliveryResult> {
  try {
    return await send();
  } catch (err) {
    return { outcome: 'unknown', detail: (err as Error).message };
  }
}

/** A refusal in words: its status (or "refused" when nothing was sent), and Talend's message if any. */
export function describeRefusal(result: Extract<DeliveryResult, { outcome: 'refused' }>): string {
  const status = result.status === undefined ? 'refused' : `HTTP ${result.status}`;
  return result.message ? `${status}: ${result.message}` : status;
}

/** The delivery as a whole: stored by every target, by some (`partial`), by none, or not known. */
export type DeliveryState = 'not-needed' | 'stored' | 'partial' | 'refused' | 'unknown';

/**
 * One target for the report, before or after the run: `holds` the recorded secret, `delivered`
 * this run's, `refused` this run's (and holds what it held, if known), `unknown` (a delivery
 * without an answer, a target new to the record, no record), `not-in-inputs` (recorded, not named
 * by this run's inputs: its secrets are kept), `dropped` (taken out of the record by `retarget`),
 * `detached` (a decommission emptied the pair there).
 */
export interface TargetState {
  key: string;
  status: 'holds' | 'delivered' | 'refused' | 'unknown' | 'not-in-inputs' | 'dropped' | 'detached';
  /** The secret it is known to hold, if any. */
  holds: SecretRef | null;
  /** Why a delivery failed, in words (server text already scrubbed). */
  detail?: string;
  /** How this run's delivery was confirmed. */
  evidence?: Evidence;
}

// ---- What Talend may hold -------------------------------------------------------------------

/** The target's holding in the record, or undefined when the record does not know the target. */
export function holdingOf(record: RotationRecord | null, key: string): TargetHolding | undefined {
  return record?.targets.find((t) => t.key === key);
}

/** Every secret the holdings name: what each target holds and may hold (the union). */
export function secretsAnyTargetMayHold(holdings: TargetHolding[]): SecretRef[] {
  return holdings.flatMap((t) => [...(t.delivered ? [t.delivered] : []), ...t.pending]);
}

/** The record, as far as it says what Talend holds: a record started on an unknown holder says nothing. */
export function knownRecord(record: RotationRecord | null): RotationRecord | null {
  return record?.unknownHolder ? null : record;
}

/**
 * The client's secrets Talend may hold, or `any` when the record cannot tell: no record; a
 * configured target the record does not know (it holds something nobody recorded, perhaps a
 * secret pasted by hand); a recorded target with nothing delivered (its deliveries so far were
 * refused or unanswered, so what it held before is unknown); a delivered secret gone from Qlik
 * (someone changed things by hand). `keys`: the configured targets.
 */
export function talendMayHold(record: RotationRecord | null, secrets: ClientSecretMeta[], keys: string[]): ClientSecretMeta[] | 'any' {
  const known = knownRecord(record);
  if (known === null) return 'any';
  if (keys.some((key) => !holdingOf(known, key)) || known.targets.some((t) => t.delivered === null)) return 'any';
  if (known.targets.some((t) => t.delivered && !findSecret(secrets, t.delivered))) return 'any';
  const refs = secretsAnyTargetMayHold(known.targets);
  return secrets.filter((s) => refs.some((r) => sameSecret(s, r)));
}

/** The secret a target is known to hold: its recorded secret, still in Qlik, with no delivery pending. */
export function knownHolding(record: RotationRecord | null, secrets: SecretRef[], key: string): SecretRef | null {
  const holding = holdingOf(knownRecord(record), key);
  if (!holding || holding.pending.length > 0 || !holding.delivered) return null;
  return findSecret(secrets, holding.delivered) ?? null;
}

/** Each target before the run: the configured ones in input order, then recorded ones the inputs do not name. */
export function targetsBefore(record: RotationRecord | null, secrets: SecretRef[], keys: string[]): TargetState[] {
  const state = (key: string): TargetState => {
    const held = knownHolding(record, secrets, key);
    return { key, status: held ? 'holds' : 'unknown', holds: held };
  };
  const outside = (record?.targets ?? []).filter((t) => !keys.includes(t.key));
  return [...keys.map(state), ...outside.map((t) => ({ ...state(t.key), status: 'not-in-inputs' as const }))];
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

/** What the report may say Talend holds: nothing while a delivery's outcome is unknown. */
export function knownHeld(targets: TargetState[], delivery: DeliveryState): SecretRef | undefined {
  return delivery === 'unknown' ? undefined : commonHolding(targets);
}

// ---- Which secrets may go -------------------------------------------------------------------

/** Drops secrets whose hint is also the hint of a protected one. */
export function withoutHintsOf<T extends SecretRef>(secrets: T[], protectedOnes: SecretRef[]): T[] {
  return secrets.filter((s) => !protectedOnes.some((p) => p.hint === s.hint));
}

/**
 * Qlik deletes by hint, and a hint may repeat: a DELETE may hit any secret with that hint. Of
 * `toDelete`, keeps only those whose hint no secret outside `toDelete` carries. The others are left
 * for a later run (a repeated hint usually goes away as secrets are retired).
 */
export function deletableByHint<T extends SecretRef>(toDelete: T[], all: SecretRef[]): T[] {
  const staying = all.filter((s) => !toDelete.includes(s as T));
  return toDelete.filter((d) => !staying.some((s) => s.hint === d.hint));
}

/**
 * Secrets to delete so that the delivered one and at most `keepPrevious` others remain, oldest
 * first. After a rotation, secrets newer than the delivered one are never candidates (another run
 * may be delivering one); on a repair the record proves Talend holds none of them, so they count.
 * A secret that shares its hint with the delivered one is never deleted: deletion goes by hint,
 * and Qlik does not promise hints are unique.
 */
export function secretsToRetire<T extends SecretRef>(secrets: T[], delivered: SecretRef, keepPrevious: number, opts: { retireNewer: boolean }): T[] {
  const deliveredAt = createdAtMs(delivered);
  const isNewer = (s: SecretRef) => deliveredAt !== null && (createdAtMs(s) ?? -Infinity) > deliveredAt;
  const others = secrets.filter((s) => !sameSecret(s, delivered));
  const candidates = oldestFirst(withoutHintsOf(opts.retireNewer ? others : others.filter((s) => !isNewer(s)), [delivered]));
  return deletableByHint(candidates.slice(0, Math.max(0, candidates.length - keepPrevious)), secrets);
}

/**
 * The Retire step after a delivery: older than the new secret, beyond `keep`, and never one that
 * `protect` names (what recorded targets outside the inputs hold or may hold).
 */
export function retireAfterDelivery<T extends SecretRef>(secrets: T[], delivered: SecretRef, keep: number, protect: SecretRef[]): T[] {
  return withoutHintsOf(secretsToRetire(secrets, delivered, keep, { retireNewer: false }), protect);
}

/**
 * The Make room step: `excess` secrets to delete without touching anything Talend may hold, oldest
 * first, or null when that many cannot go safely. `named`: what the record says some target holds
 * or may hold; never deleted, not even when `reclaim` (reclaim-unrecorded-secrets, with no record of
 * what Talend holds) lets the action delete secrets nobody recorded.
 */
export function secretsToMakeRoom<T extends SecretRef>(secrets: T[], mayHold: T[] | 'any', named: SecretRef[], excess: number, reclaim: boolean): T[] | null {
  if (excess <= 0) return [];
  const byAge = oldestFirst(secrets);
  const unheld = mayHold === 'any' ? [] : withoutHintsOf(byAge.filter((s) => !mayHold.includes(s)), mayHold);
  const freed = deletableByHint(unheld.slice(0, excess), secrets);
  if (freed.length >= excess) return freed;
  if (mayHold === 'any' && reclaim) {
    const unrecorded = withoutHintsOf(byAge.filter((s) => !named.some((r) => sameSecret(s, r))), named);
    const reclaimed = deletableByHint(unrecorded.slice(0, excess), secrets);
    if (reclaimed.length >= excess) return reclaimed;
  }
  return null;
}

/**
 * Secrets Qlik generated while the client was repaired (adding `client_secret` does that): nobody
 * holds them, so they go at once, unless a hint is shared (a later run retires those).
 */
export function generatedDuringRepair<T extends SecretRef>(before: SecretRef[], after: T[]): { deletable: T[]; shared: T[] } {
  const generated = after.filter((s) => !before.some((b) => sameSecret(b, s)));
  const deletable = deletableByHint(generated, after);
  return { deletable, shared: generated.filter((s) => !deletable.includes(s)) };
}

/** No holding names the secret: no target holds it or may hold it (the new secret every target refused). */
export function heldNowhere(record: RotationRecord, secret: SecretRef): boolean {
  return !secretsAnyTargetMayHold(record.targets).some((s) => sameSecret(s, secret));
}

/** A new secret no target holds may be deleted again, unless another secret (in `secrets`, itself included) carries its hint. */
export function mayDeleteUndelivered(secret: SecretRef, secrets: SecretRef[]): boolean {
  return !secrets.some((s) => s !== secret && s.hint === secret.hint);
}

// ---- Changes of holdings --------------------------------------------------------------------

/** The record with these holdings in place of those with the same key (sorted, so equal records render equal). */
export function withHoldings(record: RotationRecord, holdings: TargetHolding[]): RotationRecord {
  const others = record.targets.filter((t) => !holdings.some((h) => h.key === t.key));
  return { ...record, targets: [...others, ...holdings].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

function holdingFor(record: RotationRecord, key: string): TargetHolding {
  return holdingOf(record, key) ?? { key, delivered: null, pending: [] };
}

/**
 * The Record pending step: the new secret pending at every target. A pending secret that no
 * longer exists in Qlik (`existing`) protects nothing and is dropped, so the record stays small.
 */
export function withNewPending(record: RotationRecord, targets: Target[], meta: SecretRef, existing: SecretRef[]): RotationRecord {
  const exists = (p: SecretRef) => existing.some((s) => sameSecret(s, p));
  return withHoldings(
    record,
    targets.map((t) => {
      const was = holdingFor(record, t.key);
      return { ...was, pending: [...was.pending.filter(exists), meta] };
    }),
  );
}

/**
 * One target's holding after its answer: stored, it holds the new secret and nothing else is
 * pending; refused (only a definite refusal), it holds what it held and the new secret is not
 * pending there; anything unclear, the new secret stays pending: it may hold it.
 */
export function afterDelivery(record: RotationRecord, key: string, meta: SecretRef, result: DeliveryResult): RotationRecord {
  const was = holdingFor(record, key);
  switch (result.outcome) {
    case 'stored':
      return withHoldings(record, [{ key, delivered: meta, pending: [] }]);
    case 'refused': {
      const held = { ...was, pending: was.pending.filter((p) => !sameSecret(p, meta)) };
      // A target that never took a delivery and refused this one holds nothing the record knows
      // of: it leaves the record, as if never named (a mistyped URL does not bind the client to it).
      if (held.delivered === null && held.pending.length === 0) return { ...record, targets: record.targets.filter((t) => t.key !== key) };
      return withHoldings(record, [held]);
    }
    case 'unknown':
      return record;
  }
}

/** The undelivered new secret was deleted (or is proven not held): no target may hold it. */
export function withoutPending(record: RotationRecord, meta: SecretRef): RotationRecord {
  return { ...record, targets: record.targets.map((t) => ({ ...t, pending: t.pending.filter((p) => !sameSecret(p, meta)) })) };
}

/**
 * Every configured target stored the new secret: `drop` (recorded targets `retarget` takes the
 * client from) leave the record, and its holder is known from now on. `check`: the check the
 * record waits for, if one is configured.
 */
export function afterAllStored(record: RotationRecord, drop: string[], check: CheckResult | null): RotationRecord {
  return { ...record, targets: record.targets.filter((t) => !drop.includes(t.key)), check, unknownHolder: false };
}

/** One target's answer: its delivery result. */
export interface DeliveryAnswer {
  target: Target;
  result: DeliveryResult;
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
  const failures: string[] = [];
  const warnings: string[] = [];
  let next = record;
  const named = (target: Target, what: string) => (answers.length > 1 ? `${describeTarget(target.key)}: ${what}` : what);
  for (const { target, result } of answers) {
    const { key } = target;
    next = afterDelivery(next, key, meta, result);
    if (result.outcome === 'stored') {
      states.push({ key, status: 'delivered', holds: meta, evidence: result.evidence });
      warnings.push(...result.warnings);
    } else if (result.outcome === 'refused') {
      const detail = describeRefusal(result);
      states.push({ key, status: 'refused', holds: before.find((t) => t.key === key)?.holds ?? null, detail });
      failures.push(named(target, detail));
    } else {
      states.push({ key, status: 'unknown', holds: null, detail: result.detail });
      failures.push(named(target, answers.length > 1 ? `no definite answer (${result.detail})` : result.detail));
    }
  }
  const count = (status: TargetState['status']) => states.filter((s) => s.status === status).length;
  const delivery = count('delivered') === answers.length ? 'stored' : count('delivered') > 0 ? 'partial' : count('unknown') > 0 ? 'unknown' : 'refused';
  return { record: next, states, delivery, failures, warnings };
}
