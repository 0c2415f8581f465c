import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { qlik, talend } from './helpers.js';

describe('Talend emulator', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  const put = (clientId: string, clientSecret: string) => talend(emu, emu.talendQlikAuthUrl, { method: 'PUT', json: { clientId, clientSecret } });

  it('serves every route under the base path, with bearer auth and Talend error bodies', async () => {
    expect(emu.talendUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/talend-api$/);
    expect(emu.talendQlikAuthUrl).toBe(`${emu.talendUrl}/tmc/qlik-cloud-authentication`);
    expect(new URL(emu.talendUrl).port).not.toBe(new URL(emu.qlikUrl).port);
    const ok = await talend(emu, '/account/subscription');
    expect(ok.status).toBe(200);
    expect(Array.isArray((await talend(emu, '/orchestration/environments')).body)).toBe(true);
    const bad = await talend(emu, '/account/subscription', { auth: 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ status: 401, message: expect.any(String), requestId: expect.any(String) });
    const outside = await talend(emu, new URL(emu.talendUrl).origin + '/account/subscription');
    expect(outside.status).toBe(404);
  });

  it('stores a working pair (2xx) and refuses a broken one (400), keeping the previous pair', async () => {
    const c = emu.seedClient({ secrets: [{}, {}] });
    const [first, second] = c.clientSecrets;
    const before = emu.log.length;
    const res = await put(c.clientId, first?.secret as string);
    expect(res.status).toBe(200);
    expect(emu.talendPair()).toEqual({ clientId: c.clientId, clientSecret: first?.secret });
    // The check against Qlik happens in-process: no Qlik request in the log.
    expect(emu.log.slice(before).every((r) => r.service === 'talend')).toBe(true);

    const refused = await put(c.clientId, 'f'.repeat(64));
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('Qlik Cloud connection failed: invalid client credentials');
    expect(emu.talendPair()?.clientSecret).toBe(first?.secret);

    expect((await put(c.clientId, second?.secret as string)).status).toBe(200);
    const status = await talend(emu, '/tmc/qlik-cloud-authentication');
    expect(status.body).toEqual({ clientId: c.clientId, connected: true });
    expect(status.text).not.toContain(second?.secret);

    await qlik(emu, `/api/v1/oauth-clients/${c.clientId}/client-secrets/${second?.hint}`, { method: 'DELETE' });
    expect((await talend(emu, '/tmc/qlik-cloud-authentication')).body.connected).toBe(false);
  });

  it('refuses a pair for a non-M2M client and a body without fields', async () => {
    const c = emu.seedClient({ clientName: 'No M2M', allowedGrantTypes: [] });
    expect((await put(c.clientId, c.clientSecrets[0]?.secret as string)).status).toBe(400);
    expect((await talend(emu, emu.talendQlikAuthUrl, { method: 'PUT', json: { clientId: c.clientId } })).status).toBe(400);
  });

  it('runs a task: 201, then dispatching, executing, final per poll', async () => {
    const c = emu.seedClient({ clientName: 'Task creds' });
    emu.setTalendPair(c.clientId, c.clientSecrets[0]?.secret as string);
    emu.defineTask('ok-task', 'execution_successful');
    const started = await talend(emu, '/processing/executions', { method: 'POST', json: { executable: 'ok-task' } });
    expect(started.status).toBe(201);
    const id = started.body.executionId as string;
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const poll = await talend(emu, `/processing/executions/${id}`);
      expect(poll.status).toBe(200);
      statuses.push(poll.body.status);
      for (const field of ['accountId', 'environmentVersion', 'executionDestination', 'executionId', 'executionStatus', 'executionType', 'jobId', 'jobVersion', 'status', 'triggerTimestamp', 'userId', 'userType', 'workspaceId']) {
        expect(poll.body, field).toHaveProperty(field);
      }
    }
    expect(statuses).toEqual(['dispatching', 'executing', 'execution_successful', 'execution_successful']);
    expect(emu.executions()).toContainEqual({ executionId: id, taskId: 'ok-task', status: 'execution_successful' });
  });

  it('fails a successful task when the stored pair no longer works in Qlik; other final statuses as defined', async () => {
    const c = emu.seedClient({ clientName: 'Broken creds' });
    emu.setTalendPair(c.clientId, 'not-a-current-secret');
    emu.defineTask('qlik-task', 'execution_successful');
    emu.defineTask('rejecting-task', 'execution_rejected');
    const run = async (task: string) => {
      const id = (await talend(emu, '/processing/executions', { method: 'POST', json: { executable: task } })).body.executionId;
      let last: any;
      for (let i = 0; i < 3; i++) last = (await talend(emu, `/processing/executions/${id}`)).body;
      return last;
    };
    const failed = await run('qlik-task');
    expect(failed.status).toBe('execution_failed');
    expect(failed.errorMessage).toBeTypeOf('string');
    expect((await run('rejecting-task')).status).toBe('execution_rejected');
  });

  it('answers 404 for an unknown task or execution', async () => {
    expect((await talend(emu, '/processing/executions', { method: 'POST', json: { executable: 'no-such-task' } })).status).toBe(404);
    expect((await talend(emu, '/processing/executions/unknown')).status).toBe(404);
  });
});

describe('Talend emulator: custom base and auth path', () => {
  it('honours talendBasePath and qlikAuthPath', async () => {
    const emu = await startEmulator({ talendBasePath: '/api/v9/', qlikAuthPath: 'custom/qlik' });
    try {
      expect(emu.talendUrl.endsWith('/api/v9')).toBe(true);
      expect(emu.talendQlikAuthUrl).toBe(`${emu.talendUrl}/custom/qlik`);
      const c = emu.seedClient({});
      const res = await talend(emu, emu.talendQlikAuthUrl, { method: 'PUT', json: { clientId: c.clientId, clientSecret: c.clientSecrets[0]?.secret } });
      expect(res.status).toBe(200);
    } finally {
      await emu.close();
    }
  });
});
