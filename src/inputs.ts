import {
  INPUT_NAMES,
  TALEND_REGIONS,
  type Config,
  type InputName,
  type RawInputs,
  type RotateMode,
} from './config.js';
import { MAX_TARGETS } from './core/targets.js';
import { MIN_SECRET_LENGTH } from './secrets.js';
import type { ParameterNames } from './talend/orchestration.js';
import { DEFAULT_QLIK_AUTH_REQUEST, type QlikAuthDisconnect, parseQlikAuthDisconnect, parseQlikAuthRequest } from './talend/qlik-auth-request.js';
import { type AuthLocation, type Report, qlikHostWarnings, qlikTenantUrl, talendApiUrl, talendQlikAuthUrl } from './input-urls.js';
import { crossInputProblems, qlikAuthUrlOf } from './input-rules.js';
import { isPathSafeId } from './untrusted-text.js';

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

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const MAX_SCOPE_LENGTH = 256;
const MAX_SCOPES = 100;

const ROTATE_MODES: readonly RotateMode[] = ['auto', 'always', 'never'];
type TalendRegion = keyof typeof TALEND_REGIONS;
const REGIONS = Object.keys(TALEND_REGIONS) as TalendRegion[];

/** Turns the trimmed, non-empty text of one input into its value; calls `report` when it cannot. */
type Convert<T> = (text: string, report: Report) => T;

/**
 * How to read one input: `convert` turns its trimmed, non-blank text into a value; a blank input
 * is `required` (a problem), `optional` (undefined) or takes `fallback`, the action.yml default as
 * text, which goes through the same conversion.
 */
interface InputRule<T> {
  convert: Convert<T>;
  blank: { required: true } | { required: false; fallback?: string };
}

const required = <T>(convert: Convert<T>): InputRule<T> => ({ convert, blank: { required: true } });
const optional = <T>(convert: Convert<T>): InputRule<T | undefined> => ({ convert, blank: { required: false } });
const withDefault = <T>(convert: Convert<T>, fallback: string): InputRule<T> => ({ convert, blank: { required: false, fallback } });

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
  if (!isPathSafeId(text)) {
    report("must be 1 to 256 characters of letters, digits, '.', '_', '~' and '-' (and not '.' or '..')");
  }
  return text;
}

/** The entries of a list input: separated by spaces, commas or new lines. */
function listEntries(text: string): string[] {
  return text.split(/[\s,]+/).filter((entry) => entry !== '');
}

/** A list of Talend IDs (connections, tasks): each path-safe, duplicates dropped, input order kept. */
function idList(text: string, report: Report): string[] {
  const entries = listEntries(text);
  entries.forEach((entry, index) => {
    if (!isPathSafeId(entry)) {
      report(`entry ${index + 1} is not an ID: 1 to 256 characters of letters, digits, '.', '_', '~' and '-' (and not '.' or '..')`);
    }
  });
  const unique = [...new Set(entries)];
  // Only separators is not "not given": it would leave a run without the target it asked for.
  if (unique.length === 0 && text !== '') report('must list at least one ID');
  if (unique.length > MAX_TARGETS) report(`must list at most ${MAX_TARGETS} IDs`);
  return unique;
}

/** A parameter name as Talend keeps it in a connection or a task; it is sent as JSON, never in a path. */
const PARAMETER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Two parameter names: the client ID's, then the client secret's. */
function parameterNames(text: string, report: Report): ParameterNames {
  const entries = listEntries(text);
  if (entries.length !== 2) {
    report("must name exactly two parameters, the client ID's and then the client secret's, separated by a space");
  } else if (!entries.every((entry) => PARAMETER_NAME.test(entry))) {
    report("must name parameters of 1 to 128 letters, digits, '_', '.' and '-'");
  } else if (entries[0] === entries[1]) {
    report('must name two different parameters');
  }
  return { clientId: entries[0] ?? '', clientSecret: entries[1] ?? '' };
}

