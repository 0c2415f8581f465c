/**
 * The request model: for each scenario, the requests the contract requires (the minimum), in the
 * stages that must follow each other, and the waits the protocol requires between them. From it:
 * the minimum total and critical path, the wall-time bound, and the straightforward baseline
 * (every request in sequence, the client found by an unfiltered listing at 100 per page).
 * The reasoning for every line is in bench/MODEL.md.
 */
import { createBudget } from '../src/http/budget.js';
import type { LoggedRequest } from '../emulator/index.js';
import { type ScenarioId, TIMEOUT_SECONDS, tenantSize } from './scenarios.js';

export const LATENCY_MS = 50;
/** The page size of Qlik's listing (its maximum `limit`). */
export const PAGE_SIZE = 100;

/** A request in normalised form: `<service> <METHOD> <path with IDs as {id}/{hint}>`, Talend paths without the base path. */
export type RequestLabel = string;

export const R = {
  lookup: 'qlik GET /api/v1/oauth-clients?filter',
  preflight: 'talend GET /account/subscription',
  apiKey: 'qlik GET /api/v1/api-keys/{id}',
  createClient: 'qlik POST /api/v1/oauth-clients',
  patchClient: 'qlik PATCH /api/v1/oauth-clients/{id}',
  getClient: 'qlik GET /api/v1/oauth-clients/{id}',
  createSecret: 'qlik POST /api/v1/oauth-clients/{id}/client-secrets',
  token: 'qlik POST /oauth/token',
  revoke: 'qlik POST /oauth/revoke',
  deliver: 'talend PUT /tmc/qlik-cloud-authentication',
  getConnection: 'talend GET /orchestration/connections/{id}',
  putConnection: 'talend PUT /orchestration/connections/{id}',
  getTask: 'talend GET /orchestration/executables/tasks/{id}',
  putTask: 'talend PUT /orchestration/executables/tasks/{id}',
  getArtifact: 'talend GET /orchestration/artifacts/{id}/versions/{version}',
  deleteSecret: 'qlik DELETE /api/v1/oauth-clients/{id}/client-secrets/{hint}',
  startExecution: 'talend POST /processing/executions',
  pollExecution: 'talend GET /processing/executions/{id}',
} as const satisfies Record<string, RequestLabel>;

export interface RequiredRequest {
  label: RequestLabel;
  /** 1-based stage: requests of one stage are independent and may overlap; stages follow each other. */
  stage: number;
  why: string;
  /** An unfiltered listing in the baseline: one request per page of the whole tenant. */
  listing?: 'before' | 'after-create';
}

export interface RequiredWait {
  what: string;
  ms: number;
}

export interface ScenarioModel {
  requests: RequiredRequest[];
  waits: RequiredWait[];
}

const budget = createBudget(TIMEOUT_SECONDS, { now: () => 0 });
/** The wait between the lease write and its read-back (src/http/budget.ts). */
export const SETTLE_MS = budget.leaseSettleMs;
/** First wait between polls, growing × 1.5 up to the cap (src/http/budget.ts). */
const POLL_START_MS = budget.pollStartMs;
const POLL_CAP_MS = budget.pollCapMs;
/** The emulator reports a task run as final at its 3rd poll (dispatching, executing, final). */
export const POLLS_TO_FINAL = 3;
export const POLL_WAITS_MS: number[] = (() => {
  const waits: number[] = [];
  let w = POLL_START_MS;
  for (let i = 1; i < POLLS_TO_FINAL; i++) {
    waits.push(w);
    w = Math.min(Math.round(w * 1.5), POLL_CAP_MS);
  }
  return waits;
})();

/** Which Talend targets a scenario delivers to. */
type Targets = { tmc: boolean; connection: boolean; task: boolean };
const TMC_ONLY: Targets = { tmc: true, connection: false, task: false };

const reads = (t: Targets = TMC_ONLY): RequiredRequest[] => [
  { label: R.lookup, stage: 1, why: 'find the client by exact name (filter, one page); the item carries its secrets, consent and the record', listing: 'before' },
  { label: R.preflight, stage: 1, why: 'Talend token preflight; independent of the Qlik read, so concurrent with it' },
  { label: R.apiKey, stage: 1, why: "the admin API key's expiry (its ID is the key's jti), to warn before it runs out; concurrent with the other reads" },
  ...(t.connection ? [{ label: R.getConnection, stage: 1, why: 'Read state: the connection exists and takes an update without losing a value; concurrent with the other reads' }] : []),
  ...(t.task
    ? [
        { label: R.getTask, stage: 1, why: 'Read state: the task exists and takes an update without losing a value; concurrent with the other reads' },
        { label: R.getArtifact, stage: 2, why: "Read state: the task's artifact version declares its parameters' types, which says what the task's answer hides (read once a run)" },
      ]
    : []),
];

