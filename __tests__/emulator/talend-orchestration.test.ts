/**
 * The emulated Orchestration API for TMC connections and task definitions: full-replacement PUTs,
 * 404 and 409 answers, and the three ways an encrypted value may read back (clear, masked,
 * omitted), which Talend does not document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type SecretReadBack, startEmulator } from '../../emulator/index.js';
import { talend } from './helpers.js';

let emu: Emulator;
afterEach(async () => {
  await emu.close();
});

async function withConnection(readBack: SecretReadBack): Promise<void> {
  emu = await startEmulator({ secretReadBack: readBack });
  emu.defineConnection({
    id: 'conn-1',
    name: 'Qlik tenant',
    parameters: [
      { name: 'client_id', value: 'old-client' },
      { name: 'client_secret', value: 'old-secret-value-xyz', encrypted: true },
    ],
  });
}

describe('TMC connections', () => {
  it.each([
    ['clear', 'old-secret-value-xyz'],
    ['masked', '****'],
    ['omitted', undefined],
  ] as const)('GET reads an encrypted value back %s', async (mode, expected) => {
    await withConnection(mode);
    const res = await talend(emu, '/orchestration/connections/conn-1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'conn-1', name: 'Qlik tenant', app: expect.any(String), workspace: { id: expect.any(String) } });
    expect(res.body.parameters[0]).toEqual({ name: 'client_id', value: 'old-client', encrypted: false });
    expect(res.body.parameters[1].value).toBe(expected);
    expect('value' in res.body.parameters[1]).toBe(mode !== 'omitted');
  });

  it('PUT replaces the name and the whole parameter list: a mask written back is stored as the value', async () => {
    await withConnection('masked');
    const res = await talend(emu, '/orchestration/connections/conn-1', {
      method: 'PUT',
      json: { name: 'Qlik tenant', parameters: [{ name: 'client_secret', value: '****', encrypted: true }] },
    });
    expect(res.status).toBe(200);
    expect(emu.connection('conn-1')!.parameters).toEqual([{ name: 'client_secret', value: '****', encrypted: true }]);
  });

  it('answers 404 for an unknown connection, 400 for a body without name or parameters, 409 for a taken name', async () => {
    await withConnection('masked');
    emu.defineConnection({ id: 'conn-2', name: 'Other' });
    expect((await talend(emu, '/orchestration/connections/nope')).status).toBe(404);
    expect((await talend(emu, '/orchestration/connections/conn-1', { method: 'PUT', json: { parameters: [] } })).status).toBe(400);
    expect((await talend(emu, '/orchestration/connections/conn-1', { method: 'PUT', json: { name: 'x', parameters: [{ value: 'v' }] } })).status).toBe(400);
    const taken = await talend(emu, '/orchestration/connections/conn-1', { method: 'PUT', json: { name: 'Other', parameters: [] } });
    expect(taken.status).toBe(409);
    expect(taken.body.message).toBe('Connection name already exists');
    expect((await talend(emu, '/orchestration/connections/conn-1', { auth: 'nope' })).status).toBe(401);
  });
});

describe('task definitions', () => {
  async function withTask(readBack: SecretReadBack): Promise<void> {
    emu = await startEmulator({ secretReadBack: readBack });
    emu.defineTaskDefinition({
      id: 'task-1',
      name: 'Load sales',
      description: 'nightly',
      tags: ['qlik'],
      connections: { qlik: 'conn-1' },
      parameters: { QLIK_CLIENT_ID: 'old-client', QLIK_CLIENT_SECRET: 'old-secret-value-xyz', SPACE: 'Shared' },
      sensitive: ['QLIK_CLIENT_SECRET'],
      autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: false },
    });
  }

  it.each([
    ['clear', 'old-secret-value-xyz'],
    ['masked', '****'],
    ['omitted', undefined],
  ] as const)('GET answers a TaskV21; a password-type parameter reads back %s', async (mode, expected) => {
    await withTask(mode);
    const res = await talend(emu, '/orchestration/executables/tasks/task-1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'task-1',
      name: 'Load sales',
      workspace: { id: 'ws-emulated' },
      artifact: { id: 'artifact-task-1', version: '0.1.0' },
      tags: ['qlik'],
      connections: { qlik: 'conn-1' },
      autoUpgradeInfo: { autoUpgradable: true },
    });
    expect(res.body.parameters.QLIK_CLIENT_ID).toBe('old-client');
    expect(res.body.parameters.QLIK_CLIENT_SECRET).toBe(expected);
  });

  it('PUT replaces the whole task: what the request leaves out becomes null', async () => {
    await withTask('clear');
    const res = await talend(emu, '/orchestration/executables/tasks/task-1', {
      method: 'PUT',
      json: { name: 'Load sales', description: 'nightly', workspaceId: 'ws-emulated', artifact: { id: 'artifact-task-1', version: '0.1.0' }, parameters: { QLIK_CLIENT_ID: 'new' } },
    });
    expect(res.status).toBe(200);
    const stored = emu.taskDefinition('task-1')!;
    expect(stored.parameters).toEqual({ QLIK_CLIENT_ID: 'new' });
    expect(stored.tags).toBeNull();
    expect(stored.connections).toBeNull();
    expect(stored.autoUpgradeInfo).toBeNull();
  });

  it('answers 400 without the required fields, 404 for an unknown task', async () => {
    await withTask('clear');
    expect((await talend(emu, '/orchestration/executables/tasks/task-1', { method: 'PUT', json: { name: 'x', description: '', workspaceId: 'w' } })).status).toBe(400);
    expect((await talend(emu, '/orchestration/executables/tasks/nope')).status).toBe(404);
    expect(emu.taskDefinition('task-1')!.parameters).toMatchObject({ SPACE: 'Shared' });
  });
});

it('a client secret in a connection or task PUT is not a violation; anywhere else on Talend it is', async () => {
  emu = await startEmulator();
  const secret = emu.seedClient().clientSecrets[0]!.secret;
  emu.defineConnection({ id: 'conn-1', name: 'Qlik tenant' });
  await talend(emu, '/orchestration/connections/conn-1', { method: 'PUT', json: { name: 'Qlik tenant', parameters: [{ name: 'client_secret', value: secret, encrypted: true }] } });
  expect(emu.violations).toEqual([]);
  await talend(emu, '/orchestration/connections', { method: 'POST', json: { name: 'n', parameters: [{ name: 'client_secret', value: secret }] } });
  expect(emu.violations).toHaveLength(1);
});

describe('a Talend that hides values in other ways', () => {
  it('shows a hidden value as any mask text, and its encrypted flag left out or null', async () => {
    await withConnection('masked');
    for (const [mask, flag, expected] of [
      ['<hidden>', 'omitted', {}],
      ['[ENCRYPTED]', 'null', { encrypted: null }],
      ['＊＊＊＊', 'shown', { encrypted: true }],
    ] as const) {
      emu.setHiddenValues({ mask, encryptedFlag: flag });
      const res = await talend(emu, '/orchestration/connections/conn-1');
      expect(res.body.parameters[1]).toEqual({ name: 'client_secret', value: mask, ...expected });
    }
  });

  it('a PUT that leaves a parameter\'s flag out keeps the flag it had', async () => {
    await withConnection('masked');
    await talend(emu, '/orchestration/connections/conn-1', { method: 'PUT', json: { name: 'Qlik tenant', parameters: [{ name: 'client_id', value: 'c' }, { name: 'client_secret', value: 's-value' }] } });
    expect(emu.connection('conn-1')!.parameters.map((p) => p.encrypted)).toEqual([false, true]);
  });

  it("a task's answer leaves out the fields it is told to; its artifact version declares each parameter's type (passwords as such), or answers 403", async () => {
    emu = await startEmulator();
    emu.defineTaskDefinition({ id: 'task-1', parameters: { QLIK_CLIENT_ID: 'c', QLIK_CLIENT_SECRET: 's', BATCH: '5' }, sensitive: ['QLIK_CLIENT_SECRET'], omitFields: ['connections', 'parameters'] });
    const task = await talend(emu, '/orchestration/executables/tasks/task-1');
    expect('connections' in task.body).toBe(false);
    expect('parameters' in task.body).toBe(false);
    const { id, version } = task.body.artifact;
    const artifact = await talend(emu, `/orchestration/artifacts/${id}/versions/${version}`);
    expect(artifact.status).toBe(200);
    expect(artifact.body.parameters).toEqual([
      { name: 'QLIK_CLIENT_ID', type: 'String', required: false },
      { name: 'QLIK_CLIENT_SECRET', type: 'Password', required: false },
      { name: 'BATCH', type: 'String', required: false },
    ]);
    expect((await talend(emu, `/orchestration/artifacts/${id}/versions/9.9.9`)).status).toBe(404);
    emu.setArtifactsReadable(false);
    expect((await talend(emu, `/orchestration/artifacts/${id}/versions/${version}`)).status).toBe(403);
  });
});
