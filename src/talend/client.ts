/**
 * Talend Cloud: the token preflight, TMC's Qlik Cloud Authentication setting (through the
 * action's own documented PUT contract, since Talend publishes no API for it), TMC connections and
 * task definitions (the published Orchestration API) and the Processing API's task runs. Knows
 * wire formats, nothing about rotation.
 */
import { ApiError, type ApiClient } from '../http/api-client.js';
import type { RequestSpec } from '../http/types.js';
import { lazySchema, loadZod } from '../lazy.js';
import { redact, registerSecret } from '../secrets.js';
import { isUsableSegment } from '../untrusted-text.js';
import {
  type Pair,
  type ParameterNames,
  type ParameterTypes,
  type TalendConnection,
  type TalendTask,
  type TargetInspection,
  connectionHolds,
  connectionUpdate,
  inspectConnection,
  inspectTask,
  mayBeSecretValues,
  taskHolds,
  taskUpdate,
} from './orchestration.js';
import { DEFAULT_QLIK_AUTH_REQUEST, type QlikAuthDisconnect, type QlikAuthRequest, judgeQlikAuthAnswer, renderQlikAuthRequest } from './qlik-auth-request.js';
import { readParameterTypes } from './artifacts.js';
import type { DeliveryResult } from '../core/holdings.js';
import type { Target } from '../core/targets.js';

export const TALEND_API_VERSION = '2021-03';

/** A schema as the HTTP layer takes it, built now or on first use. */
type SchemaOf<T> = NonNullable<RequestSpec<T>['schema']>;

// Built on first use (lazy.ts): a run builds only the schemas of the requests it makes.
// The ID goes into the polling path: `..` would walk it.
const executionCreatedSchema = lazySchema((z) =>
  z.looseObject({ executionId: z.string().check(z.refine((v) => isUsableSegment(v, 256))) }),
);
const executionSchema = lazySchema((z) =>
  z.looseObject({
    status: z.string().check(z.minLength(1)),
    errorType: z.nullish(z.string()),
    errorMessage: z.nullish(z.string()),
  }),
);
const talendErrorSchema = lazySchema((z) => z.looseObject({ message: z.optional(z.string()) }));
// Only what an update needs is checked; everything else of the answer is kept as it came, since a
// PUT must send it back.
const connectionSchema = lazySchema((z) =>
  z.looseObject({
    id: z.string(),
    name: z.string().check(z.minLength(1)),
    parameters: z.array(z.looseObject({ name: z.string().check(z.minLength(1)), value: z.nullish(z.string()), encrypted: z.nullish(z.boolean()) })),
  }),
);
// The maps are checked by hand, not rebuilt: a parameter named `__proto__` must stay a parameter.
const taskSchema = lazySchema((z) => {
  const map = z.optional(z.unknown().check(z.refine((v) => v === undefined || v === null || isStringMap(v))));
  return z.looseObject({
    id: z.string(),
    name: z.string().check(z.minLength(1)),
    description: z.nullish(z.string()),
    workspace: z.nullish(z.looseObject({ id: z.nullish(z.string()) })),
    artifact: z.nullish(z.looseObject({ id: z.nullish(z.string()), version: z.nullish(z.string()) })),
    tags: z.nullish(z.array(z.string())),
    connections: map,
    parameters: map,
    resources: map,
    autoUpgradeInfo: z.nullish(z.record(z.string(), z.unknown())),
  });
});

export const FINAL_EXECUTION_STATUSES = {
  execution_successful: true,
  execution_failed: false,
  execution_rejected: false,
  deploy_failed: false,
  terminated: false,
  terminated_timeout: false,
  terminated_shutdown: false,
} as const satisfies Record<string, boolean>;

/**
 * How every request that stores the pair is sent (the TMC setting, a connection or task PUT): the
 * same values stored twice are the same values, so it is repeated until a definite answer or the
 * deadline (the Deliver step, docs/protocol.md), however many attempts that takes. 4xx: the target
 * refused (429 and 408 say nothing about the pair: retried); a redirect is answered, not followed,
 * and says nothing definite (TMC may have stored the pair, then sent the browser on); any 5xx is
 * retried, and the deadline decides when the outcome becomes unknown.
 */
