import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { qlik } from './helpers.js';

describe('Qlik emulator: client secrets', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  it('creates secrets up to 5, then answers 409 with a body', async () => {
    const c = emu.seedClient({ clientName: 'Five' });
    const path = `/api/v1/oauth-clients/${c.clientId}/client-secrets`;
    const hints = new Set([c.clientSecrets[0]?.hint]);
    for (let i = 0; i < 4; i++) {
      const res = await qlik(emu, path, { method: 'POST' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ clientId: c.clientId, createdAt: expect.any(String), createdBy: expect.any(String) });
      expect(res.body.clientSecret).toMatch(/^[0-9a-f]{64}$/);
      expect(res.body.hint).toMatch(/^[0-9a-f]{5}$/);
      hints.add(res.body.hint);
    }
    expect(hints.size).toBe(5);
    const sixth = await qlik(emu, path, { method: 'POST' });
    expect(sixth.status).toBe(409);
    expect(sixth.body.errors[0].detail).toContain('5');
    expect(emu.client(c.clientId)?.clientSecrets).toHaveLength(5);
  });

  it('deletes a secret by hint (204), 404 for an unknown hint or client', async () => {
    const c = emu.seedClient({ clientName: 'Delete secret', secrets: [{ ageDays: 40 }, {}] });
    const [old] = c.clientSecrets;
    const base = `/api/v1/oauth-clients/${c.clientId}/client-secrets`;
    expect((await qlik(emu, `${base}/${old?.hint}`, { method: 'DELETE' })).status).toBe(204);
    expect(emu.client(c.clientId)?.clientSecrets.map((s) => s.hint)).toEqual([c.clientSecrets[1]?.hint]);
    expect((await qlik(emu, `${base}/${old?.hint}`, { method: 'DELETE' })).status).toBe(404);
    expect((await qlik(emu, '/api/v1/oauth-clients/nope/client-secrets', { method: 'POST' })).status).toBe(404);
  });

  it('makes secrets only for web clients', async () => {
    const spa = emu.seedClient({ clientName: 'SPA', appType: 'spa', allowedGrantTypes: [] });
    expect(spa.clientSecrets).toHaveLength(0);
    expect((await qlik(emu, `/api/v1/oauth-clients/${spa.clientId}/client-secrets`, { method: 'POST' })).status).toBe(400);
  });

  it('addSecret seeds a secret of a given age', () => {
    const c = emu.seedClient({ clientName: 'Seeded', secrets: [] });
    const s = emu.addSecret(c.clientId, { ageDays: 31 });
    expect(Date.now() - Date.parse(s.createdAt)).toBeGreaterThan(30.9 * 86_400_000);
    expect(emu.client(c.clientId)?.clientSecrets[0]).toMatchObject({ hint: s.hint, secret: s.secret });
  });
});

describe('Qlik emulator: /oauth/token', () => {
  let emu: Emulator;
  let clientId: string;
  let secret: string;
  beforeAll(async () => {
    emu = await startEmulator({ now: () => Date.parse('2030-01-01T00:00:00Z') });
    const c = emu.seedClient({});
    clientId = c.clientId;
    secret = c.clientSecrets[0]?.secret as string;
  });
  afterAll(() => emu.close());

  const body = (s = secret) => ({ grant_type: 'client_credentials', client_id: clientId, client_secret: s });

  it('issues a token for a JSON body and for a form body', async () => {
    for (const res of [
      await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: body() }),
      await qlik(emu, '/oauth/token', { method: 'POST', auth: null, form: body() }),
    ]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: 'bearer', expires_in: 21600, expires_at: '2030-01-01T06:00:00.000Z', scope: 'user_default admin_classic' });
      expect(emu.issuedSecrets()).toContain(res.body.access_token);
    }
    expect(emu.violations).toEqual([]);
  });

  it('accepts the access token on users/me', async () => {
    const tok = await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: body() });
    const me = await qlik(emu, '/api/v1/users/me', { auth: tok.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.roles).toEqual(['TenantAdmin']);
  });

  it('answers 401 for a wrong or deleted secret, and when the grant is missing', async () => {
    expect((await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: body('0'.repeat(64)) })).status).toBe(401);
    const c = emu.seedClient({ clientName: 'Soon gone', secrets: [{}, {}] });
    const [gone, kept] = c.clientSecrets;
    await qlik(emu, `/api/v1/oauth-clients/${c.clientId}/client-secrets/${gone?.hint}`, { method: 'DELETE' });
    const req = (s?: string) => ({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: s as string });
    const refused = await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: req(gone?.secret) });
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0]).toMatchObject({ code: expect.any(String), title: expect.any(String) });
    expect((await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: req(kept?.secret) })).status).toBe(200);

    const noGrant = emu.seedClient({ clientName: 'No M2M', allowedGrantTypes: [] });
    const s = noGrant.clientSecrets[0]?.secret as string;
    const res = await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: { grant_type: 'client_credentials', client_id: noGrant.clientId, client_secret: s } });
    expect(res.status).toBe(401);
  });

  it('answers 400 for missing fields or another grant type', async () => {
    for (const json of [{ client_id: clientId, client_secret: secret }, { grant_type: 'client_credentials', client_id: clientId }, { ...body(), grant_type: 'password' }]) {
      expect((await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json })).status).toBe(400);
    }
  });

  it('records a violation when the API key is sent to /oauth/token', async () => {
    const res = await qlik(emu, '/oauth/token', { method: 'POST', json: body() });
    expect(res.status).toBe(200);
    expect(emu.violations.some((v) => v.startsWith('Qlik API key sent to /oauth/token'))).toBe(true);
    emu.violations.length = 0;
  });
});