/** Read state's round trips: one, or two with a task (its artifact is read once the task names it). */
const readStages = (t: Targets): number => (t.task ? 2 : 1);

/**
 * The Deliver step from `stage` on: every target at once. The TMC setting is one PUT; a connection
 * or a task is GET (read right before the update), PUT (the whole object), GET (read back).
 * Returns the requests and the next free stage.
 */
function deliveries(t: Targets, stage: number): { requests: RequiredRequest[]; next: number } {
  const requests: RequiredRequest[] = [];
  if (t.tmc) requests.push({ label: R.deliver, stage, why: 'deliver the pair to TMC\'s setting (2xx at the first attempt); overlaps the other deliveries' });
  const object = (get: RequestLabel, put: RequestLabel, what: string) =>
    requests.push(
      { label: get, stage, why: `read the ${what} right before its update (verification can take a minute; the overwrite window is one round trip)` },
      { label: put, stage: stage + 1, why: `send the whole ${what} back with the two values set` },
      { label: get, stage: stage + 2, why: `read the ${what} back: it must show the new client ID` },
    );
  if (t.connection) object(R.getConnection, R.putConnection, 'connection');
  if (t.task) object(R.getTask, R.putTask, 'task');
  return { requests, next: t.connection || t.task ? stage + 3 : stage + 1 };
}

function rotation(withCheck: boolean, t: Targets = TMC_ONLY): ScenarioModel {
  const r = readStages(t);
  const delivery = deliveries(t, r + 6);
  const requests: RequiredRequest[] = [
    ...reads(t),
    { label: R.patchClient, stage: r + 1, why: 'write the lease into the record (a run that changes something)' },
    { label: R.getClient, stage: r + 2, why: 'read the lease back after the settle wait; also the fresh secrets and record to plan on' },
    { label: R.createSecret, stage: r + 3, why: 'create the new secret (the client has room: 1 secret)' },
    { label: R.token, stage: r + 4, why: 'verify the new secret with Qlik (accepted at the first attempt)' },
    { label: R.patchClient, stage: r + 5, why: 'record the new hint as pending (at every target) before delivering it' },
    { label: R.revoke, stage: r + 5, why: 'revoke the verification token (a tenant-admin credential for 6 hours); overlaps the pending write' },
    ...delivery.requests,
  ];
  let stage = delivery.next;
  if (withCheck) {
    requests.push({
      label: R.patchClient,
      stage: stage++,
      why:
        'record the delivery (delivered = new, pending empty, check pending): step 6 records the delivery and step 7 the check result, ' +
        'and a task run can take minutes, so a run killed during it must leave the delivery recorded and the check to be repeated',
    });
    requests.push({ label: R.startExecution, stage: stage++, why: 'start the task run' });
    for (let i = 1; i <= POLLS_TO_FINAL; i++) {
      requests.push({ label: R.pollExecution, stage: stage++, why: `poll ${i} of ${POLLS_TO_FINAL} (the emulator's run is final at the 3rd poll)` });
    }
  }
  requests.push({
    label: R.patchClient,
    stage: stage++,
    why: withCheck
      ? 'final record write: check passed, lease released (one write)'
      : 'final record write: delivered = new, pending empty, lease released (one write)',
  });
  requests.push({ label: R.deleteSecret, stage: stage++, why: 'retire the one old secret (keep-previous-secrets 0)' });
  const waits: RequiredWait[] = [{ what: `lease settle wait (${SETTLE_MS} ms at timeout-seconds ${TIMEOUT_SECONDS})`, ms: SETTLE_MS }];
  if (withCheck) waits.push({ what: `poll intervals (${POLL_WAITS_MS.join(' + ')} ms)`, ms: POLL_WAITS_MS.reduce((a, b) => a + b, 0) });
  return { requests, waits };
}