const STORING = {
  repeat: 'repeatable',
  accept: [...range(300, 399), ...range(400, 499).filter((s) => s !== 408 && s !== 429)],
  retryStatuses: [...range(500, 599), 408],
  maxAttempts: Number.POSITIVE_INFINITY,
} as const satisfies Partial<RequestSpec<unknown>>;

export interface ExecutionState {
  status: string;
  /** true: passed, false: failed, undefined: not final yet (unknown values too, until the budget runs out). */
  passed: boolean | undefined;
  errorMessage: string | undefined;
}

export class TalendApi {
  constructor(
    private readonly http: ApiClient,
    private readonly apiBase: string,
    /** TMC's Qlik Cloud Authentication setting, when it is a target. */
    private readonly qlikAuthUrl: string | undefined,
    /** The shape of the request to the TMC setting (`talend-qlik-auth-request`). */
    private readonly qlikAuthRequest: QlikAuthRequest = DEFAULT_QLIK_AUTH_REQUEST,
    /** For the `{{qlikTenantUrl}}` placeholder. */
    private readonly qlikTenantUrl = '',
  ) {}

  /**
   * A cheap documented read that proves the token is accepted before anything changes. 403 means
   * the token was accepted but lacks permission for this read, which still proves token and region.
   * 404 proves nothing: most likely the API base (region or URL) or its path is wrong, and every
   * later request would go to the same wrong place, so the run stops here.
   */
  async checkToken(): Promise<void> {
    const doing = 'checking that Talend accepts the token';
    const res = await this.http.request({
      method: 'GET',
      url: `${this.apiBase}/account/subscription`,
      repeat: 'repeatable',
      accept: [403, 404],
      maxBodyBytes: 256 * 1024,
      doing,
    });
    if (res.status === 404) {
      throw new ApiError({
        kind: 'status',
        service: 'Talend',
        doing,
        status: 404,
        attempts: res.attempts,
        message:
          "Talend: checking that Talend accepts the token failed: HTTP 404 at /account/subscription. The Talend API base is probably wrong: check 'talend-region' or 'talend-api-url' (and its path).",
      });
    }
  }

  /**
   * Stores the pair in TMC, with the request the user shaped (by default `PUT` and
   * `{"clientId","clientSecret"}`). Storing the same pair again stores the same pair, so the HTTP
   * layer repeats it until a definite answer or the deadline. Only a definite "no" is a refusal;
   * anything unclear (a redirect, an unlisted 2xx, a body that does not say) may have stored it.
   */
  async deliverQlikCredentials(clientId: string, clientSecret: string): Promise<DeliveryResult> {
    if (!this.qlikAuthUrl) throw new Error("Talend: 'talend-qlik-auth-url' is not set, so there is no TMC setting to deliver to.");
    return this.sendQlikAuth(this.qlikAuthRequest, this.qlikAuthUrl, { clientId, clientSecret }, "storing the Qlik client credentials in TMC's Qlik Cloud Authentication");
  }

  /**
   * A request to TMC's Qlik Cloud Authentication shaped by the user (storing the pair, or a
   * decommission's disconnect), sent like every request that stores the pair and judged by the
   * user's rules: only a definite "no" is a refusal.
   */
  private async sendQlikAuth(request: QlikAuthRequest, url: string, pair: Pair, doing: string): Promise<DeliveryResult> {
    const rendered = renderQlikAuthRequest(request, { ...pair, qlikTenantUrl: this.qlikTenantUrl });
    const res = await this.http.request({
      method: rendered.method,
      url,
      ...(rendered.form ? { form: rendered.form } : { json: rendered.json }),
      headers: rendered.headers,
      ...STORING,
      maxBodyBytes: 64 * 1024,
      doing,
    });
    switch (judgeQlikAuthAnswer(request, res.status, res.body)) {
      case 'stored':
        return { outcome: 'stored', evidence: 'answer-only', warnings: [] };
      case 'refused':
        return { outcome: 'refused', status: res.status, message: await errorMessage(res.body) };
      case 'unclear':
        return { outcome: 'unknown', detail: unclearAnswer(res.status) };
    }
  }

