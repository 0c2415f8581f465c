/**
 * The record the action keeps on its OAuth client, inside a delimited block of the client's
 * description in Qlik. It is the only place that says which secret Talend holds: Qlik has no
 * last-used date for secrets. The user's own description text around the block is preserved.
 * The rules about what each target holds are in holdings.ts; this module reads and writes the block.
 */
import type { SecretRef } from './secret-ref.js';
import { MAX_KEY_LENGTH, normalizedKey } from './targets.js';
import { isPathSafeId } from '../untrusted-text.js';

export interface CheckResult {
  /** `pending`: a delivery happened and its check has not passed yet (a killed run, say). */
  result: 'passed' | 'failed' | 'pending';
  at: string;
}

export interface Lease {
  /** The run holding it: `<GITHUB_RUN_ID>.<attempt>.<nonce>`. */
  holder: string;
  expiresAt: string;
}

/** What one Talend target holds, as far as the record knows. */
export interface TargetHolding {
  /** The target's key (src/core/targets.ts): `qlik-auth:<url>`, `connection:<id>`, `task:<id>`. */
  key: string;
  /** The secret the target is known to hold. */
  delivered: SecretRef | null;
  /** Secrets whose delivery to this target has an unknown outcome: it may hold any of them. */
  pending: SecretRef[];
}

export interface RotationRecord {
  /**
   * Per Talend target, what it holds, sorted by key. Talend may hold any secret in the union; a
   * target the inputs no longer name stays here (and its secrets stay protected) until a run with
   * `retarget: true` drops it.
   */
  targets: TargetHolding[];
  check: CheckResult | null;
  lease: Lease | null;
  /** Audit trail: when and by which workflow run the client was last changed. */
  changedAt: string | null;
  changedBy: string | null;
  /** Scopes asked for at the last repair and what Qlik kept of them (it may drop unknown ones). */
  scopes: { requested: string[]; kept: string[] } | null;
  /**
   * The record was started on a client whose holder nobody knew (a hand-made client, a lost
   * record): until a delivery succeeds, Talend may hold any of its secrets.
   */
  unknownHolder: boolean;
  /**
   * The client's bot user (the `sub` of a token the action verified a secret with): Qlik keeps it
   * when the client is deleted, and its tokens are what `revoke-tokens` and a decommission revoke.
   */
  botUserId: string | null;
}

export const EMPTY_RECORD: RotationRecord = {
  targets: [],
  check: null,
  lease: null,
  changedAt: null,
  changedBy: null,
  scopes: null,
  unknownHolder: false,
  botUserId: null,
};

/**
 * `unreadable`: a block is there but cannot be read (it is kept verbatim as the user's text);
 * `duplicate`: more than one readable block, so which one is the record is unknown.
 */
export type RecordState = 'absent' | 'unreadable' | 'ok' | 'duplicate';

export interface ParsedDescription {
  /** The description without the record block. */
  userText: string;
  record: RotationRecord | null;
  state: RecordState;
}

const BEGIN = '--- qlik-talend-oauth record (kept by the GitHub Action; do not edit) ---';
const END = '--- end of qlik-talend-oauth record ---';
/** Qlik's limit on `description`. */
export const DESCRIPTION_MAX = 4096;

/**
 * The record's JSON, checked field by field (a few lines, so the record needs no schema library:
 * it is read before anything else needs one). A missing field takes its empty value; anything
 * else that does not fit makes the whole block unreadable. Unknown fields are dropped.
 */
function toRecord(json: unknown): RotationRecord | null {
  if (!isObject(json) || (json.v !== 1 && json.v !== 2)) return null;
  const targets = json.v === 2 ? holdings(json.targets) : fromVersion1(json);
  const check = orNull(json.check, (c) =>
    isObject(c) && (c.result === 'passed' || c.result === 'failed' || c.result === 'pending') && typeof c.at === 'string'
      ? { result: c.result, at: c.at }
      : undefined,
  );
  const lease = orNull(json.lease, (l) =>
    isObject(l) && typeof l.holder === 'string' && typeof l.expiresAt === 'string' ? { holder: l.holder, expiresAt: l.expiresAt } : undefined,
  );
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const strings = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
  const scopes = orNull(json.scopes, (v) => {
    const requested = isObject(v) ? strings(v.requested) : undefined;
    const kept = isObject(v) ? strings(v.kept) : undefined;
    return requested && kept ? { requested, kept } : undefined;
  });
  const unknownHolder = json.unknownHolder === undefined ? false : typeof json.unknownHolder === 'boolean' ? json.unknownHolder : undefined;
  const botUserId = orNull(json.botUserId, (v) => (typeof v === 'string' && isPathSafeId(v) ? v : undefined));
  const record = {
    targets,
    check,
    lease,
    changedAt: orNull(json.changedAt, text),
    changedBy: orNull(json.changedBy, text),
    scopes,
    unknownHolder,
    botUserId,
  };
  if (Object.values(record).includes(undefined)) return null;
  return record as RotationRecord;
}

/** More than any run writes (MAX_TARGETS); a longer list was not written by the action. */
const MAX_RECORDED_TARGETS = 50;
const MAX_PENDING = 20;

function holdings(v: unknown): TargetHolding[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_RECORDED_TARGETS) return undefined;
  const list = v.map((t) => (isObject(t) ? holding(t.key, t.delivered, t.pending) : undefined));
  if (list.includes(undefined)) return undefined;
  const keys = new Set(list.map((t) => t?.key));
  return keys.size === list.length ? (list as TargetHolding[]) : undefined;
}

