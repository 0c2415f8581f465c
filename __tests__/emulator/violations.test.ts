import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { qlik, talend } from './helpers.js';

describe('emulator violations', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());
  beforeEach(() => {
    emu.violations.length = 0;
  });

  it('records none for correct use of both services', async () => {
    const c = emu.seedClient({});
    const secret = c.clientSecrets[0]?.secret as string;
    await qlik(emu, '/api/v1/oauth-clients?limit=100');
    await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret } });
    await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`, { method: 'PATCH', json: [{ op: 'replace', path: '/description', value: 'hint abcde' }] });
    await talend(emu, emu.talendQlikAuthUrl, { method: 'PUT', json: { clientId: c.clientId, clientSecret: secret } });
    await talend(emu, '/account/subscription');
    expect(emu.violations).toEqual([]);
  });

  it('catches the Talend token sent to Qlik, in any header', async () => {
    await qlik(emu, '/api/v1/users/me', { headers: { 'x-extra': emu.talendToken } });
    expect(emu.violations).toHaveLength(1);
    expect(emu.violations[0]).toMatch(/^Talend token sent to Qlik: GET \/api\/v1\/users\/me \(x-extra header\)$/);
  });

  it('catches the Qlik API key sent to Talend', async () => {
    await talend(emu, '/account/subscription', { auth: emu.qlikApiKey });
    expect(emu.violations.some((v) => v.startsWith('Qlik API key sent to Talend:'))).toBe(true);
  });

  it('catches any bearer token on /oauth/token', async () => {
    await qlik(emu, '/oauth/token', { method: 'POST', auth: 'some-access-token', json: { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' } });
    expect(emu.violations).toEqual([expect.stringMatching(/^bearer token sent to \/oauth\/token/)]);
  });

  it('catches a client secret written into Qlik (e.g. the description) or sent to Talend elsewhere', async () => {
    const c = emu.seedClient({ clientName: 'Leaky' });
    const secret = c.clientSecrets[0]?.secret as string;
    await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`, { method: 'PATCH', json: [{ op: 'replace', path: '/description', value: `secret=${secret}` }] });
    expect(emu.violations).toEqual([expect.stringMatching(/^client secret sent to Qlik outside \/oauth\/token: PATCH .* \(body\)$/)]);
    await talend(emu, '/processing/executions', { method: 'POST', json: { executable: 'x', parameters: { s: secret } } });
    expect(emu.violations[1]).toMatch(/^client secret sent to Talend outside the Qlik Cloud Authentication PUT/);
  });

  it('catches a Qlik access token sent to Talend', async () => {
    const c = emu.seedClient({ clientName: 'Token owner' });
    const tok = await qlik(emu, '/oauth/token', {
      method: 'POST',
      auth: null,
      json: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecrets[0]?.secret },
    });
    await talend(emu, '/account/subscription', { headers: { 'x-qlik': tok.body.access_token } });
    expect(emu.violations).toEqual([expect.stringMatching(/^Qlik access token sent to Talend/)]);
  });

  it('lists every secret ever issued or received', async () => {
    const c = emu.seedClient({ clientName: 'Issued' });
    emu.setTalendPair(c.clientId, 'hand-pasted-secret');
    const all = emu.issuedSecrets();
    expect(all).toEqual(expect.arrayContaining([emu.qlikApiKey, emu.talendToken, c.clientSecrets[0]?.secret, 'hand-pasted-secret']));
  });
});
