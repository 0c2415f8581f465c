/**
 * The two places Talend's published Orchestration API (2021-03) keeps values a Job reads: a TMC
 * connection's parameters and a task's parameters. Pure: what Read state learns of such a target,
 * what to send so that exactly the client ID and secret change and nothing else is lost, and what
 * a read-back proves.
 *
 * Both PUTs replace what they are given (a task PUT the whole task; a connection PUT its parameter
 * list, assumed, see docs/talend-targets.md), so an update is the whole object read just before,
 * with two values changed. A value Talend may hide (a connection parameter not shown as
 * `encrypted: false`; a task parameter its artifact does not declare as a plain type) may come
 * back as a mask of any form, empty, or not at all: writing it back would destroy it. Such a value
 * is written back only once the run has proven this tenant shows hidden values in clear (the value
 * read for the target's own secret parameter works at Qlik's /oauth/token); how a string looks
 * decides nothing.
 */
import type { Evidence } from '../core/holdings.js';
import { plainText } from '../untrusted-text.js';

export interface ConnectionParameter {
  name: string;
  value?: string | null;
  encrypted?: boolean | null;
}

/** What `GET /orchestration/connections/{id}` answers, as far as the update needs it. */
export interface TalendConnection {
  id: string;
  name: string;
  parameters: ConnectionParameter[];
}

/** The body of `PUT /orchestration/connections/{id}`. */
export interface ConnectionUpdate {
  name: string;
  parameters: ConnectionParameter[];
}

/** What `GET /orchestration/executables/tasks/{id}` answers (TaskV21), as far as the update needs it. */
export interface TalendTask {
  id: string;
  name: string;
  description?: string | null;
  workspace?: { id?: string | null } | null;
  artifact?: { id?: string | null; version?: string | null } | null;
  tags?: string[] | null;
  connections?: Record<string, string> | null;
  parameters?: Record<string, string> | null;
  resources?: Record<string, string> | null;
  autoUpgradeInfo?: Record<string, unknown> | null;
}

/** The body of `PUT /orchestration/executables/tasks/{id}` (TaskAutoUpgradeRequest). */
export interface TaskUpdate {
  name: string;
  description: string;
  workspaceId: string;
  artifact: { id: string; version: string };
  tags?: string[];
  connections?: Record<string, string>;
  parameters: Record<string, string>;
  resources?: Record<string, string>;
  autoUpgradeInfo?: Record<string, unknown>;
}

/**
 * The types a task's artifact declares for its parameters (`GET /orchestration/artifacts/{id}/
 * versions/{version}`), by name; null when Talend did not say (the artifact could not be read).
 */
export type ParameterTypes = ReadonlyMap<string, string> | null;

/** The names of the two values the action owns in a connection or a task. */
export interface ParameterNames {
  clientId: string;
  clientSecret: string;
}

export interface Pair {
  clientId: string;
  clientSecret: string;
}

/** Why a target cannot be updated without losing something: said to the user as is. */
export class UnsafeUpdate extends Error {
  override readonly name = 'UnsafeUpdate';
}

/** What Read state learns of a connection or task, before anything changes. */
export interface TargetInspection {
  /** The client ID the target names, when Talend shows it (compared for drift; never printed). */
  clientId: string | undefined;
  /** Parameters the action does not own whose values Talend may hide: written back only when proven shown in clear. */
  hidden: string[];
  /** The client ID parameter may be hidden: a read-back could never confirm a delivery, unless proven shown in clear. */
  idHidden: boolean;
  /** What the target's own secret parameter reads: the value that can prove Talend shows hidden values in clear. */
  secretValue: string | undefined;
  /** A task whose artifact's parameter types could not be read: Talend did not say which are passwords. */
  typesUnread?: boolean;
}

/** Names and IDs from Talend's answers, as they appear in a message: one safe line each. */
function quoted(names: string[]): string {
  return names.map((n) => `'${plainText(n, 100)}'`).join(', ');
}

/** A task parameter whose type says it is a secret (the spelling Talend uses is unconfirmed; any type naming a password counts). */
function isSecretType(type: string): boolean {
  return /password|secret|credential|encrypt/i.test(type);
}

/**
 * The parameters the action writes must already exist, with these exact names: a name that differs
 * in case would add a parameter beside the one the Job reads.
 */
function requireOwnParameters(present: string[], names: ParameterNames, what: string): void {
  const missing = [names.clientId, names.clientSecret].filter((n) => !present.includes(n));
  if (missing.length === 0) return;
  const hints = missing.map((n) => {
    const close = closeMatches(n, present);
    return close.length > 0 ? `${quoted([n])} (close: ${quoted(close)})` : quoted([n]);
  });
  throw new UnsafeUpdate(
    `${what} has no parameter named ${hints.join(' or ')}; the action updates only parameters that exist, with their exact names, so it changed nothing. ` +
      'Correct the names in the inputs (talend-connection-parameters or talend-task-parameters), or add the parameters in TMC.',
  );
}

