// The emulated Orchestration API (2021-03) for the two places a Job reads credentials from: TMC
// connections (`/orchestration/connections/{id}`) and task definitions
// (`/orchestration/executables/tasks/{id}`). Both PUTs replace what they are given, as Talend's
// spec describes: a connection's name and parameter list, a task entirely (what is left out
// becomes null). How encrypted values read back is not documented, so it is a switch: in clear,
// masked (`****`), or left out.
import type { RouteRequest, RouteResponse } from './http.js';
import type { EmulatorState } from './state.js';

export type SecretReadBack = 'clear' | 'masked' | 'omitted';
export const MASK = '****';

export interface ConnectionParameterState {
  name: string;
  value?: string | null;
  encrypted?: boolean;
}

export interface ConnectionState {
  id: string;
  name: string;
  workspaceId: string;
  app: string;
  parameters: ConnectionParameterState[];
}

export interface TaskDefinitionState {
  id: string;
  name: string;
  description: string | null;
  version: string;
  workspaceId: string;
  artifact: { id: string; name: string; version: string };
  tags: string[] | null;
  connections: Record<string, string> | null;
  parameters: Record<string, string> | null;
  resources: Record<string, string> | null;
  autoUpgradeInfo: Record<string, unknown> | null;
  /** Parameters the artifact types as passwords: they read back as `readBack` says. */
  sensitive: string[];
  /** Fields the task's answer leaves out (a careless Talend): the PUT then resets them. */
  omitFields?: string[];
}

type ErrorAnswer = (req: RouteRequest, status: number, message: string, detail?: string) => RouteResponse;

const CONNECTION = /^\/orchestration\/connections\/([^/]+)$/;
const TASK = /^\/orchestration\/executables\/tasks\/([^/]+)$/;
const ARTIFACT_VERSION = /^\/orchestration\/artifacts\/([^/]+)\/versions\/([^/]+)$/;

