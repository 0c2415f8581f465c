/**
 * The record the action keeps on its OAuth client, inside a delimited block of the client's
 * description in Qlik. It is the only place that says which secret Talend holds: Qlik has no
 * last-used date for secrets. The user's own description text around the block is preserved.
 */
import * as z from 'zod/mini';
import { lazy } from '../lazy.js';

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

export type RecordState = 'absent' | 'unreadable' | 'ok';

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

/** Built on first use (lazy.ts): a run that reads no record does not build it. */
const recordSchema = lazy(() => {
  const secretRef = z.object({
    hint: z.string().check(z.minLength(1), z.maxLength(64)),
    createdAt: z.optional(z.string()),
  });
  /** May be null; null when absent. */
  const orNull = <T extends z.ZodMiniType>(schema: T) => z._default(z.nullable(schema), null);
  return z.object({
    v: z.literal(1),
    delivered: orNull(secretRef),
    pending: z._default(z.array(secretRef).check(z.maxLength(20)), []),
    check: orNull(z.object({ result: z.enum(['passed', 'failed', 'pending']), at: z.string() })),
    lease: orNull(z.object({ holder: z.string(), expiresAt: z.string() })),
    changedAt: orNull(z.string()),
    changedBy: orNull(z.string()),
    scopes: orNull(z.object({ requested: z.array(z.string()), kept: z.array(z.string()) })),
    unknownHolder: z._default(z.boolean(), false),
    talendTarget: orNull(z.string()),
  });
});

export function parseDescription(description: string | undefined): ParsedDescription {
  const text = description ?? '';
  const start = text.indexOf(BEGIN);
  if (start < 0) return { userText: text, record: null, state: 'absent' };
  const end = text.indexOf(END, start + BEGIN.length);
  if (end < 0) {
    // Someone cut the block's end: where the record stopped is unknown, so only the begin marker
    // goes, and everything after it stays as the user's text (the contract keeps that text).
    return { userText: joinUserText(text.slice(0, start), text.slice(start + BEGIN.length)), record: null, state: 'unreadable' };
  }
  const userText = joinUserText(text.slice(0, start), text.slice(end + END.length));
  const body = text.slice(start + BEGIN.length, end).trim();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { userText, record: null, state: 'unreadable' };
  }
  const parsed = z.safeParse(recordSchema(), json);
  if (!parsed.success) return { userText, record: null, state: 'unreadable' };
  const { v: _version, ...record } = parsed.data;
  return { userText, record, state: 'ok' };
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
