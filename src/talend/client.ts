/**
 * Talend Cloud: the token preflight, TMC's Qlik Cloud Authentication setting (through the
 * action's own documented PUT contract, since Talend publishes no API for it) and the Processing
 * API's task runs. Knows wire formats, nothing about rotation.
 */
import { ApiError, type ApiClient } from '../http/api-client.js';
import { lazySchema, loadZod } from '../lazy.js';
import { redact } from '../secrets.js';
import { isUsableSegment } from '../untrusted-text.js';
import { DEFAULT_QLIK_AUTH_REQUEST, type QlikAuthRequest, renderQlikAuthRequest } from './qlik-auth-request.js';

export const TALEND_API_VERSION = '2021-03';

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

export const FINAL_EXECUTION_STATUSES = {
  execution_successful: true,
  execution_failed: false,
  execution_rejected: false,
  deploy_failed: false,
  terminated: false,
  terminated_timeout: false,
  terminated_shutdown: false,
} as const satisfies Record<string, boolean>;

export type DeliveryOutcome = { stored: true } | { stored: false; status: number; message: string | undefined };

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
    private readonly qlikAuthUrl: string,
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
   * layer repeats it until a definite answer or the deadline. A 4xx (or a 2xx that `success` does
   * not list) is TMC refusing the pair; no answer is an unknown outcome (thrown).
   */
  async deliverQlikCredentials(clientId: string, clientSecret: string): Promise<DeliveryOutcome> {
    const rendered = renderQlikAuthRequest(this.qlikAuthRequest, { clientId, clientSecret, qlikTenantUrl: this.qlikTenantUrl });
    const res = await this.http.request({
      method: rendered.method,
      url: this.qlikAuthUrl,
      ...(rendered.form ? { form: rendered.form } : { json: rendered.json }),
      headers: rendered.headers,
      repeat: 'repeatable',
      // 4xx: TMC refused the pair (429 and 408 say nothing about the pair: retried). Any 5xx is
      // retried too (the Deliver step, docs/protocol.md): the deadline decides when the outcome becomes unknown.
      // A redirect (to a sign-in page, say) is a definite "not stored" too.
      accept: [...range(300, 399), ...range(400, 499).filter((s) => s !== 408 && s !== 429)],
      retryStatuses: [...range(500, 599), 408],
      // Until a definite answer or the deadline, however many attempts that takes.
      maxAttempts: Number.POSITIVE_INFINITY,
      maxBodyBytes: 64 * 1024,
      doing: "storing the Qlik client credentials in TMC's Qlik Cloud Authentication",
    });
    const success = this.qlikAuthRequest.success;
    if (res.status < 300 && (success === null || success.includes(res.status))) return { stored: true };
    const parsed = (await loadZod()).safeParse(await talendErrorSchema(), res.body);
    const message = parsed.success && parsed.data.message ? redact(parsed.data.message) : undefined;
    return { stored: false, status: res.status, message };
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

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
