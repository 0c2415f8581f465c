/**
 * The emulator's strict mode answers only as Qlik's OpenAPI spec allows: nothing more generous.
 * Each case is one thing a real tenant may do that the lenient emulator does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { qlik } from './helpers.js';

describe('Qlik emulator, strict mode', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ strict: true });
  });
  afterAll(() => emu.close());

  it('leaves out empty optional fields, and connectionConfig on a read by ID', async () => {
    const c = emu.seedClient({ clientName: 'Bare', description: '', redirectUris: [], secrets: [] });
    const read = await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`);
    expect(read.status).toBe(200);
    for (const field of ['description', 'redirectUris', 'clientSecrets', 'connectionConfig', 'publicKeys', 'allowedOrigins']) {
      expect(read.body, field).not.toHaveProperty(field);
    }
    const listed = await qlik(emu, `/api/v1/oauth-clients?filter=${encodeURIComponent('clientName eq "Bare"')}`);
    expect(listed.body.data[0].connectionConfig).toEqual({ consentMethod: 'trusted' });
  });

  it('refuses replace on a missing member (RFC 6902 §4.3) and takes add', async () => {
    const c = emu.seedClient({ clientName: 'No description', description: '', allowedGrantTypes: [] });
    const path = `/api/v1/oauth-clients/${c.clientId}`;
    const replace = await qlik(emu, path, { method: 'PATCH', json: [{ op: 'replace', path: '/description', value: 'x' }] });
    expect(replace.status).toBe(400);
    const replaceGrants = await qlik(emu, path, { method: 'PATCH', json: [{ op: 'replace', path: '/allowedGrantTypes', value: ['client_credentials'] }] });
    expect(replaceGrants.status).toBe(400);
    const add = await qlik(emu, path, {
      method: 'PATCH',
      json: [
        { op: 'add', path: '/description', value: 'x' },
        { op: 'add', path: '/allowedGrantTypes', value: ['client_credentials'] },
      ],
    });
    expect(add.status).toBe(204);
    expect(emu.client(c.clientId)).toMatchObject({ description: 'x', allowedGrantTypes: ['client_credentials'] });
    // Once the member exists, replace works.
    expect((await qlik(emu, path, { method: 'PATCH', json: [{ op: 'replace', path: '/description', value: 'y' }] })).status).toBe(204);
  });

  it('ignores the consent asked for at creation, and makes hints that need encoding', async () => {
    const res = await qlik(emu, '/api/v1/oauth-clients', {
      method: 'POST',
      json: { appType: 'web', clientName: 'Made', allowedGrantTypes: ['client_credentials'], connectionConfig: { consentMethod: 'trusted' } },
    });
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty('connectionConfig');
    expect(emu.client(res.body.clientId)!.consentMethod).toBe('required');
    const hint = emu.client(res.body.clientId)!.clientSecrets[0]!.hint;
    expect(hint).toMatch(/^[A-Za-z0-9]\+[A-Za-z0-9]\/[A-Za-z0-9]$/);
    const del = await qlik(emu, `/api/v1/oauth-clients/${res.body.clientId}/client-secrets/${encodeURIComponent(hint)}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
  });

  it('takes + in a query literally: a filter written with + is not a valid filter', async () => {
    emu.seedClient({ clientName: 'Plus name' });
    const plus = await qlik(emu, '/api/v1/oauth-clients?filter=clientName+eq+%22Plus+name%22');
    expect(plus.status).toBe(400);
    const encoded = await qlik(emu, `/api/v1/oauth-clients?filter=${encodeURIComponent('clientName eq "Plus name"')}`);
    expect(encoded.status).toBe(200);
    expect(encoded.body.data).toHaveLength(1);
  });

  it('revokes an access token at /oauth/revoke (both modes)', async () => {
    const c = emu.seedClient({ clientName: 'Token' });
    const secret = c.clientSecrets[0]!.secret;
    const token = await qlik(emu, '/oauth/token', { method: 'POST', auth: null, json: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret } });
    expect(token.status).toBe(200);
    const before = emu.liveAccessTokens();
    const revoked = await qlik(emu, '/oauth/revoke', { method: 'POST', auth: null, json: { token: token.body.access_token, token_type_hint: 'access_token' } });
    expect(revoked.status).toBe(200);
    expect(emu.liveAccessTokens()).toBe(before - 1);
    expect((await qlik(emu, '/api/v1/users/me', { auth: token.body.access_token })).status).toBe(401);
  });
});
