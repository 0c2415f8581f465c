/**
 * A secret as the action names it: Qlik's hint and creation time, never its value. Which secret is
 * which, how old it is, and the times the action prints about it. Pure.
 */

export interface SecretRef {
  hint: string;
  createdAt?: string | undefined;
}

const DAY_MS = 86_400_000;
/** Clocks of runners and Qlik may disagree by this much; beyond it a time in the future is wrong. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The same secret: the same hint and, where both sides know it, the same creation time, compared as
 * an instant (Qlik may write one time as `…00.621000000Z` in one answer and `…00.621+00:00` in the
 * next; the record keeps whichever it saw).
 */
export function sameSecret(a: SecretRef, b: SecretRef): boolean {
  if (a.hint !== b.hint) return false;
  // Hints are not guaranteed unique forever: when both sides know the creation time, it must match too.
  if (a.createdAt === undefined || b.createdAt === undefined) return true;
  const [ta, tb] = [createdAtMs(a), createdAtMs(b)];
  return ta !== null && tb !== null ? ta === tb : a.createdAt === b.createdAt;
}

export function findSecret<T extends SecretRef>(secrets: T[], ref: SecretRef | null): T | undefined {
  return ref ? secrets.find((s) => sameSecret(s, ref)) : undefined;
}

/** The creation time in milliseconds, or null when there is none or it cannot be read. */
export function createdAtMs(secret: SecretRef): number | null {
  if (!secret.createdAt) return null;
  const t = Date.parse(secret.createdAt);
  return Number.isFinite(t) ? t : null;
}

/** Oldest first; a secret without a creation time counts as the oldest. */
export function oldestFirst<T extends SecretRef>(secrets: T[]): T[] {
  const key = (s: SecretRef) => createdAtMs(s) ?? Number.MIN_SAFE_INTEGER;
  return [...secrets].sort((a, b) => key(a) - key(b));
}

/**
 * Age in days, or null when unknown: no creation time, or one in the future beyond clock skew (a
 * server that says so is wrong, and `rotate: auto` must not read "never due" into it).
 */
export function secretAgeDays(secret: SecretRef, now: number): number | null {
  const at = createdAtMs(secret);
  if (at === null || at > now + CLOCK_SKEW_MS) return null;
  return Math.max(0, now - at) / DAY_MS;
}

export function describeAge(secret: SecretRef, now: number): string {
  const age = secretAgeDays(secret, now);
  if (age !== null) return `${formatDays(age)} days old`;
  return createdAtMs(secret) === null ? 'age unknown' : 'created in the future (age unknown)';
}

export function formatDays(days: number): string {
  return days >= 10 ? String(Math.floor(days)) : String(Math.floor(days * 10) / 10);
}

/** A time as ISO text, or undefined when it is outside what a Date can hold (never throws). */
export function isoTime(ms: number): string | undefined {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A secret's creation time as the action itself formats it, or undefined when unusable. */
export function createdAtLabel(secret: SecretRef | undefined): string | undefined {
  const at = secret ? createdAtMs(secret) : null;
  return at === null ? undefined : isoTime(at);
}

/**
 * How much earlier than `max-secret-age-days` a secret counts as due: a tenth of it, at most three
 * days. A schedule is not a clock: a monthly cron sees 28 to 31 days between runs, and a run that
 * starts late makes the next one find its secret a little younger than the schedule's period. With
 * the default 30 days and a monthly schedule, every monthly run rotates (28 days ≥ 27).
 */
export function dueGraceDays(maxSecretAgeDays: number): number {
  return Math.min(maxSecretAgeDays / 10, 3);
}

/** Age at which `rotate: auto` rotates. */
export function dueAgeDays(maxSecretAgeDays: number): number {
  return maxSecretAgeDays - dueGraceDays(maxSecretAgeDays);
}

export function nextRotationDue(secret: SecretRef | undefined, maxSecretAgeDays: number): string | undefined {
  const at = secret ? createdAtMs(secret) : null;
  return at === null ? undefined : isoTime(at + dueAgeDays(maxSecretAgeDays) * DAY_MS);
}
