/**
 * I5 "no leaks", end to end: runs of the bundle (`node dist/index.js`, as the runner runs it)
 * against the emulator that try hard to make a secret reach the log, an output, an annotation or
 * the job summary: ordinary journeys with and without RUNNER_DEBUG, servers that echo the
 * request's credentials and body in error answers, refusals and task-run errors that quote
 * secrets, and 2xx answers that are not what they should be.
 *
 * Every run is scanned twice: with `leaksIn` (scripts/action-runner.ts) and with a direct scan
 * of stdout (outside `::add-mask::` lines), stderr, GITHUB_OUTPUT (outside the masked outputs
 * client-id and client-secret) and the summary for every secret the emulator ever issued or saw
 * (API key, Talend token, client secrets, access tokens). It also checks that each secret's first
 * line in stdout is its `::add-mask::` command and that the API key and the Talend token are
 * registered in every run, also failing ones.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type Emulator, type FaultAction, type FaultRule, type LoggedRequest, type SeededClient, startEmulator } from '../../emulator/index.js';
import { type ActionRun, baseInputs, leaksIn, runAction } from '../../scripts/action-runner.js';
import { type CiKind, runCommand } from '../../scripts/command-runner.js';
import { commandLogProblems, excerptOf, secretsOf } from '../e2e/command-output.js';

const DEBUG = { RUNNER_DEBUG: '1' };
const CLIENT_PATH = /^\/api\/v1\/oauth-clients\/[^/]+$/;
const SECRETS_PATH = /^\/api\/v1\/oauth-clients\/[^/]+\/client-secrets$/;
const SECRET_PATH = /^\/api\/v1\/oauth-clients\/[^/]+\/client-secrets\/[^/]+$/;
const QLIK_AUTH_PATH = '/tmc/qlik-cloud-authentication';
const EXECUTION_PATH = /^\/processing\/executions\/[^/]+$/;

let scannedRuns = 0;
afterAll(() => {
  console.log(`leak-scanned runs: ${scannedRuns}`);
});

// ---------------------------------------------------------------------------------------------
// The scan
// ---------------------------------------------------------------------------------------------

/** GITHUB_OUTPUT as written, without the blocks of the masked outputs client-id and client-secret. */
function outputFileOutsideMasked(text: string): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (m && (m[1] === 'client-id' || m[1] === 'client-secret')) {
      for (i++; i < lines.length && lines[i] !== m[2]; i++);
      continue;
    }
    kept.push(lines[i]!);
  }
  return kept.join('\n');
}

/** Every problem found in one run; [] when it is clean. */
function leakProblems(run: ActionRun, emu: Emulator): string[] {
  const secrets = [...new Set(emu.issuedSecrets())].filter((s) => s.length >= 8);
  const problems = leaksIn(run, secrets).map((p) => `leaksIn: ${p}`);

  const stdoutLines = run.stdout.split('\n');
  const places: [string, string][] = [
    ['stdout', stdoutLines.filter((l) => !l.startsWith('::add-mask::')).join('\n')],
    ['stderr', run.stderr],
    ['GITHUB_OUTPUT', outputFileOutsideMasked(run.outputFile)],
    ['summary', run.summary],
  ];
  const name = (s: string) =>
    s === emu.qlikApiKey ? 'the Qlik API key' : s === emu.talendToken ? 'the Talend token' : `a secret starting ${s.slice(0, 6)}…`;
  for (const secret of secrets) {
    for (const [where, text] of places) if (text.includes(secret)) problems.push(`${where} contains ${name(secret)}`);
    // The first line that holds a secret must be its ::add-mask:: command.
    const first = stdoutLines.find((l) => l.includes(secret));
    if (first !== undefined && !first.startsWith('::add-mask::')) problems.push(`${name(secret)} is printed before it is masked`);
  }
  for (const mask of run.masks) {
    const first = stdoutLines.find((l) => l.includes(mask));
    if (first !== undefined && !first.startsWith('::add-mask::')) problems.push(`a masked value starting ${mask.slice(0, 6)}… is printed before its ::add-mask::`);
  }
  // The secret inputs are registered in every run, also in failing ones.
  if (!run.masks.includes(emu.qlikApiKey)) problems.push('the Qlik API key was not registered with ::add-mask::');
  if (!run.masks.includes(emu.talendToken)) problems.push('the Talend token was not registered with ::add-mask::');
  // The masked outputs are registered before they are written.
  for (const output of ['client-id', 'client-secret']) {
    const value = run.outputs[output];
    if (value && !run.masks.includes(value)) problems.push(`output ${output} is not registered with ::add-mask::`);
  }
  return problems;
}