  /** A TMC connection as Talend shows it; null when there is none with this ID. */
  getConnection(connectionId: string): Promise<TalendConnection | null> {
    return this.readTarget<TalendConnection>(this.connectionUrl(connectionId), connectionId, connectionSchema, 256 * 1024, 'TMC connection', 'connection');
  }

  /** A task definition as Talend shows it (TaskV21); null when there is none with this ID. */
  getTask(taskId: string): Promise<TalendTask | null> {
    return this.readTarget<TalendTask>(this.taskUrl(taskId), taskId, taskSchema as SchemaOf<TalendTask>, 1024 * 1024, 'Talend task', 'task');
  }

  private connectionUrl(connectionId: string): string {
    return `${this.apiBase}/orchestration/connections/${encodeURIComponent(connectionId)}`;
  }

  private taskUrl(taskId: string): string {
    return `${this.apiBase}/orchestration/executables/tasks/${encodeURIComponent(taskId)}`;
  }

  /** GET of a connection or task: null on 404; an answer about another ID is an error. */
  private async readTarget<T extends { id: string }>(url: string, id: string, schema: SchemaOf<T>, maxBodyBytes: number, what: string, kind: string): Promise<T | null> {
    const res = await this.http.request({ method: 'GET', url, repeat: 'repeatable', accept: [404], schema, maxBodyBytes, doing: `reading the ${what} ${id}` });
    if (res.status === 404) return null;
    if (!res.body || res.body.id !== id) throw new Error(`Talend: reading the ${what} ${id}: the answer is about another ${kind}.`);
    return res.body;
  }

  /**
   * Delivers the pair to one target (the Deliver step); an unknown outcome throws. `shownInClear`:
   * the run proved this tenant shows hidden values in clear, so they may be written back.
   */
  async deliver(target: Target, pair: Pair, shownInClear = false): Promise<DeliveryResult> {
    switch (target.kind) {
      case 'qlik-auth':
        return this.deliverQlikCredentials(pair.clientId, pair.clientSecret);
      case 'connection':
        return this.deliverToConnection(target.id, target.names, pair, shownInClear);
      case 'task':
        return this.deliverToTask(target.id, target.names, pair, shownInClear);
    }
  }

  /**
   * Reads a connection or task target during Read state: it must exist and take an update without
   * losing anything it shows (UnsafeUpdate otherwise); what it may hide is for the caller to prove.
   * The TMC setting cannot be read.
   */
  async inspect(target: Target, ifMissing: 'fail' | 'skip' = 'fail'): Promise<TargetInspection | undefined> {
    if (target.kind === 'qlik-auth') return undefined;
    if (ifMissing === 'skip' && (target.kind === 'connection' ? await this.getConnection(target.id) : await this.getTask(target.id)) === null) return undefined;
    if (target.kind === 'connection') return inspectConnection(await this.readConnection(target.id, target.names), target.names);
    const { task, types } = await this.readTask(target.id, target.names);
    return inspectTask(task, target.names, types);
  }

  /** A connection that must exist, its values that may be secrets masked before anything logs. */
  private async readConnection(connectionId: string, names: ParameterNames): Promise<TalendConnection> {
    const connection = this.requireTarget(await this.getConnection(connectionId), 'TMC connection', connectionId);
    for (const value of mayBeSecretValues(connection, names, null)) registerSecret(value);
    return connection;
  }

  /** A task that must exist, with its artifact's parameter types; its values that may be secrets masked. */
  private async readTask(taskId: string, names: ParameterNames): Promise<{ task: TalendTask; types: ParameterTypes }> {
    const task = this.requireTarget(await this.getTask(taskId), 'Talend task', taskId);
    const types = await this.parameterTypes(task);
    for (const value of mayBeSecretValues(task, names, types)) registerSecret(value);
    return { task, types };
  }

