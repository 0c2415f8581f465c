import * as z from 'zod/mini';
import {
  INPUT_NAMES,
  TALEND_REGIONS,
  type Config,
  type InputName,
  type RawInputs,
  type RotateMode,
} from './config.js';
import { lazy } from './lazy.js';
import { MIN_SECRET_LENGTH } from './secrets.js';

/**
 * The only place that turns the raw `INPUT_*` strings into a `Config`.
 *
 * Rules that hold for every input:
 * - Surrounding whitespace is trimmed; an empty or whitespace-only value counts as not given, and
 *   the contract's default applies (the runner fills defaults from action.yml, local runs do not).
 * - Every message names its input and never contains its value, nor any part of it: secrets must
 *   not reach the log, and a URL may carry a password.
 */

/** A bad input. `message` has one line per problem, each starting with the input it is about. */
export class InputError extends Error {
  constructor(
    readonly input: InputName | InputName[],
    message: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

export interface ParsedInputs {
  config: Config;
  /** Things worth telling the user that do not stop the run. Value-free, like the errors. */
  warnings: string[];
}

/** Longest value any input may have after trimming; far above any real key, URL or list. */
export const MAX_INPUT_LENGTH = 8192;

/** Characters that would break an HTTP header or a log line: C0, DEL, C1, U+2028/U+2029. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;

/** Safe as one URL path segment without encoding (RFC 3986 unreserved characters). */
const PATH_SAFE_ID = /^[A-Za-z0-9._~-]{1,256}$/;

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_SCOPE_LENGTH = 256;
const MAX_SCOPES = 100;

const ROTATE_MODES: readonly RotateMode[] = ['auto', 'always', 'never'];
type TalendRegion = keyof typeof TALEND_REGIONS;
const REGIONS = Object.keys(TALEND_REGIONS) as TalendRegion[];

const QLIK_CLOUD_HOST_SUFFIXES = ['.qlikcloud.com', '.qlikcloudgov.com'];

/** Reports one problem with the input being converted; the caller adds the input's name. */
type Report = (problem: string) => void;

/** Turns the trimmed, non-empty text of one input into its value; calls `report` when it cannot. */
type Convert<T> = (text: string, report: Report) => T;

/**
 * The zod schema of one input: trim, treat blank as not given, cap the length, then `convert`.
 * Issue messages are predicates ("must use https://"); `toInputError` prefixes the input's name,
 * which it takes from the issue's path, so no converter can forget it. `ifBlank` gives the value
 * of an input that is not given. One transform per input keeps the schema small: it is built on
 * every run, before the first request.
 */
function input<T, B>(convert: Convert<T>, ifBlank: (ctx: z.core.ParsePayload) => B) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((raw, ctx): T | B => {
      const text = raw?.trim() ?? '';
      if (text === '') return ifBlank(ctx);
      let failed = false;
      const report: Report = (message) => {
        failed = true;
        addIssue(ctx, message);
      };
      if (text.length > MAX_INPUT_LENGTH) {
        report(`is longer than ${MAX_INPUT_LENGTH} characters`);
        return z.NEVER;
      }
      const value = convert(text, report);
      return failed ? z.NEVER : value;
    }),
  );
}

function optionalInput<T>(convert: Convert<T>) {
  return input(convert, () => undefined);
}

function requiredInput<T>(convert: Convert<T>) {
  return input(convert, (ctx) => {
    addIssue(ctx, 'is required');
    return z.NEVER;
  });
}

/** `fallback` is the action.yml default as text; it goes through the same conversion. */
function inputWithDefault<T>(convert: Convert<T>, fallback: string) {
  return input(convert, () =>
    // The defaults are constants that satisfy their own rules; a throw here is a bug in this file.
    convert(fallback, (problem) => {
      throw new Error(`The built-in default is invalid: ${problem}`);
    }),
  );
}

/** What full zod's `ctx.addIssue({ code: 'custom', message })` does in a transform. */
function addIssue(ctx: z.core.ParsePayload, message: string): void {
  ctx.issues.push({ code: 'custom', message, input: ctx.value });
}

// ---------------------------------------------------------------------------------------------
// Converters
// ---------------------------------------------------------------------------------------------

