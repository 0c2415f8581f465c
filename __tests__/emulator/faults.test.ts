import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type LoggedRequest } from '../../emulator/index.js';
import { qlik, talend } from './helpers.js';

describe('emulator faults', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());
  beforeEach(() => {
    emu.clearFaults();
    emu.setLatency(0);
  });

  const secretsPath = (id: string) => `/api/v1/oauth-clients/${id}/client-secrets`;

  it('answers an injected 429 with Retry-After and a Qlik rate-limit body, once by default', async () => {
    emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/users/me', action: { status: 429, headers: { 'Retry-After': '2' } } });
    const limited = await qlik(emu, '/api/v1/users/me');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body.errors[0]).toMatchObject({ code: 'HTTP-429', title: 'API rate limit reached.' });
    expect((await qlik(emu, '/api/v1/users/me')).status).toBe(200);
  });

  it("'before' means the request had no effect; 'after' means it took effect", async () => {
    const c = emu.seedClient({ clientName: 'Faulty' });
    emu.fault({ service: 'qlik', method: 'POST', path: secretsPath(c.clientId), action: { status: 503 } });
    expect((await qlik(emu, secretsPath(c.clientId), { method: 'POST' })).status).toBe(503);
    expect(emu.client(c.clientId)?.clientSecrets).toHaveLength(1);

    emu.fault({ service: 'qlik', method: 'POST', path: secretsPath(c.clientId), when: 'after', action: { status: 502, body: 'Bad gateway' } });
    const res = await qlik(emu, secretsPath(c.clientId), { method: 'POST' });
    expect(res.status).toBe(502);
    expect(res.text).toBe('Bad gateway');
    expect(emu.client(c.clientId)?.clientSecrets).toHaveLength(2);
  });

  it('fires from the Nth matching request for `times` requests; prefix and RegExp paths; method filter', async () => {
    emu.fault({ service: 'qlik', path: '/api/v1/users/*', method: 'GET', occurrence: 2, times: 2, action: { status: 500 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await qlik(emu, '/api/v1/users/me')).status);
    expect(statuses).toEqual([200, 500, 500, 200]);

    emu.clearFaults();
    emu.fault({ service: 'qlik', path: /^\/api\/v1\/oauth-clients$/, times: Infinity, action: { status: 504 } });
    expect((await qlik(emu, '/api/v1/oauth-clients?limit=5')).status).toBe(504);
    expect((await qlik(emu, '/api/v1/oauth-clients?limit=5')).status).toBe(504);
    expect((await qlik(emu, '/api/v1/users/me')).status).toBe(200);

    emu.clearFaults();
    emu.fault({ service: 'qlik', method: 'POST', path: '/api/v1/users/me', action: { status: 500 } });
    expect((await qlik(emu, '/api/v1/users/me')).status).toBe(200);
  });

  it('matches Talend paths without the base path', async () => {
    emu.fault({ service: 'talend', method: 'PUT', path: '/tmc/qlik-cloud-authentication', action: { status: 503 } });
    const c = emu.seedClient({ clientName: 'T' });
    const res = await talend(emu, emu.talendQlikAuthUrl, { method: 'PUT', json: { clientId: c.clientId, clientSecret: c.clientSecrets[0]?.secret } });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 503 });
    expect(emu.talendPair()).toBeNull();
  });

  it('delays a matching request (latencyMs) and every response (setLatency)', async () => {
    emu.fault({ service: 'qlik', path: '/api/v1/users/me', action: { latencyMs: 150 } });
    let t = Date.now();
    expect((await qlik(emu, '/api/v1/users/me')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);

    emu.setLatency(100);
    t = Date.now();
    await talend(emu, '/account/subscription');
    expect(Date.now() - t).toBeGreaterThanOrEqual(90);
  });

  it('hangs: no answer, logged with status 0', async () => {
    emu.fault({ service: 'qlik', path: '/api/v1/users/me', action: { hang: true } });
    await expect(
      fetch(`${emu.qlikUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${emu.qlikApiKey}` }, signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    const entry = emu.log.filter((r) => r.path === '/api/v1/users/me').at(-1);
    expect(entry?.status).toBe(0);
  });

  it('resets the connection, before or after the request took effect', async () => {
    const c = emu.seedClient({ clientName: 'Reset' });
    emu.fault({ service: 'qlik', method: 'POST', path: secretsPath(c.clientId), when: 'after', action: { reset: true } });
    await expect(qlik(emu, secretsPath(c.clientId), { method: 'POST' })).rejects.toThrow();
    expect(emu.client(c.clientId)?.clientSecrets).toHaveLength(2);
    emu.fault({ service: 'qlik', method: 'POST', path: secretsPath(c.clientId), action: { reset: true } });
    await expect(qlik(emu, secretsPath(c.clientId), { method: 'POST' })).rejects.toThrow();
    expect(emu.client(c.clientId)?.clientSecrets).toHaveLength(2);
    expect(emu.log.at(-1)?.status).toBe(0);
  });

  it('echoes the Authorization header and raw body in an error, like a badly behaved server', async () => {
    emu.fault({ service: 'qlik', path: '/oauth/token', action: { echo: true } });
    const res = await qlik(emu, '/oauth/token', { method: 'POST', auth: null, form: { grant_type: 'client_credentials', client_id: 'id', client_secret: 'shh-secret' } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('shh-secret');

    emu.fault({ service: 'talend', path: '/account/subscription', action: { echo: true, status: 500 } });
    const t = await talend(emu, '/account/subscription');
    expect(t.status).toBe(500);
    expect(t.body.message).toContain(emu.talendToken);
  });

  it('logs every request in order and tells listeners on arrival and when done', async () => {
    const seen: [number, string, number][] = [];
    const off = emu.onRequest((r: LoggedRequest, phase) => seen.push([r.seq, phase, r.status]));
    emu.fault({ service: 'qlik', path: '/api/v1/users/me', action: { status: 418 } });
    await qlik(emu, '/api/v1/users/me?x=1', { method: 'GET' });
    await talend(emu, '/account/subscription', { method: 'POST', json: { a: 1 } });
    off();
    await qlik(emu, '/api/v1/users/me');
    expect(seen.map(([, phase, status]) => [phase, status])).toEqual([
      ['received', 0],
      ['done', 418],
      ['received', 0],
      ['done', 405],
    ]);
    const [q, t] = emu.log.slice(-3);
    expect(q).toMatchObject({ service: 'qlik', method: 'GET', path: '/api/v1/users/me?x=1', status: 418, authorization: `Bearer ${emu.qlikApiKey}` });
    expect(t).toMatchObject({ service: 'talend', method: 'POST', path: '/talend-api/account/subscription', body: '{"a":1}' });
    expect((t?.seq ?? 0) - (q?.seq ?? 0)).toBe(1);
  });
});

describe('emulator close', () => {
  it('ends hanging requests and closes both servers', async () => {
    const emu = await startEmulator();
    emu.fault({ service: 'talend', path: '/account/subscription', action: { hang: true } });
    const arrived = new Promise<void>((resolve) => emu.onRequest((_r, phase) => phase === 'received' && resolve()));
    const pending = fetch(`${emu.talendUrl}/account/subscription`, { headers: { authorization: `Bearer ${emu.talendToken}` } });
    await arrived;
    await emu.close();
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${emu.qlikUrl}/api/v1/users/me`)).rejects.toThrow();
  });
});