  /** Read once per artifact version and run. */
  private readonly artifactTypes = new Map<string, Promise<ParameterTypes>>();

  /** The types the task's artifact version declares for its parameters, or null when Talend does not say. */
  private parameterTypes(task: TalendTask): Promise<ParameterTypes> {
    const id = task.artifact?.id;
    const version = task.artifact?.version;
    if (!id || !version) return Promise.resolve(null);
    const key = `${id}\u0000${version}`;
    let types = this.artifactTypes.get(key);
    if (!types) {
      types = readParameterTypes(this.http, this.apiBase, id, version);
      this.artifactTypes.set(key, types);
    }
    return types;
  }

  /**
   * Sets the pair in a TMC connection: read it, send it back whole with the two parameters set,
   * read it again and check it holds the client ID. The PUT is a full replacement of what was just
   * read, so repeating it is safe; a 4xx is a refusal.
   */
  async deliverToConnection(connectionId: string, names: ParameterNames, pair: Pair, shownInClear = false): Promise<DeliveryResult> {
    const update = await beforeSending(async () => connectionUpdate(await this.readConnection(connectionId, names), names, pair, shownInClear));
    if ('refused' in update) return update.refused;
    const res = await this.putTarget(this.connectionUrl(connectionId), update.value, `updating the TMC connection ${connectionId}`);
    if (res) return res;
    const after = await this.getConnection(connectionId);
    const evidence = after ? connectionHolds(after, names, pair) : null;
    if (!evidence) throw readBackMismatch(`connection ${connectionId}`);
    return { outcome: 'stored', evidence, warnings: [] };
  }

  /**
   * Sets the pair in a task's parameters: read the task, send all of it back (the PUT replaces the
   * whole task) with the two parameters set, read it again and check. Warns when the task's
   * auto-upgrade would put the artifact's default parameters back.
   */
  async deliverToTask(taskId: string, names: ParameterNames, pair: Pair, shownInClear = false): Promise<DeliveryResult> {
    const prepared = await beforeSending(async () => {
      const { task, types } = await this.readTask(taskId, names);
      return { types, update: taskUpdate(task, names, pair, types, shownInClear) };
    });
    if ('refused' in prepared) return prepared.refused;
    const { update, types } = prepared.value;
    const res = await this.putTarget(this.taskUrl(taskId), update.body, `updating the parameters of the Talend task ${taskId}`);
    if (res) return res;
    const after = await this.getTask(taskId);
    const evidence = after ? taskHolds(after, names, pair, types) : null;
    if (!evidence) throw readBackMismatch(`task ${taskId}`);
    const warnings = update.autoUpgradeOverrides
      ? [
          `Task ${taskId} has auto-upgrade with 'overrideWithDefaultParameters' on: publishing a new version of its artifact puts the artifact's default parameters back, ` +
            'the Qlik client secret among them. Turn that setting off, or keep the secret in a TMC connection (talend-connection-ids).',
        ]
      : [];
    return { outcome: 'stored', evidence, warnings };
  }

  private requireTarget<T>(found: T | null, what: string, id: string): T {
    if (found === null) throw new Error(`Talend: there is no ${what} with the ID ${id} (HTTP 404). Check the ID and that the Talend token may read it.`);
    return found;
  }

  /** The PUT of a whole connection or task: undefined when stored, the refusal otherwise. */
  private async putTarget(url: string, body: unknown, doing: string): Promise<DeliveryResult | undefined> {
    const res = await this.http.request({
      method: 'PUT',
      url,
      json: body,
      ...STORING,
      maxBodyBytes: 1024 * 1024,
      doing,
    });
    if (res.status < 300) return undefined;
    if (res.status < 400) return { outcome: 'unknown', detail: unclearAnswer(res.status) };
    return { outcome: 'refused', status: res.status, message: await errorMessage(res.body) };
  }