function secret(text: string, report: Report): string {
  if (text.length < MIN_SECRET_LENGTH) {
    // A shorter value cannot be masked safely: the mask would blank those letters all over the log.
    report(`must be at least ${MIN_SECRET_LENGTH} characters long`);
  } else if (CONTROL_CHARS.test(text)) {
    report('must be a single line without control characters (after trimming surrounding whitespace)');
  } else if (/[^\x20-\x7e]/.test(text)) {
    // Sent in an HTTP header, which cannot carry other characters faithfully.
    report('must contain only printable ASCII characters');
  }
  return text;
}

function clientName(text: string, report: Report): string {
  if (CONTROL_CHARS.test(text)) report('must not contain line breaks or control characters');
  if ([...text].length > 512) report('must be at most 512 characters long');
  return text;
}

function pathSafeId(text: string, report: Report): string {
  // The ID becomes a URL path segment; `.` and `..` would walk the path instead.
  if (!PATH_SAFE_ID.test(text) || text === '.' || text === '..') {
    report("must be 1 to 256 characters of letters, digits, '.', '_', '~' and '-' (and not '.' or '..')");
  }
  return text;
}

function scopes(text: string, report: Report): string[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  entries.forEach((entry, index) => {
    if (entry.length > MAX_SCOPE_LENGTH) {
      report(`entry ${index + 1} is longer than ${MAX_SCOPE_LENGTH} characters`);
    } else if (!SCOPE_TOKEN.test(entry)) {
      report(
        `entry ${index + 1} is not a valid scope (printable ASCII characters only, without '"' or '\\')`,
      );
    }
  });
  const unique = [...new Set(entries)].sort();
  if (unique.length === 0) report('must list at least one scope');
  if (unique.length > MAX_SCOPES) report(`must list at most ${MAX_SCOPES} different scopes`);
  return unique;
}

function rotateMode(text: string, report: Report): RotateMode {
  const mode = ROTATE_MODES.find((m) => m === text.toLowerCase());
  if (mode === undefined) report(`must be one of: ${ROTATE_MODES.join(', ')}`);
  return mode ?? 'auto';
}

function boolean(text: string, report: Report): boolean {
  const lower = text.toLowerCase();
  if (lower !== 'true' && lower !== 'false') report("must be 'true' or 'false'");
  return lower === 'true';
}

function integer(min: number, max: number): Convert<number> {
  return (text, report) => {
    // Decimal digits only: Number() would also take '1e3', '0x1f', '+5' and '30.0'.
    const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) report(`must be a whole number from ${min} to ${max}`);
    return value;
  };
}

function talendRegion(text: string, report: Report): string {
  const region = REGIONS.find((r) => r === text);
  if (region === undefined) report(`must be one of: ${REGIONS.join(', ')}`);
  return region === undefined ? '' : TALEND_REGIONS[region];
}

function isLoopbackHost(hostname: string): boolean {
  // WHATWG URL has already normalised the host: lower-case, IPv4 as dotted decimal, IPv6 compressed.
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(hostname)
  );
}

/**
 * The URL rules shared by every URL input. Checks the raw text as well as the parsed URL, because
 * the parser quietly drops an empty query or fragment and removes tabs and new lines.
 */
function isDotSegment(segment: string): boolean {
  const s = segment.replace(/%2e/gi, '.');
  return s === '.' || s === '..';
}

function checkedUrl(text: string, report: Report): URL | undefined {
  let rawProblems = 0;
  const note: Report = (problem) => {
    rawProblems += 1;
    report(problem);
  };
  if (WHITESPACE_OR_CONTROL.test(text)) note('must not contain spaces or control characters');
  if (text.includes('@')) note("must not contain user-info or any '@'");
  if (text.includes('?')) note("must not contain a query ('?')");
  if (text.includes('#')) note("must not contain a fragment ('#')");
  // The URL parser resolves '.' and '..' silently: the request would go to a path other than the
  // one written. Checked on the raw text, after the scheme and host.
  const rawPath = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '');
  if (rawPath.split('/').some(isDotSegment)) note("must not contain '.' or '..' segments");

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    if (rawProblems === 0) report('must be an absolute https:// URL');
    return undefined;
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))) {
    report('must use https:// (http:// is allowed only for loopback hosts)');
  }
  // Unreachable after the raw checks above; kept so a parser quirk cannot let one through.
  const hidden = url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '';
  if (rawProblems === 0 && hidden) {
    report('must not contain user-info, a query or a fragment');
  }
  return url;
}

/** The tenant's origin: no path, no trailing slash. */
function qlikTenantUrl(text: string, report: Report): string {
  const url = checkedUrl(text, report);
  if (url === undefined) return '';
  if (url.pathname !== '/') report("must not have a path (a trailing '/' is allowed)");
  return url.origin;
}

