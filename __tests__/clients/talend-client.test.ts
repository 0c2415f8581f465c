import nock from '../http/nock-setup.js';
import * as core from '@actions/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerSecret, resetSecretsForTest } from '../../src/secrets.js';
import { TalendApi } from '../../src/talend/client.js';
import { DEFAULT_QLIK_AUTH_REQUEST, type QlikAuthRequest } from '../../src/talend/qlik-auth-request.js';
import { TALEND, TALEND_TOKEN, makeClient } from '../http/helpers.js';

vi.mock('@actions/core');

const AUTH_PATH = '/tmc/qlik-auth';
function api(request: QlikAuthRequest = DEFAULT_QLIK_AUTH_REQUEST) {
  const { client, time } = makeClient({ service: 'Talend', token: TALEND_TOKEN, allowedOrigins: [TALEND], defaultHeaders: { 'talend-version': '2021-03' } });
  return { talend: new TalendApi(client, TALEND, `${TALEND}${AUTH_PATH}`, request), time };
}

beforeEach(() => {
  resetSecretsForTest();
  registerSecret(TALEND_TOKEN);
});
afterEach(() => nock.cleanAll());

describe('TalendApi', () => {
  it('the token preflight accepts 200 and 403; 404 says the API base is wrong; 401 is a refused token', async () => {
    nock(TALEND)
      .get('/account/subscription').reply(200, {})
      .get('/account/subscription').reply(403, {})
      .get('/account/subscription').reply(404, { status: 404, message: 'Not Found' })
      .get('/account/subscription').reply(401, { status: 401, message: 'Unauthorized' });
    await expect(api().talend.checkToken()).resolves.toBeUndefined();
    await expect(api().talend.checkToken()).resolves.toBeUndefined();
    await expect(api().talend.checkToken()).rejects.toThrow(/HTTP 404 .*'talend-region' or 'talend-api-url'/);
    await expect(api().talend.checkToken()).rejects.toThrow(/HTTP 401/);
  });

  it('refuses an execution ID that would walk the polling path', async () => {
    nock(TALEND).post('/processing/executions').reply(201, { executionId: '..' });
    await expect(api().talend.startExecution('task-1')).rejects.toThrow(/expected shape/);
  });

  it('a redirect is never followed, and is no refusal: TMC may have stored the pair before sending the browser on', async () => {
    nock(TALEND).put(AUTH_PATH).reply(303, '', { location: 'https://app.example/tmc/settings' });
    expect(await api().talend.deliverQlikCredentials('c1', 'sec')).toEqual({ outcome: 'unknown', detail: expect.stringMatching(/^HTTP 303 \(a redirect, not followed\): the target may hold the new pair/) });
  });

  it("a 2xx that 'success' does not list may have stored the pair: unknown, not refused", async () => {
    nock(TALEND).put(AUTH_PATH).reply(202, {});
    expect(await api({ ...DEFAULT_QLIK_AUTH_REQUEST, success: [200] }).talend.deliverQlikCredentials('c1', 'sec')).toMatchObject({ outcome: 'unknown' });
  });

  it("'stored' and 'refused' judge a 200 by its body: TMC's web endpoints may answer 200 with an error", async () => {
    const judged = { ...DEFAULT_QLIK_AUTH_REQUEST, stored: { pointer: '/status', equals: 'CONNECTED' }, refused: { pointer: '/error/code', equals: 'INVALID_CLIENT' } };
    nock(TALEND)
      .put(AUTH_PATH).reply(200, { status: 'CONNECTED' })
      .put(AUTH_PATH).reply(200, { error: { code: 'INVALID_CLIENT' }, message: 'The Qlik client was refused' })
      .put(AUTH_PATH).reply(200, { status: 'PENDING' })
      .put(AUTH_PATH).reply(200, '');
    const { talend } = api(judged);
    expect(await talend.deliverQlikCredentials('c1', 'sec')).toMatchObject({ outcome: 'stored' });
    expect(await talend.deliverQlikCredentials('c1', 'sec')).toMatchObject({ outcome: 'refused', status: 200, message: 'The Qlik client was refused' });
    expect(await talend.deliverQlikCredentials('c1', 'sec')).toMatchObject({ outcome: 'unknown' });
    expect(await talend.deliverQlikCredentials('c1', 'sec')).toMatchObject({ outcome: 'unknown' });
  });

  it('a 4xx after an attempt without an answer is an unknown outcome, not a refusal', async () => {
    nock(TALEND)
      .put(AUTH_PATH).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .put(AUTH_PATH).reply(401, { status: 401, message: 'token expired' });
    await expect(api().talend.deliverQlikCredentials('c1', 'sec')).rejects.toMatchObject({ kind: 'unknown-outcome' });
  });

  it('keeps retrying the PUT past the usual attempt cap until the deadline', async () => {
    const seen = { n: 0 };
    nock(TALEND).put(AUTH_PATH).times(12).reply(() => (seen.n++, [503, ''])).put(AUTH_PATH).reply(204, '');
    expect(await api().talend.deliverQlikCredentials('c1', 'sec')).toEqual({ outcome: 'stored', evidence: 'answer-only', warnings: [] });
    expect(seen.n).toBe(12);
  });

  it('delivers the pair with the bearer token and the version header', async () => {
    const scope = nock(TALEND, { reqheaders: { authorization: `Bearer ${TALEND_TOKEN}`, 'talend-version': '2021-03' } })
      .put(AUTH_PATH, { clientId: 'c1', clientSecret: 'sec' })
      .reply(200, {});
    expect(await api().talend.deliverQlikCredentials('c1', 'sec')).toEqual({ outcome: 'stored', evidence: 'answer-only', warnings: [] });
    expect(scope.isDone()).toBe(true);
  });

  it('a 4xx is a refusal with a redacted message that never quotes the secret', async () => {
    const secret = 'delivered-secret-value-0123456789abcdef';
    registerSecret(secret);
    nock(TALEND).put(AUTH_PATH).reply(400, { status: 400, message: `Connection failed for ${secret}` });
    const out = await api().talend.deliverQlikCredentials('c1', secret);
    expect(out).toMatchObject({ outcome: 'refused', status: 400 });
    expect(JSON.stringify(out)).not.toContain(secret);
  });

  it('retries the PUT on 500, 503 and 429 until a definite answer', async () => {
    const seen = { n: 0 };
    nock(TALEND)
      .put(AUTH_PATH).reply(() => (seen.n++, [500, '']))
      .put(AUTH_PATH).reply(() => (seen.n++, [503, '']))
      .put(AUTH_PATH).reply(() => (seen.n++, [429, '', { 'retry-after': '1' }]))
      .put(AUTH_PATH).reply(() => (seen.n++, [204, '']));
    const { talend, time } = api();
    expect(await talend.deliverQlikCredentials('c1', 'sec')).toEqual({ outcome: 'stored', evidence: 'answer-only', warnings: [] });
    expect(seen.n).toBe(4);
    expect(time.sleeps).toContain(1000);
  });

  it('never repeats the POST that starts a task run after an unknown outcome', async () => {
    const seen = { n: 0 };
    nock(TALEND).post('/processing/executions').reply(() => (seen.n++, [502, ''])).post('/processing/executions').reply(201, { executionId: 'e' });
    await expect(api().talend.startExecution('t1')).rejects.toThrow(/outcome is unknown/);
    expect(seen.n).toBe(1);
  });

  it.each([
    ['dispatching', undefined],
    ['executing', undefined],
    ['execution_successful', true],
    ['execution_failed', false],
    ['execution_rejected', false],
    ['deploy_failed', false],
    ['terminated', false],
    ['terminated_timeout', false],
    ['terminated_shutdown', false],
    ['something_new', undefined],
  ])('execution status %s → passed %s', async (status, passed) => {
    nock(TALEND).get('/processing/executions/e1').reply(200, { status, executionId: 'e1' });
    expect((await api().talend.getExecution('e1')).passed).toBe(passed);
  });
});

