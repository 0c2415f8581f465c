import { host } from './host/host.js';
import { isPlainText, plainText } from './untrusted-text.js';

/**
 * Shorter values are never registered: a one-letter mask blanks that letter in the whole job log.
 * Every secret the action accepts (inputs, Qlik's secrets and tokens) is checked against this first.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * A secret a server sent that can be masked safely: one printable line, no surrounding space, at
 * least MIN_SECRET_LENGTH characters. Anything else is refused, never registered or used.
 */
export function isMaskableSecret(value: string, maxLength: number): boolean {
  return value.length >= MIN_SECRET_LENGTH && value.trim() === value && isPlainText(value, maxLength);
}

/**
 * Every secret the run has seen. Registering a value masks it in the CI's log for the rest of the
 * job (where the CI can mask) and lets `redact` and the text hosts scrub it from what they print.
 */
const known = new Set<string>();

/**
 * Register a secret with the CI's mask (host.ts). Call it the moment a secret exists, before the value
 * can reach a log, an output or an error. Each line is registered too, because older self-hosted
 * runners do not split multi-line values themselves.
 */
export function registerSecret(value: string | undefined | null): void {
  if (value === undefined || value === null) return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH || known.has(value)) return;
  known.add(value);
  host().mask(value);
  for (const line of value.split(/\r?\n|\r/)) {
    const l = line.trim();
    if (l.length >= MIN_SECRET_LENGTH && l !== trimmed && !known.has(l)) {
      known.add(l);
      host().mask(l);
    }
  }
}

/**
 * Long runs of token characters: a secret the run never saw (an echo of something unknown) still
 * looks like this, so untrusted text loses them too.
 */
const TOKEN_LIKE = /[A-Za-z0-9_\-.~+/=]{24,}/g;

/** Scrub untrusted text (a server's error title or message) before it reaches a log or an error. */
export function redact(text: string, maxLength = 200): string {
  // Control characters could forge workflow commands (`::set-output`) or break the log layout.
  return plainText(scrubKnownSecrets(text).replace(TOKEN_LIKE, '***'), maxLength).trim();
}

/** Replaces every registered secret in `text` with `***` (the runner's mask does the same to logs). */
export function scrubKnownSecrets(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  return out;
}

/** For tests: forget what was registered. */
export function resetSecretsForTest(): void {
  known.clear();
}