function holding(key: unknown, delivered: unknown, pending: unknown): TargetHolding | undefined {
  // A key names a target kind and something after the colon; the rest is checked where it is used.
  if (typeof key !== 'string' || !/^[a-z-]+:./.test(key) || key.length > MAX_KEY_LENGTH) return undefined;
  const d = orNull(delivered, secretRef);
  const p = pending === undefined ? [] : Array.isArray(pending) && pending.length <= MAX_PENDING ? pending.map(secretRef) : undefined;
  if (d === undefined || p === undefined || p.includes(undefined)) return undefined;
  return { key: normalizedKey(key), delivered: d, pending: p as SecretRef[] };
}

/**
 * A record of the first form (one target, TMC's setting at `talendTarget`), written before the
 * action delivered to several targets: its secrets belong to that one target. Without
 * `talendTarget` nobody knows which target held them: unreadable, so Talend may hold any secret.
 */
function fromVersion1(json: Record<string, unknown>): TargetHolding[] | undefined {
  const nothing = (json.delivered === undefined || json.delivered === null) && (json.pending === undefined || (Array.isArray(json.pending) && json.pending.length === 0));
  if (nothing) return [];
  if (typeof json.talendTarget !== 'string' || json.talendTarget === '') return undefined;
  const one = holding(`qlik-auth:${json.talendTarget}`, json.delivered, json.pending);
  return one ? [one] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field that may be null, and is null when absent; undefined when it does not fit. */
function orNull<T>(v: unknown, read: (v: unknown) => T | undefined): T | null | undefined {
  return v === undefined || v === null ? null : read(v);
}

function secretRef(v: unknown): SecretRef | undefined {
  if (!isObject(v) || typeof v.hint !== 'string' || v.hint.length < 1 || v.hint.length > 64) return undefined;
  if (v.createdAt !== undefined && typeof v.createdAt !== 'string') return undefined;
  return v.createdAt === undefined ? { hint: v.hint } : { hint: v.hint, createdAt: v.createdAt };
}

/**
 * Finds the record block: a BEGIN marker line, the JSON, an END marker line. Markers count only as
 * whole lines, so the same words inside the user's text are just text. Nothing the user wrote is
 * ever lost: a block that cannot be read (no END line, bad JSON, another version) stays in the
 * user's text verbatim, and the next write adds a fresh block after it.
 */
export function parseDescription(description: string | undefined): ParsedDescription {
  const text = description ?? '';
  // Lines with their own line ends, so text outside a readable block is kept byte for byte.
  const lines = text.split(/(?<=\n)/);
  const marker = (line: string) => line.replace(/\r?\n$/, '').trim();
  const blocks: { from: number; to: number; record: RotationRecord }[] = [];
  let sawMarker = false;
  let open = -1;
  lines.forEach((line, i) => {
    const m = marker(line);
    if (m === BEGIN) {
      // A BEGIN while another block is open orphans the first one: it stays text.
      sawMarker = true;
      open = i;
    } else if (m === END && open >= 0) {
      const record = parseRecordBody(lines.slice(open + 1, i).join(''));
      if (record) blocks.push({ from: open, to: i, record });
      open = -1;
    }
  });
  if (blocks.length === 0) return { userText: text, record: null, state: sawMarker ? 'unreadable' : 'absent' };
  if (blocks.length > 1) return { userText: text, record: null, state: 'duplicate' };
  const [block] = blocks as [(typeof blocks)[number]];
  const userText = joinUserText(lines.slice(0, block.from).join(''), lines.slice(block.to + 1).join(''));
  return { userText, record: block.record, state: 'ok' };
}

function parseRecordBody(body: string): RotationRecord | null {
  let json: unknown;
  try {
    json = JSON.parse(body.trim());
  } catch {
    return null;
  }
  return toRecord(json);
}

/** The description to store: the user's text, then the block. One JSON line per field, for people reading it in Qlik. */
export function renderDescription(userText: string, record: RotationRecord): string {
  const block = `${BEGIN}\n${renderRecord(record)}\n${END}`;
  const user = userText.trimEnd();
  return user === '' ? block : `${user}\n\n${block}`;
}

function joinUserText(before: string, after: string): string {
  const a = before.trimEnd();
  const b = after.trim();
  if (a === '') return b;
  if (b === '') return a;
  return `${a}\n\n${b}`;
}

const FIELDS = ['check', 'lease', 'changedAt', 'changedBy', 'scopes', 'unknownHolder', 'botUserId'] as const;

/**
 * Canonical text of a record: fixed field order, so equal records render equal. One line per
 * target, for people reading it in Qlik.
 */
function renderRecord(record: RotationRecord): string {
  const targets = record.targets.map((t) => JSON.stringify({ key: t.key, delivered: t.delivered, pending: t.pending }));
  const lines = [`"v":2`, `"targets":[${targets.length === 0 ? '' : `\n${targets.join(',\n')}\n`}]`, ...FIELDS.map((k) => `${JSON.stringify(k)}:${JSON.stringify(record[k])}`)];
  return `{${lines.join(',\n')}}`;
}

export function recordsEqual(a: RotationRecord, b: RotationRecord): boolean {
  return renderRecord(a) === renderRecord(b);
}
