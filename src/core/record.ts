/**
 * The record the action keeps on its OAuth client, inside a delimited block of the client's
 * description in Qlik. It is the only place that says which secret Talend holds: Qlik has no
 * last-used date for secrets. The user's own description text around the block is preserved.
 */

export interface SecretRef {
  hint: string;
  createdAt?: string | undefined;
}

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

export interface RotationRecord {
  /** The secret Talend is known to hold. */
  delivered: SecretRef | null;
  /** Secrets whose delivery outcome is unknown: Talend may hold any of them. */
  pending: SecretRef[];
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
   * The TMC setting the secrets are delivered to (`talend-qlik-auth-url`). Two Talend accounts
   * sharing one client would retire each other's secrets; this lets a run notice.
   */
  talendTarget: string | null;
}

export const EMPTY_RECORD: RotationRecord = {
  delivered: null,
  pending: [],
  check: null,
  lease: null,
  changedAt: null,
  changedBy: null,
  scopes: null,
  unknownHolder: false,
  talendTarget: null,
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
  if (!isObject(json) || json.v !== 1) return null;
  const delivered = orNull(json.delivered, secretRef);
  const pending = json.pending === undefined ? [] : Array.isArray(json.pending) && json.pending.length <= 20 ? json.pending.map(secretRef) : null;
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
  const record = {
    delivered,
    pending,
    check,
    lease,
    changedAt: orNull(json.changedAt, text),
    changedBy: orNull(json.changedBy, text),
    scopes,
    unknownHolder,
    talendTarget: orNull(json.talendTarget, text),
  };
  if (pending === null || pending.includes(undefined) || Object.values(record).includes(undefined)) return null;
  return record as RotationRecord;
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

export function sameSecret(a: SecretRef, b: SecretRef): boolean {
  if (a.hint !== b.hint) return false;
  // Hints are not guaranteed unique forever: when both sides know the creation time, it must match too.
  return a.createdAt === undefined || b.createdAt === undefined || a.createdAt === b.createdAt;
}

const FIELDS = ['delivered', 'pending', 'check', 'lease', 'changedAt', 'changedBy', 'scopes', 'unknownHolder', 'talendTarget'] as const;

/** Canonical text of a record: fixed field order, so equal records render equal. */
function renderRecord(record: RotationRecord): string {
  const lines = [`"v":1`, ...FIELDS.map((k) => `${JSON.stringify(k)}:${JSON.stringify(record[k])}`)];
  return `{${lines.join(',\n')}}`;
}

export function recordsEqual(a: RotationRecord, b: RotationRecord): boolean {
  return renderRecord(a) === renderRecord(b);
}