function scan(run: ActionRun, emu: Emulator): void {
  scannedRuns += 1;
  expect(leakProblems(run, emu), excerpt(run)).toEqual([]);
  expect(emu.violations, 'credential mistakes on the wire').toEqual([]);
}

function excerpt(run: ActionRun): string {
  const lines = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
  return `exit ${run.code}\n${lines.join('\n').slice(0, 5000)}\nstderr: ${run.stderr.slice(0, 1000)}`;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async function withEmulator(fn: (emu: Emulator) => Promise<void>): Promise<void> {
  const emu = await startEmulator();
  try {
    await fn(emu);
  } finally {
    await emu.close();
  }
}

/** Runs the bundle against `emu` with the base inputs plus `extra`, and scans the run. */
async function act(emu: Emulator, extra: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction({ ...baseInputs(emu), ...extra }, { env });
  scan(run, emu);
  return run;
}

function expectFailed(run: ActionRun): void {
  expect(run.code, excerpt(run)).not.toBe(0);
  expect(run.outputs.result, excerpt(run)).toBe('failed');
  expect(run.stdout, excerpt(run)).toMatch(/^::error[^:]*::/m);
}

/** A hand-made client with one 3-day-old secret that Talend holds, and no record: a run rotates. */
function seedHandMade(emu: Emulator): SeededClient {
  const c = emu.seedClient({ secrets: [{ ageDays: 3 }] });
  emu.setTalendPair(c.clientId, c.clientSecrets[0]!.secret);
  return c;
}

/** Path of a logged request relative to its service's base (the Talend base path removed). */
function routePath(emu: Emulator, r: LoggedRequest): string {
  const path = r.path.split('?')[0]!;
  const base = new URL(emu.talendUrl).pathname;
  return r.service === 'talend' && path.startsWith(base) ? path.slice(base.length) : path;
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

/** Calls `fn` once, synchronously, when the `nth` request matching is received (before faults are matched). */
function onNth(emu: Emulator, match: { service: 'qlik' | 'talend'; method: string; path: string | RegExp }, nth: number, fn: (r: LoggedRequest) => void): void {
  let seen = 0;
  const off = emu.onRequest((r, phase) => {
    if (phase !== 'received' || r.service !== match.service || r.method !== match.method) return;
    if (!pathMatches(match.path, routePath(emu, r))) return;
    seen += 1;
    if (seen === nth) {
      off();
      fn(r);
    }
  });
}

/** The emulator answered the matching request with `status` (the fault fired). */
function expectAnswered(emu: Emulator, match: { service: 'qlik' | 'talend'; method: string; path: string | RegExp }, status: number): void {
  const seen = emu.log.filter((r) => r.service === match.service && r.method === match.method && pathMatches(match.path, routePath(emu, r)));
  expect(
    seen.map((r) => r.status),
    `${match.method} ${String(match.path)}`,
  ).toContain(status);
}

const newestSecret = (emu: Emulator): string => {
  const secrets = emu.clients().flatMap((c) => c.clientSecrets);
  return [...secrets].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1)!.secret;
};

const qlikErrorBody = (status: number, title: string, detail = title) => ({ errors: [{ code: `HTTP-${status}`, title, detail }] });

// ---------------------------------------------------------------------------------------------
// 1. Ordinary journeys, with and without RUNNER_DEBUG
// ---------------------------------------------------------------------------------------------

describe('I5 on ordinary journeys', () => {
  const modes = [
    ['without RUNNER_DEBUG', {}],
    ['with RUNNER_DEBUG=1', DEBUG],
  ] as const;

  it.concurrent.each(modes)('create %s', (_m, env) =>
    withEmulator(async (emu) => {
      const run = await act(emu, {}, env);
      expect(run.code, excerpt(run)).toBe(0);
      expect(run.outputs.result).toBe('created');
      expect(run.outputs['client-secret']).not.toBe('');
    }),
  );

  it.concurrent.each(modes)('rotate: always %s', (_m, env) =>
    withEmulator(async (emu) => {
      await act(emu, {}, env);
      const run = await act(emu, { rotate: 'always' }, env);
      expect(run.code, excerpt(run)).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      expect(run.outputs['client-secret']).not.toBe('');
    }),
  );

  it.concurrent.each(modes)('adopting a hand-made client (rotation) %s', (_m, env) =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      const run = await act(emu, {}, env);
      expect(run.code, excerpt(run)).toBe(0);
      expect(run.outputs.result).toBe('rotated');
    }),
  );

  it.concurrent.each(modes)('dry run on a drifted hand-made client %s', (_m, env) =>
    withEmulator(async (emu) => {
      const c = seedHandMade(emu);
      emu.updateClient(c.clientId, { consentMethod: 'required', allowedScopes: ['user_default'] });
      const run = await act(emu, { 'dry-run': 'true' }, env);
      expect(run.code, excerpt(run)).toBe(0);
      expect(run.outputs.result).toBe('planned');
    }),
  );

  it.concurrent.each(modes)('repaired drift %s', (_m, env) =>
    withEmulator(async (emu) => {
      await act(emu, {}, env);
      const c = emu.clients()[0]!;
      emu.updateClient(c.clientId, { consentMethod: 'required', allowedGrantTypes: ['urn:qlik:oauth:user-impersonation'], allowedScopes: ['user_default'] });
      const run = await act(emu, {}, env);
      expect(run.code, excerpt(run)).toBe(0);
      expect(run.outputs.result).toBe('repaired');
    }),
  );

  it.concurrent.each(modes)('task-run check passing, then unchanged %s', (_m, env) =>
    withEmulator(async (emu) => {
      emu.defineTask('smoke', 'execution_successful');
      const run = await act(emu, { 'talend-check-task-id': 'smoke' }, env);
      expect(run.code, excerpt(run)).toBe(0);
      expect((await act(emu, { 'talend-check-task-id': 'smoke' }, env)).outputs.result).toBe('unchanged');
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// 2. Error answers that echo the request's Authorization header and raw body
// ---------------------------------------------------------------------------------------------

interface EchoKind {
  label: string;
  /** Prepares the emulator; returns extra inputs. */
  setup: (emu: Emulator) => Record<string, string>;
  match: { service: 'qlik' | 'talend'; method: string; path: string | RegExp };
  occurrence?: number;
  /** The run may succeed for these statuses (a 403 on the token preflight proves the token). */
  mayPass?: number[];
}

const fresh = () => ({});
const handMade = (emu: Emulator) => {
  seedHandMade(emu);
  return {};
};
const withTask = (emu: Emulator) => {
  seedHandMade(emu);
  emu.defineTask('smoke', 'execution_successful');
  return { 'talend-check-task-id': 'smoke' };
};

const ECHO_KINDS: EchoKind[] = [
  { label: 'Qlik list of clients (GET)', setup: fresh, match: { service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients' } },
  { label: 'Qlik client create (POST)', setup: fresh, match: { service: 'qlik', method: 'POST', path: '/api/v1/oauth-clients' } },
  { label: 'Qlik lease PATCH', setup: handMade, match: { service: 'qlik', method: 'PATCH', path: CLIENT_PATH } },
  { label: 'Qlik pending-record PATCH', setup: handMade, match: { service: 'qlik', method: 'PATCH', path: CLIENT_PATH }, occurrence: 2 },
  { label: 'Qlik secret create (POST)', setup: handMade, match: { service: 'qlik', method: 'POST', path: SECRETS_PATH } },
  { label: 'Qlik /oauth/token (POST, carries the client secret)', setup: handMade, match: { service: 'qlik', method: 'POST', path: '/oauth/token' } },
  { label: 'Qlik secret retire (DELETE)', setup: handMade, match: { service: 'qlik', method: 'DELETE', path: SECRET_PATH } },
  { label: 'Talend Qlik-auth PUT (carries the client secret)', setup: handMade, match: { service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH } },
  { label: 'Talend token preflight (GET)', setup: fresh, match: { service: 'talend', method: 'GET', path: '/account/subscription' }, mayPass: [403] },
  { label: 'Talend task run start (POST /processing/executions)', setup: withTask, match: { service: 'talend', method: 'POST', path: '/processing/executions' } },
  { label: 'Talend task run poll (GET)', setup: withTask, match: { service: 'talend', method: 'GET', path: EXECUTION_PATH } },
];

const ECHO_CASES = ECHO_KINDS.flatMap((kind) => [400, 401, 403, 500].map((status) => [`${kind.label} → echo ${status}`, kind, status] as const));

describe('I5 when error answers echo credentials and bodies', () => {
  it.concurrent.each(ECHO_CASES)('%s', (_label, kind, status) =>
    withEmulator(async (emu) => {
      const extra = kind.setup(emu);
      const rule: FaultRule = { ...kind.match, occurrence: kind.occurrence ?? 1, times: Infinity, action: { echo: true, status } };
      emu.fault(rule);
      // A budget of 10 s: a 5xx from TMC is repeated until the budget runs out.
      const run = await act(emu, { 'timeout-seconds': '10', ...extra }, DEBUG);
      expectAnswered(emu, kind.match, status);
      if (!kind.mayPass?.includes(status)) expectFailed(run);
    }),
  );

  it.concurrent('Talend Qlik-auth PUT → echo 503 until the deadline (unknown outcome)', () =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      emu.fault({ service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH, times: Infinity, action: { echo: true, status: 503 } });
      const run = await act(emu, { 'timeout-seconds': '5' }, DEBUG);
      expectAnswered(emu, { service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH }, 503);
      expectFailed(run);
    }),
  );

  it.concurrent('Qlik list → echo 429 with Retry-After, then echo 400', () =>
    withEmulator(async (emu) => {
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: 2, action: { status: 429, headers: { 'retry-after': '0' }, body: qlikErrorBody(429, `slow down ${emu.qlikApiKey}`) } });
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', occurrence: 3, times: Infinity, action: { echo: true, status: 400 } });
      const run = await act(emu, {}, DEBUG);
      expectFailed(run);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// 2b. The command's output, where no CI masks anything (GitLab) and where Azure does
// ---------------------------------------------------------------------------------------------

/**
 * The same echoing servers, the command with debug lines: on GitLab nothing secret may appear
 * anywhere (no client ID either), on Azure only in its ##vso[task.setsecret] line; the output
 * JSON and the summary file hold none (command-output.ts).
 */
const COMMAND_CASES = ECHO_KINDS.flatMap((kind) => (['gitlab', 'azure-pipelines'] as CiKind[]).map((ci) => [`${kind.label} → echo 400, on ${ci}`, kind, ci] as const));

describe('I5 for the command, when error answers echo credentials and bodies', () => {
  it.concurrent.each(COMMAND_CASES)('%s', (_label, kind, ci) =>
    withEmulator(async (emu) => {
      const extra = kind.setup(emu);
      emu.fault({ ...kind.match, occurrence: kind.occurrence ?? 1, times: Infinity, action: { echo: true, status: 400 } });
      const run = await runCommand({ ...baseInputs(emu), 'timeout-seconds': '10', ...extra }, ci, { extraArgs: ['--verbose'] });
      scannedRuns += 1;
      expectAnswered(emu, kind.match, 400);
      expect(commandLogProblems(run, ci, secretsOf(emu)), excerptOf(run)).toEqual([]);
      expect(run.code, excerptOf(run)).toBe(1);
      expect(run.outputs.result).toBe('failed');
      expect(emu.violations).toEqual([]);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// 3. Refusals and errors that quote a secret
// ---------------------------------------------------------------------------------------------

describe('I5 when answers quote secrets', () => {
  it.concurrent('Talend refuses the PUT with a message quoting the new client secret', () =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      onNth(emu, { service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH }, 1, (r) => {
        const { clientSecret } = JSON.parse(r.body ?? '{}') as { clientSecret: string };
        const body = { status: 400, message: `Qlik Cloud connection failed for secret ${clientSecret}`, detail: clientSecret, error: clientSecret };
        emu.fault({ service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH, action: { status: 400, body } });
      });
      const run = await act(emu, {}, DEBUG);
      expectAnswered(emu, { service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH }, 400);
      expectFailed(run);
      expect(run.stdout).toMatch(/Talend refused the new secret/);
    }),
  );

  it.concurrent('Talend refuses the PUT with a message that is only the secret', () =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      onNth(emu, { service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH }, 1, (r) => {
        const { clientSecret } = JSON.parse(r.body ?? '{}') as { clientSecret: string };
        emu.fault({ service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH, action: { status: 422, body: { status: 422, message: clientSecret } } });
      });
      const run = await act(emu, {}, DEBUG);
      expectAnswered(emu, { service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH }, 422);
      expectFailed(run);
    }),
  );

  it.concurrent('Talend refuses the PUT quoting the API key and the Talend token', () =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      const message = `Qlik Cloud connection failed: key ${emu.qlikApiKey} rejected for ${emu.talendToken}`;
      emu.fault({ service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH, times: Infinity, action: { status: 400, body: { status: 400, message, detail: message } } });
      const run = await act(emu, {}, DEBUG);
      expectFailed(run);
    }),
  );

  it.concurrent('Qlik answers /oauth/token 500 with a title quoting the client secret', () =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      onNth(emu, { service: 'qlik', method: 'POST', path: '/oauth/token' }, 1, (r) => {
        const { client_secret: s } = JSON.parse(r.body ?? '{}') as { client_secret: string };
        emu.fault({ service: 'qlik', method: 'POST', path: '/oauth/token', action: { status: 500, body: qlikErrorBody(500, `invalid_client ${s} (key ${emu.qlikApiKey})`) } });
      });
      const run = await act(emu, {}, DEBUG);
      expectAnswered(emu, { service: 'qlik', method: 'POST', path: '/oauth/token' }, 500);
      expectFailed(run);
    }),
  );

  it.concurrent('Qlik refuses the pending-record PATCH with a title quoting the new secret', () =>
    withEmulator(async (emu) => {
      seedHandMade(emu);
      onNth(emu, { service: 'qlik', method: 'PATCH', path: CLIENT_PATH }, 2, () => {
        const s = newestSecret(emu);
        emu.fault({ service: 'qlik', method: 'PATCH', path: CLIENT_PATH, times: Infinity, action: { status: 400, body: qlikErrorBody(400, `description holds ${s}`) } });
      });
      const run = await act(emu, {}, DEBUG);
      expectAnswered(emu, { service: 'qlik', method: 'PATCH', path: CLIENT_PATH }, 400);
      expectFailed(run);
    }),
  );

  it.concurrent('Qlik refuses to retire the old secret with a title quoting it and the API key', () =>
    withEmulator(async (emu) => {
      const c = seedHandMade(emu);
      const old = c.clientSecrets[0]!.secret;
      emu.fault({ service: 'qlik', method: 'DELETE', path: SECRET_PATH, times: Infinity, action: { status: 409, body: qlikErrorBody(409, `secret ${old} is in use by ${emu.qlikApiKey}`) } });
      const run = await act(emu, {}, DEBUG);
      expectAnswered(emu, { service: 'qlik', method: 'DELETE', path: SECRET_PATH }, 409);
      expectFailed(run);
    }),
  );

  it.concurrent('a Qlik error code made of the API key', () =>
    withEmulator(async (emu) => {
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: Infinity, action: { status: 403, body: { errors: [{ code: emu.qlikApiKey, title: emu.qlikApiKey }] } } });
      const run = await act(emu, {}, DEBUG);
      expectFailed(run);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// 4. 2xx answers that are not what they should be
// ---------------------------------------------------------------------------------------------

describe('I5 on odd 2xx answers', () => {
  const cases: [string, (emu: Emulator) => { extra: Record<string, string>; rule: FaultRule }][] = [
    [
      'Qlik client list: 200 with a non-JSON body holding the API key',
      (emu) => ({ extra: {}, rule: { service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: Infinity, action: { status: 200, body: `<html>bad gateway for ${emu.qlikApiKey}</html>` } } }),
    ],
    [
      'Qlik client list: 200 JSON of the wrong shape holding the API key',
      (emu) => ({ extra: {}, rule: { service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: Infinity, action: { status: 200, body: { data: emu.qlikApiKey, links: { next: emu.qlikApiKey } } } } }),
    ],
    [
      'Qlik pinned client read: 200 with a non-JSON body holding the API key',
      (emu) => {
        const c = seedHandMade(emu);
        const body = `{"clientId": "${c.clientId}", "secret": "${c.clientSecrets[0]!.secret}", key: ${emu.qlikApiKey}`;
        return { extra: { 'client-id': c.clientId }, rule: { service: 'qlik', method: 'GET', path: CLIENT_PATH, times: Infinity, action: { status: 200, body } } };
      },
    ],
    [
      'Talend token preflight: 200 with a non-JSON body holding the Talend token',
      (emu) => ({ extra: {}, rule: { service: 'talend', method: 'GET', path: '/account/subscription', times: Infinity, action: { status: 200, body: `token ${emu.talendToken} ok` } } }),
    ],
    [
      'Qlik /oauth/token: 200 with a non-JSON body holding the API key',
      (emu) => {
        seedHandMade(emu);
        return { extra: {}, rule: { service: 'qlik', method: 'POST', path: '/oauth/token', times: Infinity, action: { status: 200, body: `access_token=${emu.qlikApiKey}` } } };
      },
    ],
    [
      'Talend task poll: 200 with a non-JSON body holding the Talend token',
      (emu) => ({ extra: withTask(emu), rule: { service: 'talend', method: 'GET', path: EXECUTION_PATH, times: Infinity, action: { status: 200, body: `status=${emu.talendToken}` } } }),
    ],
  ];

  it.concurrent.each(cases)('%s', (_label, make) =>
    withEmulator(async (emu) => {
      const { extra, rule } = make(emu);
      emu.fault(rule);
      const run = await act(emu, extra, DEBUG);
      expectAnswered(emu, { service: rule.service, method: rule.method ?? 'GET', path: rule.path }, 200);
      expectFailed(run);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// 5. Task runs whose answers quote secrets
// ---------------------------------------------------------------------------------------------

describe('I5 when a task run quotes secrets', () => {
  const failedRun = (errorMessage: string) => ({
    executionId: 'exec-1',
    taskId: 'smoke',
    status: 'execution_failed',
    errorType: 'JOB_FAILURE',
    errorMessage,
  });

  it.concurrent('errorMessage holding the Talend token and the API key', () =>
    withEmulator(async (emu) => {
      const extra = withTask(emu);
      const action: FaultAction = { status: 200, body: failedRun(`auth failed: token ${emu.talendToken}, key ${emu.qlikApiKey}`) };
      emu.fault({ service: 'talend', method: 'GET', path: EXECUTION_PATH, times: Infinity, action });
      const run = await act(emu, extra, DEBUG);
      expectFailed(run);
      expect(run.stdout).toMatch(/did not pass/);
    }),
  );

  it.concurrent('errorMessage holding the client secret Talend holds', () =>
    withEmulator(async (emu) => {
      const extra = withTask(emu);
      onNth(emu, { service: 'talend', method: 'GET', path: EXECUTION_PATH }, 1, () => {
        const secret = emu.talendPair()!.clientSecret;
        const body = failedRun(`tQlikConnection: client_secret=${secret} rejected`);
        emu.fault({ service: 'talend', method: 'GET', path: EXECUTION_PATH, times: Infinity, action: { status: 200, body } });
      });
      const run = await act(emu, extra, DEBUG);
      expectFailed(run);
      expect(run.stdout).toMatch(/did not pass/);
    }),
  );

  // Which way the poll loop gives up is a race between its own deadline check ("still <status>
  // when the time budget ran out") and the HTTP layer's ("budget ran out before the request could
  // be sent"); only the first shows the status. Each attempt is scanned; at least one must take
  // the first way, so the case is never passed vacuously.
  it.concurrent(
    'an unknown status that holds the Talend token (polled until the deadline)',
    async () => {
      let reachedStill = false;
      for (let attempt = 1; attempt <= 8 && !reachedStill; attempt++) {
        await withEmulator(async (emu) => {
          const extra = withTask(emu);
          const body = { executionId: 'exec-1', taskId: 'smoke', status: `queued-${emu.talendToken}` };
          emu.fault({ service: 'talend', method: 'GET', path: EXECUTION_PATH, times: Infinity, action: { status: 200, body } });
          const run = await act(emu, { ...extra, 'timeout-seconds': '5' }, DEBUG);
          expectFailed(run);
          reachedStill = /still queued-/.test(run.stdout + run.summary);
        });
      }
      expect(reachedStill, 'no attempt gave up on the unknown status itself').toBe(true);
    },
    90_000,
  );

  it.concurrent('an execution ID that is the Talend token', () =>
    withEmulator(async (emu) => {
      const extra = withTask(emu);
      emu.fault({ service: 'talend', method: 'POST', path: '/processing/executions', action: { status: 201, body: { executionId: emu.talendToken } } });
      const run = await act(emu, extra, DEBUG);
      expectFailed(run);
    }),
  );
});

// ---------------------------------------------------------------------------------------------
// 6. Fields the action treats as public labels, filled with a secret by a misbehaving server
// ---------------------------------------------------------------------------------------------

describe('I5 when a public field holds a secret', () => {
  it.concurrent("Qlik returns a secret whose hint is the API key (hints are printed unmasked)", () =>
    withEmulator(async (emu) => {
      const c = seedHandMade(emu);
      const hint = c.clientSecrets[0]!.hint;
      // The real answers of the two reads, with the hint replaced by the API key.
      const get = async (path: string) => {
        const res = await fetch(emu.qlikUrl + path, { headers: { authorization: `Bearer ${emu.qlikApiKey}` } });
        return (await res.text()).split(JSON.stringify(hint)).join(JSON.stringify(emu.qlikApiKey));
      };
      const filter = encodeURIComponent('clientName eq "Talend Management Console"');
      const list = JSON.parse(await get(`/api/v1/oauth-clients?filter=${filter}`)) as unknown;
      const one = JSON.parse(await get(`/api/v1/oauth-clients/${c.clientId}`)) as unknown;
      const mark = emu.log.length;
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: Infinity, action: { status: 200, body: list } });
      emu.fault({ service: 'qlik', method: 'GET', path: CLIENT_PATH, times: Infinity, action: { status: 200, body: one } });
      const run = await act(emu, {}, DEBUG);
      expect(emu.log.slice(mark).some((r) => r.method === 'GET' && r.status === 200)).toBe(true);
      expect(run.code).not.toBeNull();
    }),
  );
});