function scopes(text: string, report: Report): string[] {
  const entries = listEntries(text);
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

function operation(text: string, report: Report): Config['operation'] {
  if (text !== 'maintain' && text !== 'decommission') report("must be 'maintain' or 'decommission'");
  return text === 'decommission' ? 'decommission' : 'maintain';
}

/** `talend-qlik-auth-disconnect-request`, its `url` checked like `talend-qlik-auth-url`. */
function disconnectRequest(text: string, report: Report): QlikAuthDisconnect & { location: AuthLocation | undefined } {
  const request = parseQlikAuthDisconnect(text, report);
  const location = request.url === undefined ? undefined : talendQlikAuthUrl(request.url, (problem) => report(`field 'url' ${problem}`));
  return { ...request, location };
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

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/** Every input, once: how to convert it and what a blank value means. Keys in action.yml order. */
const INPUTS = {
  'qlik-tenant-url': required(qlikTenantUrl),
  'qlik-api-key': required(secret),
  'client-name': withDefault(clientName, 'Talend Management Console'),
  'client-id': optional(pathSafeId),
  scopes: withDefault(scopes, 'user_default admin_classic'),
  'scopes-exact': withDefault(boolean, 'false'),
  rotate: withDefault(rotateMode, 'auto'),
  'max-secret-age-days': withDefault(integer(1, 3650), '30'),
  'keep-previous-secrets': withDefault(integer(0, 3), '0'),
  'reclaim-unrecorded-secrets': withDefault(boolean, 'false'),
  'talend-token': optional(secret),
  'talend-region': optional(talendRegion),
  'talend-api-url': optional(talendApiUrl),
  'talend-qlik-auth-url': optional(talendQlikAuthUrl),
  'talend-check-task-id': optional(pathSafeId),
  'talend-qlik-auth-request': optional(parseQlikAuthRequest),
  'talend-client-id': optional(secret),
  'talend-client-secret': optional(secret),
  'talend-connection-ids': withDefault(idList, ''),
  'talend-connection-parameters': withDefault(parameterNames, 'client_id client_secret'),
  'talend-task-ids': withDefault(idList, ''),
  'talend-task-parameters': withDefault(parameterNames, 'QLIK_CLIENT_ID QLIK_CLIENT_SECRET'),
  retarget: withDefault(boolean, 'false'),
  'revoke-tokens': withDefault(boolean, 'false'),
  'qlik-api-key-warning-days': withDefault(integer(0, 3650), '14'),
  operation: withDefault(operation, 'maintain'),
  'confirm-decommission': optional(pathSafeId),
  'talend-qlik-auth-disconnect-request': optional(disconnectRequest),
  'dry-run': withDefault(boolean, 'false'),
  'timeout-seconds': withDefault(integer(5, 3600), '300'),
} satisfies Record<InputName, InputRule<unknown>>;

/**
 * How a front door shows and takes one input (the command's flags and --help): required, its
 * default as text, and whether it is a switch (`true`/`false`).
 */
export function inputForm(name: InputName): { required: boolean; fallback: string | undefined; isSwitch: boolean } {
  const rule = INPUTS[name] as InputRule<unknown>;
  return { required: rule.blank.required, fallback: rule.blank.required ? undefined : rule.blank.fallback, isSwitch: rule.convert === boolean };
}

export type InputValues = { [K in InputName]: (typeof INPUTS)[K] extends InputRule<infer T> ? T : never };

/** One problem: the inputs it is about, and its line of the error message. */
export interface Problem {
  inputs: InputName[];
  line: string;
}

/** Reads one input by its rule; problems go to `problems`, and the value is then undefined. */
function readInput<T>(name: InputName, rule: InputRule<T>, raw: unknown, problems: Problem[]): T | undefined {
  const problem = (what: string) => problems.push({ inputs: [name], line: `Input '${name}' ${what}.` });
  if (raw !== undefined && typeof raw !== 'string') {
    // A JavaScript caller passed something else; the runner only ever passes strings.
    problem('must be a string');
    return undefined;
  }
  const text = raw?.trim() ?? '';
  if (text === '') {
    if (rule.blank.required) {
      problem('is required');
      return undefined;
    }
    if (rule.blank.fallback === undefined) return undefined;
    // The defaults are constants that satisfy their own rules; a throw here is a bug in this file.
    return rule.convert(rule.blank.fallback, (what) => {
      throw new Error(`The built-in default of '${name}' is invalid: ${what}`);
    });
  }
  if (text.length > MAX_INPUT_LENGTH) {
    problem(`is longer than ${MAX_INPUT_LENGTH} characters`);
    return undefined;
  }
  const before = problems.length;
  const value = rule.convert(text, problem);
  return problems.length === before ? value : undefined;
}

/** The disconnect request with its URL resolved, defaulting to the TMC setting's own. */
function disconnectOf(inputs: InputValues, qlikAuthUrl: string | undefined): QlikAuthDisconnect | undefined {
  const given = inputs['talend-qlik-auth-disconnect-request'];
  if (given === undefined) return undefined;
  const { location, ...request } = given;
  return { ...request, url: location === undefined ? qlikAuthUrl : qlikAuthUrlOf(inputs, location) };
}

/** The checked inputs → the configuration; runs only when every input passed. */
function toParsedInputs(inputs: InputValues): ParsedInputs {
  const talendApiBase = inputs['talend-api-url'] ?? inputs['talend-region'] ?? '';
  const qlikAuthUrl = qlikAuthUrlOf(inputs);
  const config: Config = {
    qlikTenantUrl: inputs['qlik-tenant-url'],
    qlikApiKey: inputs['qlik-api-key'],
    clientName: inputs['client-name'],
    clientId: inputs['client-id'],
    scopes: inputs.scopes,
    scopesExact: inputs['scopes-exact'],
    rotate: inputs.rotate,
    maxSecretAgeDays: inputs['max-secret-age-days'],
    keepPreviousSecrets: inputs['keep-previous-secrets'],
    reclaimUnrecordedSecrets: inputs['reclaim-unrecorded-secrets'],
    talendAuth: inputs['talend-token']
      ? { kind: 'token', token: inputs['talend-token'] }
      : { kind: 'service-account', clientId: inputs['talend-client-id'] ?? '', clientSecret: inputs['talend-client-secret'] ?? '' },
    talendApiBase,
    talendQlikAuthUrl: qlikAuthUrl,
    talendConnectionIds: inputs['talend-connection-ids'],
    talendConnectionParameters: inputs['talend-connection-parameters'],
    talendTaskIds: inputs['talend-task-ids'],
    talendTaskParameters: inputs['talend-task-parameters'],
    talendCheckTaskId: inputs['talend-check-task-id'],
    talendQlikAuthRequest: inputs['talend-qlik-auth-request'] ?? DEFAULT_QLIK_AUTH_REQUEST,
    retarget: inputs.retarget,
    revokeTokens: inputs['revoke-tokens'],
    apiKeyWarningDays: inputs['qlik-api-key-warning-days'],
    operation: inputs.operation,
    confirmDecommission: inputs['confirm-decommission'],
    talendQlikAuthDisconnect: disconnectOf(inputs, qlikAuthUrl),
    dryRun: inputs['dry-run'],
    timeoutSeconds: inputs['timeout-seconds'],
  };
  return { config, warnings: qlikHostWarnings(config.qlikTenantUrl) };
}

/** Validate and normalise the raw inputs. Throws one `InputError` listing every problem. */
export function parseInputs(raw: RawInputs): ParsedInputs {
  const problems: Problem[] = [];
  const values: Partial<Record<InputName, unknown>> = {};
  for (const name of INPUT_NAMES) values[name] = readInput(name, INPUTS[name] as InputRule<unknown>, raw[name], problems);
  // Given is about the text: an input that was given but failed its rule is still given.
  const given = new Set(INPUT_NAMES.filter((name) => raw[name] !== undefined && (typeof raw[name] !== 'string' || raw[name].trim() !== '')));
  problems.push(...crossInputProblems(values as Partial<InputValues>, given));
  if (problems.length > 0) {
    const names = [...new Set(problems.flatMap((p) => p.inputs))];
    throw new InputError(names.length === 1 ? names[0]! : names, problems.map((p) => p.line).join('\n'));
  }
  return toParsedInputs(values as InputValues);
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