/** True for the paths whose PUT legitimately carries the client secret. */
export function isOrchestrationTargetPath(path: string): boolean {
  return CONNECTION.test(path) || TASK.test(path);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> => isRecord(v) && Object.values(v).every((x) => typeof x === 'string');

/** The routes, or undefined when the path is not theirs. */
export function orchestrationRoute(state: EmulatorState, req: RouteRequest, error: ErrorAnswer): RouteResponse | undefined {
  const readBack = state.secretReadBack;
  const artifactMatch = ARTIFACT_VERSION.exec(req.path);
  if (artifactMatch) {
    if (req.method !== 'GET') return error(req, 405, 'Method Not Allowed');
    if (!state.artifactsReadable) return error(req, 403, 'Forbidden', 'Missing permission to read artifacts');
    const [id, version] = [decodeURIComponent(artifactMatch[1]!), decodeURIComponent(artifactMatch[2]!)];
    const tasks = [...state.taskDefinitions.values()].filter((t) => t.artifact.id === id && t.artifact.version === version);
    if (tasks.length === 0) return error(req, 404, 'Artifact version not found');
    // The artifact declares every parameter its tasks have, with a type: passwords as such.
    const declared = new Map<string, string>();
    for (const t of tasks) for (const name of [...Object.keys(t.parameters ?? {}), ...t.sensitive]) declared.set(name, t.sensitive.includes(name) ? 'Password' : 'String');
    return { status: 200, body: { id, version, name: tasks[0]!.artifact.name, parameters: [...declared].map(([name, type]) => ({ name, type, required: false })) } };
  }
  const connectionMatch = CONNECTION.exec(req.path);
  if (connectionMatch) {
    const id = decodeURIComponent(connectionMatch[1]!);
    const connection = state.connections.get(id);
    if (!connection) return error(req, 404, 'Connection not found', `No connection with id ${id}`);
    if (req.method === 'GET') return { status: 200, body: connectionView(connection, state) };
    if (req.method !== 'PUT') return error(req, 405, 'Method Not Allowed');
    const body = parseJson(req.body);
    if (!isRecord(body) || typeof body.name !== 'string' || body.name === '' || !Array.isArray(body.parameters)) {
      return error(req, 400, 'Bad Request', 'name and parameters are required');
    }
    const parameters: ConnectionParameterState[] = [];
    for (const p of body.parameters) {
      if (!isRecord(p) || typeof p.name !== 'string' || p.name === '') return error(req, 400, 'Bad Request', 'every parameter needs a name');
      if (p.value !== undefined && p.value !== null && typeof p.value !== 'string') return error(req, 400, 'Bad Request', 'a parameter value is a string');
      // A parameter sent without its flag keeps the one it had.
      const had = connection.parameters.find((q) => q.name === p.name)?.encrypted === true;
      parameters.push({ name: p.name, value: (p.value as string | null | undefined) ?? null, encrypted: typeof p.encrypted === 'boolean' ? p.encrypted : had });
    }
    if ([...state.connections.values()].some((c) => c.id !== id && c.name === body.name)) return error(req, 409, 'Connection name already exists');
    connection.name = body.name;
    connection.parameters = parameters;
    for (const p of parameters) if (p.encrypted && p.value) state.recordIssued(p.value);
    return { status: 200, body: connectionView(connection, state) };
  }

  const taskMatch = TASK.exec(req.path);
  if (taskMatch) {
    const id = decodeURIComponent(taskMatch[1]!);
    const task = state.taskDefinitions.get(id);
    if (!task) return error(req, 404, 'Task not found', `No task with id ${id}`);
    if (req.method === 'GET') return { status: 200, body: taskView(task, readBack, state.maskText) };
    if (req.method !== 'PUT') return error(req, 405, 'Method Not Allowed');
    const body = parseJson(req.body);
    const artifact = isRecord(body) ? body.artifact : undefined;
    if (
      !isRecord(body) ||
      typeof body.name !== 'string' ||
      body.name === '' ||
      typeof body.description !== 'string' ||
      typeof body.workspaceId !== 'string' ||
      !isRecord(artifact) ||
      typeof artifact.id !== 'string' ||
      typeof artifact.version !== 'string'
    ) {
      return error(req, 400, 'Bad Request', 'name, description, workspaceId and artifact {id, version} are required');
    }
    for (const field of ['connections', 'parameters', 'resources'] as const) {
      if (body[field] !== undefined && body[field] !== null && !isStringMap(body[field])) return error(req, 400, 'Bad Request', `${field} is a map of strings`);
    }
    // The whole task is replaced: what the request leaves out is gone.
    task.name = body.name;
    task.description = body.description;
    task.workspaceId = body.workspaceId;
    task.artifact = { ...task.artifact, id: artifact.id, version: artifact.version };
    task.tags = Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : null;
    task.connections = (body.connections as Record<string, string> | undefined) ?? null;
    task.parameters = (body.parameters as Record<string, string> | undefined) ?? null;
    task.resources = (body.resources as Record<string, string> | undefined) ?? null;
    task.autoUpgradeInfo = isRecord(body.autoUpgradeInfo) ? body.autoUpgradeInfo : null;
    for (const name of task.sensitive) {
      const value = task.parameters?.[name];
      if (value) state.recordIssued(value);
    }
    return { status: 200, body: taskView(task, readBack, state.maskText) };
  }
  return undefined;
}

function connectionView(c: ConnectionState, state: EmulatorState): unknown {
  const { secretReadBack: readBack, maskText, encryptedFlag } = state;
  return {
    id: c.id,
    name: c.name,
    workspace: { id: c.workspaceId, name: 'Emulated workspace' },
    app: c.app,
    parameters: c.parameters.map((p) => {
      if (!p.encrypted) return { ...p };
      const { encrypted: _flag, value, ...rest } = p;
      const flag = encryptedFlag === 'shown' ? { encrypted: true } : encryptedFlag === 'null' ? { encrypted: null } : {};
      if (readBack === 'clear') return { ...rest, value, ...flag };
      if (readBack === 'masked') return { ...rest, value: maskText, ...flag };
      return { ...rest, ...flag };
    }),
  };
}

function taskView(t: TaskDefinitionState, readBack: SecretReadBack, maskText: string): unknown {
  let parameters = t.parameters;
  if (parameters && readBack !== 'clear') {
    parameters = Object.fromEntries(
      Object.entries(parameters)
        .filter(([name]) => readBack === 'masked' || !t.sensitive.includes(name))
        .map(([name, value]) => [name, t.sensitive.includes(name) ? maskText : value]),
    );
  }
  const view: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    description: t.description,
    version: t.version,
    workspace: { id: t.workspaceId, name: 'Emulated workspace', environment: { id: 'env-default', name: 'default' } },
    artifact: t.artifact,
    tags: t.tags,
    connections: t.connections,
    parameters,
    resources: t.resources,
    autoUpgradeInfo: t.autoUpgradeInfo,
  };
  for (const field of t.omitFields ?? []) delete view[field];
  return view;
}