/** A base URL: origin plus path, without a trailing slash. */
function talendApiUrl(text: string, report: Report): string {
  const url = checkedUrl(text, report);
  if (url === undefined) return '';
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

type AuthLocation = { kind: 'absolute'; url: string } | { kind: 'path'; path: string };

/** RFC 3986 path characters; anything else would be re-encoded or reinterpreted by a URL parser. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]+$/;

function talendQlikAuthUrl(text: string, report: Report): AuthLocation {
  if (text.startsWith('/')) {
    const path = text;
    if (WHITESPACE_OR_CONTROL.test(path)) report('must not contain spaces or control characters');
    if (path.includes('?')) report("must not contain a query ('?')");
    if (path.includes('#')) report("must not contain a fragment ('#')");
    if (path.includes('\\')) report("must not contain '\\'");
    if (path.includes('//')) report("must not contain '//'");
    if (path.split('/').some(isDotSegment)) {
      report("must not contain '.' or '..' segments");
    }
    if (/%(?![0-9A-Fa-f]{2})/.test(path)) report("must use '%' only as a %XX escape");
    if (path === '/') report("must name a path below the Talend API base, not '/' alone");
    // Characters already reported above are left out, so each problem is named once.
    if (!WHITESPACE_OR_CONTROL.test(path) && !PATH_CHARS.test(path.replace(/[?#\\]/g, ''))) {
      report("may contain only letters, digits and the characters -._~!$&'()*+,;=:@%/");
    }
    return { kind: 'path', path };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) {
    const url = checkedUrl(text, report);
    return { kind: 'absolute', url: url === undefined ? '' : `${url.origin}${url.pathname}` };
  }
  report("must be an absolute https:// URL or a path starting with '/'");
  return { kind: 'path', path: '' };
}

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

const TALEND_BASE_INPUTS: InputName[] = ['talend-region', 'talend-api-url'];

/**
 * Raw inputs → `ParsedInputs`. Keys follow `INPUT_NAMES`, so problems are listed in that order.
 * Built on the first call (lazy.ts), not when the module is loaded.
 */
const inputsSchema = lazy(() =>
  z
    .object({
      'qlik-tenant-url': requiredInput(qlikTenantUrl),
      'qlik-api-key': requiredInput(secret),
      'client-name': inputWithDefault(clientName, 'Talend Management Console'),
      'client-id': optionalInput(pathSafeId),
      scopes: inputWithDefault(scopes, 'user_default admin_classic'),
      rotate: inputWithDefault(rotateMode, 'auto'),
      'max-secret-age-days': inputWithDefault(integer(1, 3650), '30'),
      'keep-previous-secrets': inputWithDefault(integer(0, 3), '0'),
      'reclaim-unrecorded-secrets': inputWithDefault(boolean, 'false'),
      'talend-token': requiredInput(secret),
      'talend-region': optionalInput(talendRegion),
      'talend-api-url': optionalInput(talendApiUrl),
      'talend-qlik-auth-url': requiredInput(talendQlikAuthUrl),
      'talend-check-task-id': optionalInput(pathSafeId),
      retarget: inputWithDefault(boolean, 'false'),
      'dry-run': inputWithDefault(boolean, 'false'),
      'timeout-seconds': inputWithDefault(integer(5, 3600), '300'),
    } satisfies Record<InputName, z.ZodMiniType>)
    .check(
      z.superRefine(
        (inputs, ctx) => {
          // An input that was given but failed holds zod's NEVER marker, not undefined: still "given".
          const given = TALEND_BASE_INPUTS.filter((name) => inputs[name as keyof typeof inputs] !== undefined);
          if (given.length !== 1) {
            ctx.addIssue({
              code: 'custom',
              path: [],
              params: { inputs: TALEND_BASE_INPUTS },
              message: `Inputs 'talend-region' and 'talend-api-url': set exactly one (${given.length === 0 ? 'neither is set' : 'both are set'}).`,
            });
          }
        },
        // Run even when other inputs failed, so one run reports every problem.
        { when: () => true },
      ),
    ),
);

/** The checked inputs → the configuration; runs only when every input passed. */
function toParsedInputs(inputs: z.output<ReturnType<typeof inputsSchema>>): ParsedInputs {
  const talendApiBase = inputs['talend-api-url'] ?? inputs['talend-region'] ?? '';
  const auth = inputs['talend-qlik-auth-url'];
  const config: Config = {
    qlikTenantUrl: inputs['qlik-tenant-url'],
    qlikApiKey: inputs['qlik-api-key'],
    clientName: inputs['client-name'],
    clientId: inputs['client-id'],
    scopes: inputs.scopes,
    rotate: inputs.rotate,
    maxSecretAgeDays: inputs['max-secret-age-days'],
    keepPreviousSecrets: inputs['keep-previous-secrets'],
    reclaimUnrecordedSecrets: inputs['reclaim-unrecorded-secrets'],
    talendToken: inputs['talend-token'],
    talendApiBase,
    // The base never ends in '/', the path always starts with one: the base's own path is kept.
    talendQlikAuthUrl: auth.kind === 'absolute' ? auth.url : `${talendApiBase}${auth.path}`,
    talendCheckTaskId: inputs['talend-check-task-id'],
    retarget: inputs.retarget,
    dryRun: inputs['dry-run'],
    timeoutSeconds: inputs['timeout-seconds'],
  };
  return { config, warnings: qlikHostWarnings(config.qlikTenantUrl) };
}

function qlikHostWarnings(origin: string): string[] {
  const { hostname } = new URL(origin);
  if (isLoopbackHost(hostname) || QLIK_CLOUD_HOST_SUFFIXES.some((s) => hostname.endsWith(s))) return [];
  return ["qlik-tenant-url's host is not a qlikcloud.com host; continuing"];
}

function isInputName(key: unknown): key is InputName {
  return (INPUT_NAMES as readonly unknown[]).includes(key);
}

function toInputError(issues: readonly z.core.$ZodIssue[]): InputError {
  const names: InputName[] = [];
  const lines: string[] = [];
  for (const issue of issues) {
    const key = issue.path[0];
    if (isInputName(key)) {
      names.push(key);
      // A non-custom issue is zod's own (a caller passed a non-string); its wording is value-free
      // but not ours.
      lines.push(`Input '${key}' ${issue.code === 'custom' ? issue.message : 'must be a string'}.`);
    } else {
      const params = issue.code === 'custom' ? (issue.params as { inputs?: unknown } | undefined) : undefined;
      const inputs = Array.isArray(params?.inputs) ? params.inputs.filter(isInputName) : [];
      names.push(...inputs);
      lines.push(issue.message);
    }
  }
  const unique = [...new Set(names)];
  const input = unique.length === 1 && unique[0] !== undefined ? unique[0] : unique;
  return new InputError(input, lines.join('\n'));
}

/** Validate and normalise the raw inputs. Throws one `InputError` listing every problem. */
export function parseInputs(raw: RawInputs): ParsedInputs {
  const result = z.safeParse(inputsSchema(), raw);
  if (!result.success) throw toInputError(result.error.issues);
  return toParsedInputs(result.data);
}

/**
 * The raw inputs as the runner passes them: `INPUT_` + the name upper-cased, hyphens kept
 * (`INPUT_QLIK-API-KEY`). Values are returned untouched; `parseInputs` decides about whitespace,
 * which is why this does not use `core.getInput` (it trims).
 */
export function readRawInputs(env: NodeJS.ProcessEnv = process.env): RawInputs {
  const raw: RawInputs = {};
  for (const name of INPUT_NAMES) {
    raw[name] = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
  }
  return raw;
}

/** A log-safe view of the configuration, keyed like the inputs. Secrets show only whether set. */
export function describeConfig(config: Config): Record<string, string> {
  const secretState = (value: string): string => (value === '' ? '(not set)' : '(set)');
  return {
    'qlik-tenant-url': config.qlikTenantUrl,
    'qlik-api-key': secretState(config.qlikApiKey),
    'client-name': config.clientName,
    'client-id': config.clientId ?? '(not set)',
    scopes: config.scopes.join(' '),
    rotate: config.rotate,
    'max-secret-age-days': String(config.maxSecretAgeDays),
    'keep-previous-secrets': String(config.keepPreviousSecrets),
    'reclaim-unrecorded-secrets': String(config.reclaimUnrecordedSecrets),
    'talend-token': secretState(config.talendToken),
    'talend-api-base': config.talendApiBase,
    'talend-qlik-auth-url': config.talendQlikAuthUrl,
    'talend-check-task-id': config.talendCheckTaskId ?? '(not set)',
    retarget: String(config.retarget),
    'dry-run': String(config.dryRun),
    'timeout-seconds': String(config.timeoutSeconds),
  };
}