describe('TalendApi: TMC connections and task parameters (Orchestration API)', () => {
  const NAMES = { clientId: 'client_id', clientSecret: 'client_secret' };
  const TASK_NAMES = { clientId: 'QLIK_CLIENT_ID', clientSecret: 'QLIK_CLIENT_SECRET' };
  const PAIR = { clientId: 'new-client', clientSecret: 'new-secret-value-0123456789' };
  const CONN = '/orchestration/connections/conn-1';
  const TASK = '/orchestration/executables/tasks/task-1';
  const ARTIFACT = '/orchestration/artifacts/art-1/versions/0.3.1';
  const connection = (clientId: string, secret = '****') => ({
    id: 'conn-1',
    name: 'Qlik tenant',
    app: 'Qlik Cloud',
    workspace: { id: 'ws-1' },
    parameters: [
      { name: 'tenant', value: 'https://tenant.example', encrypted: false },
      { name: 'client_id', value: clientId, encrypted: false },
      { name: 'client_secret', value: secret, encrypted: true },
    ],
  });
  const task = (clientId: string, extra: Record<string, unknown> = {}) => ({
    id: 'task-1',
    name: 'Load sales',
    description: null,
    version: '3',
    workspace: { id: 'ws-1', name: 'Data' },
    artifact: { id: 'art-1', name: 'load', version: '0.3.1' },
    tags: [],
    connections: { qlik: 'conn-1' },
    parameters: { QLIK_CLIENT_ID: clientId, QLIK_CLIENT_SECRET: '****', SPACE: 'Shared' },
    resources: null,
    autoUpgradeInfo: { autoUpgradable: false, overrideWithDefaultParameters: false },
    ...extra,
  });

  it('a connection: GET, PUT of the whole parameter list with the version header, GET to check', async () => {
    const scope = nock(TALEND, { reqheaders: { 'talend-version': '2021-03' } })
      .get(CONN).reply(200, connection('old-client'))
      .put(CONN, {
        name: 'Qlik tenant',
        parameters: [
          { name: 'tenant', value: 'https://tenant.example', encrypted: false },
          { name: 'client_id', value: 'new-client', encrypted: false },
          { name: 'client_secret', value: PAIR.clientSecret, encrypted: true },
        ],
      })
      .reply(200, connection('new-client'))
      .get(CONN).reply(200, connection('new-client'));
    expect(await api().talend.deliverToConnection('conn-1', NAMES, PAIR)).toEqual({ outcome: 'stored', evidence: 'client-id-read-back', warnings: [] });
    expect(scope.isDone()).toBe(true);
  });

  it('a connection that does not exist, or whose other secret Talend may hide, is a refusal naming why, before any PUT; inspect throws when it does not exist or lacks a named parameter', async () => {
    const target = { kind: 'connection' as const, key: 'connection:conn-1', id: 'conn-1', names: NAMES };
    nock(TALEND).get(CONN).reply(404, { status: 404, message: 'Not Found' });
    expect(await api().talend.deliverToConnection('conn-1', NAMES, PAIR)).toEqual({
      outcome: 'refused',
      message: expect.stringMatching(/^nothing was sent: .*no TMC connection with the ID conn-1/),
    });
    nock(TALEND).get(CONN).reply(404, { status: 404, message: 'Not Found' });
    await expect(api().talend.inspect(target)).rejects.toThrow(/no TMC connection with the ID conn-1/);
    const masked = connection('old-client');
    masked.parameters.push({ name: 'proxy_password', value: '****', encrypted: true });
    nock(TALEND).get(CONN).reply(200, masked);
    expect(await api().talend.deliver(target, PAIR)).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/proxy_password/) });
    nock(TALEND).get(CONN).reply(200, { ...masked, parameters: masked.parameters.filter((p) => p.name !== 'client_id') });
    await expect(api().talend.inspect(target)).rejects.toThrow(/no parameter named 'client_id'/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a connection PUT answered 409 is a refusal; a read-back without the new client ID is an unknown outcome', async () => {
    nock(TALEND).get(CONN).reply(200, connection('old')).put(CONN).reply(409, { status: 409, message: 'Connection name already exists' });
    expect(await api().talend.deliverToConnection('conn-1', NAMES, PAIR)).toEqual({ outcome: 'refused', status: 409, message: 'Connection name already exists' });
    nock(TALEND).get(CONN).reply(200, connection('old')).put(CONN).reply(200, {}).get(CONN).reply(200, connection('old'));
    // Not a refusal: the PUT was accepted, so what the connection holds is unknown (kept pending).
    await expect(api().talend.deliverToConnection('conn-1', NAMES, PAIR)).rejects.toThrow(/reading it back does not show the new pair: what it holds now is unknown/);
  });

  it('inspect resolves to the client ID a connection names where Talend shows it, and masks what it may hide at once', async () => {
    const target = { kind: 'connection' as const, key: 'connection:conn-1', id: 'conn-1', names: NAMES };
    nock(TALEND).get(CONN).reply(200, connection('named-client'));
    expect(await api().talend.inspect(target)).toMatchObject({ clientId: 'named-client', hidden: [], idHidden: false });
    const hiddenId = connection('named-client');
    hiddenId.parameters[1] = { name: 'client_id', value: 'named-client', encrypted: true };
    hiddenId.parameters.push({ name: 'proxy_password', value: 'proxy-password-value', encrypted: null as never });
    nock(TALEND).get(CONN).reply(200, hiddenId);
    expect(await api().talend.inspect(target)).toMatchObject({ clientId: undefined, hidden: ['proxy_password'], idHidden: true });
    expect(vi.mocked(core.setSecret)).toHaveBeenCalledWith('proxy-password-value');
  });

  it('inspect reads the task\'s artifact for its parameter types, once per artifact version; an unreadable artifact says nothing', async () => {
    const target = { kind: 'task' as const, key: 'task:task-1', id: 'task-1', names: TASK_NAMES };
    nock(TALEND)
      .get(TASK).twice().reply(200, task('named-client'))
      .get(ARTIFACT).once().reply(200, { id: 'art-1', version: '0.3.1', parameters: [{ name: 'QLIK_CLIENT_ID', type: 'String' }, { name: 'QLIK_CLIENT_SECRET', type: 'Password' }, { name: 'SPACE', type: 'String' }] });
    const { talend } = api();
    expect(await talend.inspect(target)).toEqual({ clientId: 'named-client', hidden: [], idHidden: false, secretValue: '****' });
    expect(await talend.inspect(target)).toMatchObject({ hidden: [] });
    nock(TALEND).get(TASK).reply(200, task('named-client')).get(ARTIFACT).reply(403, { status: 403, message: 'Forbidden' });
    expect(await api().talend.inspect(target)).toMatchObject({ clientId: undefined, hidden: ['SPACE'], idHidden: true, typesUnread: true });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('an answer about another connection or task is an error', async () => {
    nock(TALEND).get(CONN).reply(200, { ...connection('old'), id: 'conn-2' });
    await expect(api().talend.getConnection('conn-1')).rejects.toThrow(/another connection/);
    nock(TALEND).get(TASK).reply(200, { ...task('old'), id: 'task-2' });
    await expect(api().talend.getTask('task-1')).rejects.toThrow(/another task/);
  });

  it('a task: the whole task goes back with the two parameters set; auto-upgrade that overrides parameters is warned about', async () => {
    const upgrading = { autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: true } };
    const scope = nock(TALEND)
      .get(TASK).reply(200, task('old', upgrading))
      .get(ARTIFACT).reply(200, { parameters: { QLIK_CLIENT_ID: { type: 'String' }, QLIK_CLIENT_SECRET: { type: 'Password' }, SPACE: { type: 'String' } } })
      .put(TASK, {
        name: 'Load sales',
        description: '',
        workspaceId: 'ws-1',
        artifact: { id: 'art-1', version: '0.3.1' },
        tags: [],
        connections: { qlik: 'conn-1' },
        parameters: { QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: PAIR.clientSecret, SPACE: 'Shared' },
        autoUpgradeInfo: upgrading.autoUpgradeInfo,
      })
      .reply(200, task('new-client', upgrading))
      .get(TASK).reply(200, task('new-client', upgrading));
    const out = await api().talend.deliverToTask('task-1', TASK_NAMES, PAIR);
    expect(scope.isDone()).toBe(true);
    expect(out).toMatchObject({ outcome: 'stored', evidence: 'client-id-read-back', warnings: [expect.stringMatching(/overrideWithDefaultParameters/)] });
  });
});
