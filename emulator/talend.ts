// The emulated Talend Cloud API: TMC's Qlik Cloud Authentication setting (the action's own
// contract), a token preflight, and task executions that use the stored Qlik credentials.
import { randomUUID } from 'node:crypto';
import type { RouteRequest, RouteResponse, ServiceDefinition } from './http.js';
import type { EmulatorState, ExecutionRecord } from './state.js';
import type { QlikAuthShape } from './types.js';
import { isOrchestrationTargetPath, orchestrationRoute } from './talend-orchestration.js';
import { findViolations } from './violations.js';

export interface TalendOptions {
  basePath: string;
  qlikAuthPath: string;
  qlikAuthShape: QlikAuthShape;
}

const EXECUTION_STATUS: Record<string, string> = {
  dispatching: 'DISPATCHING_FLOW',
  executing: 'STARTING_FLOW_EXECUTION',
  execution_successful: 'EXECUTION_SUCCESS',
  execution_failed: 'EXECUTION_FAILED',
  execution_rejected: 'EXECUTION_REJECTED',
  deploy_failed: 'DEPLOY_FAILED',
  terminated: 'EXECUTION_TERMINATED',
  terminated_timeout: 'EXECUTION_TERMINATED_TIMEOUT',
  terminated_shutdown: 'EXECUTION_TERMINATED_SHUTDOWN',
};