/** Names that differ only in case, or by at most two edits: what the user probably meant. */
export function closeMatches(name: string, candidates: string[]): string[] {
  const lower = name.toLowerCase();
  return candidates.filter((c) => c.toLowerCase() === lower || editDistance(c.toLowerCase(), lower) <= 2).slice(0, 3);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

// ---- Connections ----------------------------------------------------------------------------

/** Talend shows a connection parameter's value only when it says the parameter is not encrypted. */
function shownByTalend(p: ConnectionParameter): boolean {
  return p.encrypted === false;
}

export function inspectConnection(connection: TalendConnection, names: ParameterNames): TargetInspection {
  requireOwnParameters(
    connection.parameters.map((p) => p.name),
    names,
    `Connection ${plainText(connection.id, 100)}`,
  );
  const own = new Set([names.clientId, names.clientSecret]);
  const idParam = connection.parameters.find((p) => p.name === names.clientId);
  const secret = connection.parameters.find((p) => p.name === names.clientSecret)?.value;
  const idHidden = !idParam || !shownByTalend(idParam);
  return {
    clientId: !idHidden && typeof idParam?.value === 'string' ? idParam.value : undefined,
    hidden: connection.parameters.filter((p) => !own.has(p.name) && !shownByTalend(p)).map((p) => p.name),
    idHidden,
    secretValue: typeof secret === 'string' && secret !== '' ? secret : undefined,
  };
}

/**
 * The connection with the two parameters set (the secret encrypted) and every other one as read,
 * in its order. `shownInClear`: the run proved this tenant shows hidden values in clear. Refused
 * when a value Talend may hide would have to be written back unproven.
 */
export function connectionUpdate(connection: TalendConnection, names: ParameterNames, pair: Pair, shownInClear: boolean): ConnectionUpdate {
  const inspection = inspectConnection(connection, names);
  refuseUnproven(inspection, shownInClear, `connection ${plainText(connection.id, 100)}`);
  const parameters = connection.parameters.map((p): ConnectionParameter => {
    if (p.name === names.clientId) return { ...p, value: pair.clientId };
    if (p.name === names.clientSecret) return { ...p, value: pair.clientSecret, encrypted: true };
    // The spec types `value` as a string: a null is not echoed back as one.
    if (p.value === null) {
      const { value: _none, ...rest } = p;
      return rest;
    }
    return { ...p };
  });
  return { name: connection.name, parameters };
}

function refuseUnproven(inspection: TargetInspection, shownInClear: boolean, what: string): void {
  const problem = shownInClear ? undefined : unprovenProblem(inspection, what);
  if (problem) throw new UnsafeUpdate(problem);
}

/**
 * Why a target cannot be updated (or its delivery confirmed) unless this tenant is proven to show
 * hidden values in clear, in words; undefined when nothing it holds is hidden. `what`: the target
 * as people read it ("connection …", "task …").
 */
export function unprovenProblem(inspection: TargetInspection, what: string): string | undefined {
  if (inspection.hidden.length > 0) {
    const wayOut = what.startsWith('task') ? 'Keep the Qlik pair in a TMC connection instead (talend-connection-ids)' : "Keep the Qlik pair in a connection of its own, holding only this client's parameters";
    const unsaid = inspection.typesUnread ? "its artifact version, which declares the parameters' types, could not be read" : 'it does not say it shows it';
    return (
      `Talend may hide the value of ${quoted(inspection.hidden)} of ${what} (${unsaid}), and an update must send every parameter back: ` +
      `writing back what it showed could destroy it, and the run could not prove that Talend shows such values in clear. ${wayOut}.`
    );
  }
  if (inspection.idHidden) {
    return (
      `Talend may hide the client ID parameter of ${what}, so reading it back could never confirm a delivery (every run would leave one more secret pending). ` +
      'Store the client ID in a parameter Talend shows in clear (not encrypted, not a password).'
    );
  }
  return undefined;
}

/**
 * What a connection read back proves: the secret itself, or the client ID with the secret hidden;
 * null when it does not show the pair (what it holds is then unknown).
 */
export function connectionHolds(connection: TalendConnection, names: ParameterNames, pair: Pair): Evidence | null {
  const param = (name: string) => connection.parameters.find((p) => p.name === name);
  if (param(names.clientId)?.value !== pair.clientId) return null;
  const secret = param(names.clientSecret);
  if (secret?.value === pair.clientSecret) return 'secret-read-back';
  return secret && !shownByTalend(secret) ? 'client-id-read-back' : null;
}

// ---- Tasks ----------------------------------------------------------------------------------

/** The fields a task PUT replaces: left out of the answer, the PUT would reset them. */
const TASK_FIELDS = ['description', 'tags', 'connections', 'parameters', 'resources', 'autoUpgradeInfo'] as const;

/** A task parameter Talend shows in clear: its artifact declares it, with a type that is no secret. */
function taskParameterShown(types: ParameterTypes, name: string): boolean {
  const type = types?.get(name);
  return type !== undefined && !isSecretType(type);
}

export function inspectTask(task: TalendTask, names: ParameterNames, types: ParameterTypes): TargetInspection {
  const what = `Talend's answer for task ${plainText(task.id, 100)}`;
  const missing = [
    ...TASK_FIELDS.filter((f) => task[f] === undefined),
    ...(!task.workspace?.id ? ['workspace.id'] : []),
    ...(!task.artifact?.id ? ['artifact.id'] : []),
    ...(!task.artifact?.version ? ['artifact.version'] : []),
  ];
  if (missing.length > 0 || !task.parameters) {
    const fields = missing.length > 0 ? missing : ['parameters'];
    throw new UnsafeUpdate(`${what} has no ${fields.join(', ')}; the update replaces the whole task and would reset what the answer leaves out, so the task was left as it is.`);
  }
  const params = task.parameters;
  requireOwnParameters(Object.keys(params), names, `Task ${plainText(task.id, 100)}`);
  const own = new Set([names.clientId, names.clientSecret]);
  const idHidden = !taskParameterShown(types, names.clientId);
  const secret = params[names.clientSecret];
  return {
    clientId: idHidden ? undefined : params[names.clientId],
    hidden: Object.keys(params).filter((name) => !own.has(name) && !taskParameterShown(types, name)),
    idHidden,
    secretValue: secret !== undefined && secret !== '' ? secret : undefined,
    ...(types === null ? { typesUnread: true } : {}),
  };
}

export interface TaskUpdatePlan {
  body: TaskUpdate;
  /** Set when publishing a new artifact version would put the artifact's defaults back. */
  autoUpgradeOverrides: boolean;
}

/**
 * The whole task as read, with the two parameters set: the PUT replaces the task, so whatever is
 * left out is lost. Refused when the answer lacks what the PUT would reset, or when a value Talend
 * may hide would have to be written back unproven.
 */
export function taskUpdate(task: TalendTask, names: ParameterNames, pair: Pair, types: ParameterTypes, shownInClear: boolean): TaskUpdatePlan {
  const inspection = inspectTask(task, names, types);
  refuseUnproven(inspection, shownInClear, `task ${plainText(task.id, 100)}`);
  // Own properties only, whatever their names (`__proto__` included): entries, not assignment.
  const parameters = Object.fromEntries(
    Object.entries(task.parameters ?? {}).map(([name, value]) => [name, name === names.clientId ? pair.clientId : name === names.clientSecret ? pair.clientSecret : value]),
  );
  const body: TaskUpdate = {
    name: task.name,
    description: task.description ?? '',
    workspaceId: task.workspace?.id as string,
    artifact: { id: task.artifact?.id as string, version: task.artifact?.version as string },
    parameters,
  };
  if (task.tags) body.tags = task.tags;
  if (task.connections) body.connections = task.connections;
  if (task.resources) body.resources = task.resources;
  if (task.autoUpgradeInfo) body.autoUpgradeInfo = task.autoUpgradeInfo;
  const upgrade = task.autoUpgradeInfo ?? {};
  return { body, autoUpgradeOverrides: upgrade.autoUpgradable === true && upgrade.overrideWithDefaultParameters === true };
}

/** What a task read back proves (as for a connection; the secret counts as hidden unless its type is plain). */
export function taskHolds(task: TalendTask, names: ParameterNames, pair: Pair, types: ParameterTypes): Evidence | null {
  const params = task.parameters ?? {};
  if (params[names.clientId] !== pair.clientId) return null;
  if (params[names.clientSecret] === pair.clientSecret) return 'secret-read-back';
  return taskParameterShown(types, names.clientSecret) ? null : 'client-id-read-back';
}

/** The values of a target Talend may hide, and its own secret: registered with the mask before anything logs. */
export function mayBeSecretValues(target: TalendConnection | TalendTask, names: ParameterNames, types: ParameterTypes): string[] {
  if ('parameters' in target && Array.isArray(target.parameters)) {
    return target.parameters.filter((p) => p.name === names.clientSecret || !shownByTalend(p)).flatMap((p) => (typeof p.value === 'string' ? [p.value] : []));
  }
  const params = (target as TalendTask).parameters ?? {};
  return Object.entries(params).filter(([name]) => name === names.clientSecret || !taskParameterShown(types, name)).map(([, value]) => value);
}