  /**
   * A decommission's detach of a connection or task: the pair's parameters emptied, everything else
   * as read (the same update, read-back and refusals as a delivery). Resolves to the outcome.
   */
  detach(target: Target, shownInClear: boolean): Promise<DeliveryResult> {
    if (target.kind === 'qlik-auth') throw new Error("Talend: TMC's setting is disconnected with its own request, not detached.");
    return this.deliver(target, { clientId: '', clientSecret: '' }, shownInClear);
  }

  /**
   * A decommission's disconnect of TMC's Qlik Cloud Authentication, with the request the user
   * described (`talend-qlik-auth-disconnect-request`), judged like the request that stores the pair.
   */
  disconnectQlikAuth(request: QlikAuthDisconnect, url: string): Promise<DeliveryResult> {
    // A JSON body that is absent stays absent: `json: undefined` sends no body (api-client.ts).
    return this.sendQlikAuth(request, url, { clientId: '', clientSecret: '' }, "disconnecting TMC's Qlik Cloud Authentication");
  }

  /** Starts a task run. Not repeated after an unknown outcome: that would start a second run. */
  async startExecution(taskId: string): Promise<string> {
    const res = await this.http.request({
      method: 'POST',
      url: `${this.apiBase}/processing/executions`,
      json: { executable: taskId },
      repeat: 'once',
      schema: executionCreatedSchema,
      maxBodyBytes: 64 * 1024,
      doing: `starting a run of the Talend task ${taskId}`,
    });
    if (!res.body) throw new Error('Talend: starting the task run: the answer had no execution ID.');
    return res.body.executionId;
  }

  async getExecution(executionId: string): Promise<ExecutionState> {
    const res = await this.http.request({
      method: 'GET',
      url: `${this.apiBase}/processing/executions/${encodeURIComponent(executionId)}`,
      repeat: 'repeatable',
      schema: executionSchema,
      maxBodyBytes: 256 * 1024,
      doing: 'reading the state of the Talend task run',
    });
    if (!res.body) throw new Error('Talend: reading the task run: the answer had no body.');
    const { status, errorMessage } = res.body;
    const passed = Object.hasOwn(FINAL_EXECUTION_STATUSES, status)
      ? FINAL_EXECUTION_STATUSES[status as keyof typeof FINAL_EXECUTION_STATUSES]
      : undefined;
    // Job output: it may quote anything, so it is scrubbed before anyone prints it.
    return { status: redact(status, 64), passed, errorMessage: errorMessage ? redact(errorMessage) : undefined };
  }
}

/** Talend's `message`, scrubbed: an error body may quote anything. */
async function errorMessage(body: unknown): Promise<string | undefined> {
  const parsed = (await loadZod()).safeParse(await talendErrorSchema(), body);
  return parsed.success && parsed.data.message ? redact(parsed.data.message) : undefined;
}

/**
 * The read and the building of an update, before anything is sent: whatever fails here (no such
 * target, no answer, an update that would lose a value) leaves the target as it was, a definite
 * "not stored".
 */
async function beforeSending<T>(prepare: () => Promise<T>): Promise<{ value: T } | { refused: DeliveryResult }> {
  try {
    return { value: await prepare() };
  } catch (err) {
    return { refused: { outcome: 'refused', message: `nothing was sent: ${(err as Error).message}` } };
  }
}

/**
 * The PUT was answered 2xx, but reading the target back does not show the pair it was given. What
 * the target holds now is unknown (it may have stored the secret and not the ID, or store it
 * later), so this is not a refusal: the caller keeps the new secret as pending.
 */
function readBackMismatch(what: string): Error {
  return new Error(`Talend accepted the update of ${what}, but reading it back does not show the new pair: what it holds now is unknown.`);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** A 3xx or an unlisted 2xx: the target may have stored the pair before answering so. */
function unclearAnswer(status: number): string {
  const what = status >= 300 && status < 400 ? 'a redirect, not followed' : 'an answer that does not say the pair was stored';
  return `HTTP ${status} (${what}): the target may hold the new pair`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