export function talendService(state: EmulatorState, opts: TalendOptions): ServiceDefinition {
  const error = (req: RouteRequest, status: number, message: string, detail?: string): RouteResponse => {
    const body: Record<string, unknown> = { status, message };
    if (detail !== undefined) body.detail = detail;
    body.requestId = req.requestId;
    return { status, body };
  };
  const notFound = (req: RouteRequest): RouteResponse => error(req, 404, 'Not Found', `No route for ${req.method} ${req.path}`);
  const methodNotAllowed = (req: RouteRequest): RouteResponse => error(req, 405, 'Method Not Allowed');

  const route = (req: RouteRequest, underBase: boolean): RouteResponse => {
    if (!underBase) return notFound(req);
    if (req.path === '/security/oauth/token') return req.method === 'POST' ? serviceAccountToken(req) : methodNotAllowed(req);
    const m = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!state.talendTokenValid(m?.[1])) return error(req, 401, 'Unauthorized', 'Token authorization is required for access');

    if (req.path === opts.qlikAuthPath) {
      if (req.method === storeMethod) return putQlikAuth(req);
      if (req.method === 'GET') {
        const pair = state.talendPair;
        return { status: 200, body: { clientId: pair?.clientId ?? null, connected: pair ? state.talendChecksPair(pair.clientId, pair.clientSecret) : false } };
      }
      if (req.method === 'DELETE') {
        state.talendPair = null;
        return { status: 204 };
      }
      return methodNotAllowed(req);
    }
    if (req.path === '/account/subscription') {
      if (req.method !== 'GET') return methodNotAllowed(req);
      return {
        status: 200,
        body: { accountId: state.accountId, accountName: 'Emulated Talend account', type: 'CLOUD', edition: 'ENTERPRISE', expirationDate: '2099-12-31T00:00:00Z' },
      };
    }
    if (req.path === '/orchestration/environments') {
      if (req.method !== 'GET') return methodNotAllowed(req);
      return { status: 200, body: [{ id: 'env-default', name: 'default', default: true, workspaces: [] }] };
    }
    if (req.path === '/processing/executions') {
      if (req.method !== 'POST') return methodNotAllowed(req);
      return startExecution(req);
    }
    const orchestration = orchestrationRoute(state, req, error);
    if (orchestration) return orchestration;
    const exec = /^\/processing\/executions\/([^/]+)$/.exec(req.path);
    if (exec) {
      if (req.method !== 'GET') return methodNotAllowed(req);
      return pollExecution(req, decodeURIComponent(exec[1] as string));
    }
    return notFound(req);
  };

  /** Client credentials of a service account, as HTTP Basic (Talend's published shape). */
  const serviceAccountToken = (req: RouteRequest): RouteResponse => {
    const basic = /^basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const account = colon > 0 ? state.serviceAccounts.get(decoded.slice(0, colon)) : undefined;
    if (!account || account.secret !== decoded.slice(colon + 1)) return error(req, 401, 'Unauthorized', 'Invalid service account credentials');
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return error(req, 400, 'Invalid request body');
    }
    if (typeof body !== 'object' || body === null || (body as { grant_type?: unknown }).grant_type !== 'client_credentials') {
      return error(req, 400, 'grant_type must be client_credentials');
    }
    const token = `talend-sa-token-${randomUUID().replace(/-/g, '')}`;
    state.talendAccessTokens.set(token, state.now() + account.lifetimeS * 1000);
    state.recordIssued(token);
    // Talend's spec types expires_in as a string.
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: String(account.lifetimeS) } };
  };

  const shape = opts.qlikAuthShape;
  const storeMethod = shape.method ?? 'PUT';
  /** A field of the body by its (dotted) name. */
  const field = (body: unknown, path: string): unknown =>
    path.split('.').reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined), body);

  const putQlikAuth = (req: RouteRequest): RouteResponse => {
    const form = (shape.contentType ?? 'json') === 'form';
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== (form ? 'application/x-www-form-urlencoded' : 'application/json')) return error(req, 415, 'Unsupported Media Type');
    if (shape.header && req.headers[shape.header[0].toLowerCase()] !== shape.header[1]) return error(req, 400, `Header ${shape.header[0]} is required`);
    let body: unknown;
    try {
      body = form ? Object.fromEntries(new URLSearchParams(req.body)) : JSON.parse(req.body);
    } catch {
      return error(req, 400, 'Invalid request body', 'Body must be JSON {"clientId","clientSecret"}');
    }
    const clientId = field(body, shape.clientIdField ?? 'clientId');
    const clientSecret = field(body, shape.clientSecretField ?? 'clientSecret');
    if (typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
      return error(req, 400, 'clientId and clientSecret are required');
    }
    state.recordIssued(clientSecret);
    // TMC's Connect checks the pair against the Qlik tenant; done in-process, so it is not logged.
    if (!state.talendChecksPair(clientId, clientSecret)) {
      // A web endpoint may say no with a 200 and an error in the body.
      if (state.qlikAuthAnswer === 'error-200') return { status: 200, body: { status: 'error', error: { code: 'INVALID_CLIENT' }, message: 'Qlik Cloud connection failed: invalid client credentials' } };
      return error(req, 400, 'Qlik Cloud connection failed: invalid client credentials', 'The Qlik Cloud tenant refused the client credentials');
    }
    state.setTalendPair(clientId, clientSecret);
    // A web endpoint may store the pair and send the browser on to the settings page.
    if (state.qlikAuthAnswer === 'redirect') return { status: 303, headers: { location: `${opts.basePath}/tmc/settings/qlik-cloud` } };
    return { status: 200, body: { status: 'connected' } };
  };

  const startExecution = (req: RouteRequest): RouteResponse => {
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return error(req, 400, 'Invalid request body');
    }
    const executable = (body as { executable?: unknown } | null)?.executable;
    if (typeof executable !== 'string' || executable === '') return error(req, 400, 'executable is required');
    if (!state.tasks.has(executable)) return error(req, 404, 'Task not found', `No task with id ${executable}`);
    const record: ExecutionRecord = { executionId: randomUUID(), taskId: executable, polls: 0, triggeredAt: state.nowIso() };
    state.executions.set(record.executionId, record);
    return { status: 201, body: { executionId: record.executionId } };
  };

  const pollExecution = (req: RouteRequest, executionId: string): RouteResponse => {
    const rec = state.executions.get(executionId);
    if (!rec) return error(req, 404, 'Execution not found');
    rec.polls += 1;
    // Progress per poll, not by wall clock: dispatching, executing, then final.
    if (rec.polls >= 2 && rec.startedAt === undefined) rec.startedAt = state.nowIso();
    if (rec.polls >= 3 && rec.finalStatus === undefined) settle(rec);
    const status = executionStatus(rec);
    const body: Record<string, unknown> = {
      executionId: rec.executionId,
      accountId: state.accountId,
      userId: 'emulated-user',
      userType: 'USER',
      workspaceId: 'ws-emulated',
      environmentVersion: 'v2',
      executionDestination: 'CLOUD',
      executionType: 'MANUAL',
      taskId: rec.taskId,
      jobId: `job-${rec.taskId}`,
      jobVersion: '0.1.0',
      status,
      executionStatus: EXECUTION_STATUS[status] ?? 'EXECUTION_EVENT_RECEIVED',
      triggerTimestamp: rec.triggeredAt,
    };
    if (rec.startedAt) body.startTimestamp = rec.startedAt;
    if (rec.finishedAt) body.finishTimestamp = rec.finishedAt;
    if (rec.errorMessage) {
      body.errorType = 'JOB_FAILURE';
      body.errorMessage = rec.errorMessage;
    }
    return { status: 200, body };
  };

  const settle = (rec: ExecutionRecord): void => {
    const defined = state.tasks.get(rec.taskId) ?? 'execution_failed';
    rec.finishedAt = state.nowIso();
    const pair = state.talendPair;
    // The smoke-test Job requests a Qlik token with the pair TMC holds.
    if (defined === 'execution_successful' && !(pair && state.talendChecksPair(pair.clientId, pair.clientSecret))) {
      rec.finalStatus = 'execution_failed';
      rec.errorMessage = 'Qlik Cloud authentication failed: HTTP 401 invalid_client';
      return;
    }
    rec.finalStatus = defined;
    if (defined !== 'execution_successful') rec.errorMessage = `Task ended ${defined}`;
  };

  return {
    kind: 'talend',
    basePath: opts.basePath,
    route,
    inspect: (req, underBase) =>
      findViolations(state, {
        service: 'talend',
        method: req.method,
        routePath: req.path,
        rawPath: req.rawPath,
        headers: req.headers,
        body: req.body,
        // The secret belongs at the setting's URL, whichever method a request uses there, and in
        // the PUT of a connection or a task the action delivers to.
        isQlikAuthPut:
          underBase &&
          ((['PUT', 'POST', 'PATCH'].includes(req.method) && req.path === opts.qlikAuthPath) || (req.method === 'PUT' && isOrchestrationTargetPath(req.path))),
      }),
  };
}

export function executionStatus(rec: ExecutionRecord): string {
  if (rec.finalStatus !== undefined) return rec.finalStatus;
  return rec.polls >= 2 ? 'executing' : 'dispatching';
}
