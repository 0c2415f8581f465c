/**
 * Text that servers wrote (client names, descriptions, scopes, hints, error titles, task messages)
 * is written by other people and may be hostile. This is the one place that makes it safe to show:
 * every log line goes through `safeLogLine` (log.ts), every fragment of server text in a message
 * through `plainText`, every summary cell through `escapeHtml`. Pure functions only.
 *
 * Why: the runner reads stdout line by line, and a line that starts with `::` (after leading
 * whitespace) is a workflow command. A scope holding "\n::stop-commands::x" would switch command
 * processing off, after which `::add-mask::` lines print the secrets they should have masked.
 */
/**
 * C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
 * overrides and isolates (they make a log line read differently from what it holds).
 */
const UNSAFE = '[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]';
const UNSAFE_RUNS = new RegExp(`${UNSAFE}+`, 'g');
const HAS_UNSAFE = new RegExp(UNSAFE);

/** A line the runner would take as a workflow command: `::name…` at its start. */
const COMMAND_START = /^(\s*)::/;
/**
 * The old `##[name]…` form, defused wherever it stands (some runner versions look for it
 * anywhere), and Azure Pipelines' `##vso[…]` logging commands, which its agent finds anywhere in
 * a line (the command runs on Azure too: src/host/text.ts).
 */
const OLD_COMMAND = /##\[/g;
const AZURE_COMMAND = /##vso\[/gi;

/** Server text as one printable line: unsafe characters become a space, long text is cut. */
export function plainText(text: string, maxLength = 200): string {
  const flat = text.replace(UNSAFE_RUNS, ' ').replace(OLD_COMMAND, '# #[').replace(AZURE_COMMAND, '##vso [');
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/** True when `text` holds none of the unsafe characters (and is not longer than `maxLength`). */
export function isPlainText(text: string, maxLength = Number.POSITIVE_INFINITY): boolean {
  return text.length <= maxLength && !HAS_UNSAFE.test(text);
}

/**
 * An ID or hint taken from an answer, fit to be one URL path segment once encoded, and to be
 * printed: printable, no surrounding space, and never `.` or `..`, which would walk the path.
 */
export function isUsableSegment(value: string, maxLength: number): boolean {
  return value !== '.' && value !== '..' && value !== '' && value.trim() === value && isPlainText(value, maxLength);
}

/**
 * An ID that goes into a URL path segment and may be printed or written to an output: 1 to 256
 * URL-unreserved characters, never `.` or `..`. The rule for `client-id` and
 * `talend-check-task-id` inputs and for the client IDs Qlik answers with.
 */
export function isPathSafeId(value: string): boolean {
  return /^[A-Za-z0-9._~-]{1,256}$/.test(value) && value !== '.' && value !== '..';
}

/**
 * One log line that can never be, or start, a workflow command, whatever it quotes. A line that
 * would start like a command gets a visible `›` in front.
 */
export function safeLogLine(line: string): string {
  const flat = plainText(line, 4000);
  return COMMAND_START.test(flat) ? flat.replace(COMMAND_START, '$1› ::') : flat;
}

/** For the job summary (HTML): every cell and block, code blocks included. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