export const MODELS: Record<ScenarioId, ScenarioModel> = {
  noop: { requests: reads(), waits: [] },
  'dry-run': { requests: reads(), waits: [] },
  'noop-10k': { requests: reads(), waits: [] },
  create: {
    requests: [
      ...reads(),
      { label: R.createClient, stage: 2, why: 'create the client; the record with the lease is in the create body, the new secret in the answer' },
      {
        label: R.lookup,
        stage: 3,
        why: 'after the settle wait, list the name again: settles a creation race (the lease read-back) and shows the initial secret\'s hint',
        listing: 'after-create',
      },
      { label: R.token, stage: 4, why: 'verify the new secret with Qlik' },
      { label: R.patchClient, stage: 5, why: 'record the new hint as pending before delivering it' },
      { label: R.revoke, stage: 5, why: 'revoke the verification token (a tenant-admin credential for 6 hours); overlaps the pending write' },
      { label: R.deliver, stage: 6, why: 'deliver the pair to Talend' },
      { label: R.patchClient, stage: 7, why: 'final record write: delivered = new, lease released' },
    ],
    waits: [{ what: `creation settle wait (${SETTLE_MS} ms at timeout-seconds ${TIMEOUT_SECONDS})`, ms: SETTLE_MS }],
  },
  rotate: rotation(false),
  'rotate-check': rotation(true),
  'rotate-connection': rotation(false, { tmc: false, connection: true, task: false }),
  'rotate-3': rotation(false, { tmc: true, connection: true, task: true }),
};

export interface ModelFigures {
  minTotal: number;
  minCritical: number;
  waitsMs: number;
  baselineTotal: number;
  baselineCritical: number;
  /** Pages of an unfiltered listing of the tenant at PAGE_SIZE per page (at least 1). */
  pagesBefore: number;
}

export function pagesFor(clients: number): number {
  return Math.max(1, Math.ceil(clients / PAGE_SIZE));
}

/**
 * The critical path of a rotation to one task alone (no scenario of its own): the slowest single
 * target, since a task's artifact is read after the task in Read state.
 */
export const TASK_ONLY_CRITICAL = new Set(rotation(false, { tmc: false, connection: false, task: true }).requests.map((r) => r.stage)).size;

export function figures(id: ScenarioId): ModelFigures {
  const m = MODELS[id];
  const before = tenantSize(id);
  const pagesBefore = pagesFor(before);
  const baselineTotal = m.requests.reduce(
    (n, r) => n + (r.listing === 'before' ? pagesBefore : r.listing === 'after-create' ? pagesFor(before + 1) : 1),
    0,
  );
  return {
    minTotal: m.requests.length,
    minCritical: new Set(m.requests.map((r) => r.stage)).size,
    waitsMs: m.waits.reduce((a, w) => a + w.ms, 0),
    // Straightforward: nothing overlaps, so every request is on the critical path.
    baselineTotal,
    baselineCritical: baselineTotal,
    pagesBefore,
  };
}

/** `<service> <METHOD> <path>` with the query reduced to `?filter` and IDs replaced, for comparing with the model. */
export function normalise(r: Pick<LoggedRequest, 'service' | 'method' | 'path'>, talendBasePath: string): RequestLabel {
  const [rawPath = '', query = ''] = r.path.split('?');
  let path = rawPath;
  if (r.service === 'talend' && talendBasePath !== '' && path.startsWith(talendBasePath)) path = path.slice(talendBasePath.length) || '/';
  path = path
    .replace(/^\/api\/v1\/oauth-clients\/[^/]+/, '/api/v1/oauth-clients/{id}')
    .replace(/^\/api\/v1\/api-keys\/[^/]+$/, '/api/v1/api-keys/{id}')
    .replace(/\/client-secrets\/[^/]+$/, '/client-secrets/{hint}')
    .replace(/^\/processing\/executions\/[^/]+$/, '/processing/executions/{id}')
    .replace(/^\/orchestration\/connections\/[^/]+$/, '/orchestration/connections/{id}')
    .replace(/^\/orchestration\/executables\/tasks\/[^/]+$/, '/orchestration/executables/tasks/{id}')
    .replace(/^\/orchestration\/artifacts\/[^/]+\/versions\/[^/]+$/, '/orchestration/artifacts/{id}/versions/{version}');
  const q = new URLSearchParams(query).has('filter') ? '?filter' : '';
  return `${r.service} ${r.method} ${path}${q}`;
}

/** Multiset difference: what was sent beyond the model (`extra`) and what the model needs but was not sent (`missing`). */
export function compareWithModel(sent: RequestLabel[], required: RequestLabel[]): { extra: RequestLabel[]; missing: RequestLabel[] } {
  const left = [...required];
  const extra: RequestLabel[] = [];
  for (const s of sent) {
    const i = left.indexOf(s);
    if (i >= 0) left.splice(i, 1);
    else extra.push(s);
  }
  return { extra, missing: left };
}
