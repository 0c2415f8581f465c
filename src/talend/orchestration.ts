/**
 * The two places Talend's published Orchestration API (2021-03) keeps values a Job reads: a TMC
 * connection's parameters and a task's parameters. Pure: what to send so that exactly the client
 * ID and secret change and nothing else is lost, and whether what came back holds the client ID.
 *
 * Both PUTs replace what they are given (a task PUT replaces the whole task; a connection PUT its
 * parameter list, assumed, see docs/talend-targets.md), so an update is the whole object read just
 * before, with two values changed. Whether Talend reads encrypted values back in clear, masked or
 * not at all is not documented: a value that did not come back readable cannot be written back,
 * so an update that would have to write one is refused instead of destroying it.
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

/** Names and IDs from Talend's answers, as they appear in a message: one safe line each. */
function quoted(names: string[]): string {
  return names.map((n) => `'${plainText(n, 100)}'`).join(', ');
}

/** A value as Talend might show one it keeps secret: gone, empty, or only mask characters. */
export function looksMasked(value: string | null | undefined): boolean {
  return value === undefined || value === null || value === '' || /^[*•●]{3,}$/.test(value);
}

/**
 * The connection with the two parameters set (the secret encrypted) and every other one kept, in
 * its order. Refused if another encrypted parameter did not come back readable.
 */
export function connectionUpdate(connection: TalendConnection, names: ParameterNames, pair: Pair): ConnectionUpdate {
  const ours = new Set([names.clientId, names.clientSecret]);
  const unreadable = connection.parameters.filter((p) => !ours.has(p.name) && p.encrypted === true && looksMasked(p.value)).map((p) => p.name);
  if (unreadable.length > 0) {
    throw new UnsafeUpdate(
      `Talend did not return the value of the encrypted parameter${unreadable.length > 1 ? 's' : ''} ${quoted(unreadable)} ` +
        `of connection ${plainText(connection.id, 100)}, and an update must send every parameter back: writing the mask would destroy it. ` +
        `Use a connection that holds only this client's '${names.clientId}' and '${names.clientSecret}'.`,
    );
  }
  const idWasEncrypted = connection.parameters.find((p) => p.name === names.clientId)?.encrypted === true;
  const ownValues = new Map<string, ConnectionParameter>([
    [names.clientId, { name: names.clientId, value: pair.clientId, encrypted: idWasEncrypted }],
    [names.clientSecret, { name: names.clientSecret, value: pair.clientSecret, encrypted: true }],
  ]);
  // Every other parameter exactly as read (fields this code does not know included), in its order.
  const parameters = connection.parameters.map((p) => ownValues.get(p.name) ?? { ...p });
  for (const [name, own] of ownValues) if (!parameters.some((p) => p.name === name)) parameters.push(own);
  return { name: connection.name, parameters };
}

/**
 * The client ID a connection names in its client ID parameter, when Talend shows it readable; a
 * person may have pasted another client's pair there by hand.
 */
export function connectionClientId(connection: TalendConnection, names: ParameterNames): string | undefined {
  const value = connection.parameters.find((p) => p.name === names.clientId)?.value;
  return looksMasked(value) ? undefined : (value as string);
}

/** The client ID a task names in its client ID parameter, when readable. */
export function taskClientId(task: TalendTask, names: ParameterNames): string | undefined {
  const value = task.parameters?.[names.clientId];
  return looksMasked(value) ? undefined : value;
}

/**
 * What a connection read back proves: the secret itself, or only the client ID (the secret hidden);
 * null when it does not show the pair.
 */
export function connectionHolds(connection: TalendConnection, names: ParameterNames, pair: Pair): Evidence | null {
  const value = (name: string) => connection.parameters.find((p) => p.name === name)?.value;
  return readBack(value(names.clientId), value(names.clientSecret), pair);
}

function readBack(clientId: string | null | undefined, secret: string | null | undefined, pair: Pair): Evidence | null {
  if (clientId !== pair.clientId) return null;
  if (secret === pair.clientSecret) return 'secret-read-back';
  return looksMasked(secret) ? 'client-id-read-back' : null;
}

export interface TaskUpdatePlan {
  body: TaskUpdate;
  /** Set when publishing a new artifact version would put the artifact's defaults back. */
  autoUpgradeOverrides: boolean;
}

/**
 * The whole task as read, with the two parameters set: the PUT replaces the task, so whatever is
 * left out is lost. Refused when the task lacks what the PUT requires (workspace, artifact), or
 * another parameter came back masked.
 */
export function taskUpdate(task: TalendTask, names: ParameterNames, pair: Pair): TaskUpdatePlan {
  const workspaceId = task.workspace?.id;
  const artifactId = task.artifact?.id;
  const artifactVersion = task.artifact?.version;
  const missing = [!workspaceId && 'workspace.id', !artifactId && 'artifact.id', !artifactVersion && 'artifact.version'].filter(Boolean);
  if (missing.length > 0) {
    throw new UnsafeUpdate(`Talend's answer for task ${plainText(task.id, 100)} has no ${missing.join(', ')}; the update replaces the whole task and needs them, so the task was left as it is.`);
  }
  const params = { ...(task.parameters ?? {}) };
  const ours = new Set([names.clientId, names.clientSecret]);
  const masked = Object.entries(params)
    .filter(([name, value]) => !ours.has(name) && value !== '' && looksMasked(value))
    .map(([name]) => name);
  if (masked.length > 0) {
    throw new UnsafeUpdate(
      `Talend returned the parameter${masked.length > 1 ? 's' : ''} ${quoted(masked)} of task ${plainText(task.id, 100)} masked, and an update ` +
        'must send every parameter back: writing the mask would destroy it. Keep the Qlik client in a TMC connection instead (talend-connection-ids).',
    );
  }
  params[names.clientId] = pair.clientId;
  params[names.clientSecret] = pair.clientSecret;
  const body: TaskUpdate = {
    name: task.name,
    description: task.description ?? '',
    workspaceId: workspaceId!,
    artifact: { id: artifactId!, version: artifactVersion! },
    parameters: params,
  };
  if (task.tags) body.tags = task.tags;
  if (task.connections) body.connections = task.connections;
  if (task.resources) body.resources = task.resources;
  if (task.autoUpgradeInfo) body.autoUpgradeInfo = task.autoUpgradeInfo;
  const upgrade = task.autoUpgradeInfo ?? {};
  return { body, autoUpgradeOverrides: upgrade.autoUpgradable === true && upgrade.overrideWithDefaultParameters === true };
}

/** What a task read back proves (as for a connection). */
export function taskHolds(task: TalendTask, names: ParameterNames, pair: Pair): Evidence | null {
  const params = task.parameters ?? {};
  return readBack(params[names.clientId], params[names.clientSecret], pair);
}
