import nock from '../http/nock-setup.js';
import * as core from '@actions/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QlikApi } from '../../src/qlik/client.js';
import { registerSecret, resetSecretsForTest } from '../../src/secrets.js';
import { QLIK, QLIK_KEY, makeClient } from '../http/helpers.js';

vi.mock('@actions/core');

const wire = (id: string, name = 'Talend Management Console', extra: object = {}) => ({
  clientId: id,
  clientName: name,
  appType: 'web',
  description: '',
  allowedScopes: ['user_default'],
  allowedGrantTypes: ['client_credentials'],
  clientSecrets: [{ hint: 'ab12c', createdAt: '2026-11-01T00:00:00Z' }],
  connectionConfig: { consentMethod: 'trusted' },
  createdAt: '2026-10-01T00:00:00Z',
  ...extra,
});

function api() {
  return new QlikApi(makeClient({ service: 'Qlik', token: QLIK_KEY, allowedOrigins: [QLIK] }).client, QLIK);
}

beforeEach(() => {
  resetSecretsForTest();
  registerSecret(QLIK_KEY);
  vi.mocked(core.setSecret).mockClear();
});
afterEach(() => {
  nock.cleanAll();
});

describe('QlikApi.findClientsByName', () => {
  it('sends the SCIM filter with escaping, asks for 100 a page, follows next links and matches exactly', async () => {
    const name = 'Talend "TMC" \\ prod';
    const scope = nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query({ filter: 'clientName eq "Talend \\"TMC\\" \\\\ prod"', limit: '100' })
      .reply(200, { data: [wire('a', 'talend "tmc" \\ prod')], links: { next: { href: `${QLIK}/api/v1/oauth-clients?next=p2` } } })
      .get('/api/v1/oauth-clients')
      .query({ next: 'p2' })
      .reply(200, { data: [wire('b', name)], links: { next: { href: null }, prev: { href: null } } });
    const found = await api().findClientsByName(name);
    expect(found.map((c) => c.clientId)).toEqual(['b']);
    expect(scope.isDone()).toBe(true);
  });

  it('does not follow a next link to another origin with the key', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query(true)
      .reply(200, { data: [], links: { next: { href: 'https://evil.example/api/v1/oauth-clients?next=x' } } });
    const evil = nock('https://evil.example').get(/.*/).reply(200, { data: [] });
    await expect(api().findClientsByName('x')).rejects.toThrow(/another origin/);
    expect(evil.isDone()).toBe(false);
  });

  it('stops when the server repeats a page link', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query(true)
      .times(2)
      .reply(200, { data: [], links: { next: { href: `${QLIK}/api/v1/oauth-clients?next=same` } } });
    await expect(api().findClientsByName('x')).rejects.toThrow(/page links repeat/);
  });

  it('fails when even the client read does not show the secrets, instead of reading "no secrets"', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients').query(true).reply(200, { data: [{ clientId: 'a', clientName: 'n', appType: 'web' }], links: {} })
      .get('/api/v1/oauth-clients/a').reply(200, { clientId: 'a', clientName: 'n', appType: 'web' });
    await expect(api().findClientsByName('n')).rejects.toThrow(/does not list the client's secrets/);
  });

  it('reads a client by ID once: a view without secrets is an error, not a second read', async () => {
    const scope = nock(QLIK).get('/api/v1/oauth-clients/a').once().reply(200, { clientId: 'a', clientName: 'n', appType: 'web' });
    await expect(api().getClient('a')).rejects.toThrow(/does not list the client's secrets/);
    expect(scope.isDone()).toBe(true);
  });

  it('fills in secrets and consent from the plain view', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query(true)
      .reply(200, { data: [{ clientId: 'a', clientName: 'n', appType: 'web' }], links: {} })
      .get('/api/v1/oauth-clients/a')
      .reply(200, { clientId: 'a', clientName: 'n', appType: 'web', clientSecrets: [{ hint: 'h1' }] })
      .get('/api/v1/oauth-clients/a/connection-configs/me')
      .reply(200, { consentMethod: 'required' });
    const [c] = await api().findClientsByName('n');
    expect(c?.secrets).toEqual([{ hint: 'h1', createdAt: undefined }]);
    expect(c?.consentMethod).toBe('required');
  });
});

describe('QlikApi secrets', () => {
  it('masks the secret of a new client the moment Qlik returns it, and reads the hint from clientSecrets', async () => {
    nock(QLIK)
      .post('/api/v1/oauth-clients', (body) => body.appType === 'web' && body.connectionConfig.consentMethod === 'trusted' && body.allowedGrantTypes[0] === 'client_credentials')
      .reply(201, { ...wire('new'), clientSecret: 'first-secret-value-0123456789abcdef' });
    const created = await api().createClient({ clientName: 'n', description: '', scopes: ['user_default'] });
    expect(core.setSecret).toHaveBeenCalledWith('first-secret-value-0123456789abcdef');
    expect(created.secretMeta).toEqual({ hint: 'ab12c', createdAt: '2026-11-01T00:00:00Z' });
  });

  it('masks a secret that a 202 patch answer carries', async () => {
    nock(QLIK).patch('/api/v1/oauth-clients/c1').reply(202, { clientSecret: 'patch-made-secret-0123456789abcdef' });
    const res = await api().patchClient('c1', [{ op: 'replace', path: '/allowedAuthMethods', value: ['client_secret'] }], 'repairing');
    expect(res.generatedSecret).toBe('patch-made-secret-0123456789abcdef');
    expect(core.setSecret).toHaveBeenCalledWith('patch-made-secret-0123456789abcdef');
  });

  it('creates a secret with no body and masks it; a 409 is a definite error', async () => {
    nock(QLIK)
      .post('/api/v1/oauth-clients/c1/client-secrets')
      .reply(201, { clientId: 'c1', clientSecret: 'rotated-secret-0123456789abcdef01', hint: 'zz9' })
      .post('/api/v1/oauth-clients/c1/client-secrets')
      .reply(409, { errors: [{ code: 'HTTP-409', title: 'Conflict', detail: 'The max number of client secrets is 5' }] });
    const s = await api().createSecret('c1');
    expect(s.hint).toBe('zz9');
    expect(core.setSecret).toHaveBeenCalledWith('rotated-secret-0123456789abcdef01');
    await expect(api().createSecret('c1')).rejects.toThrow(/HTTP 409/);
  });

  it('deleting an unknown hint counts as gone', async () => {
    nock(QLIK).delete('/api/v1/oauth-clients/c1/client-secrets/h1').reply(404, {});
    expect(await api().deleteSecret('c1', 'h1')).toBe('gone');
  });

  it('verifies at /oauth/token without the API key and masks the access token', async () => {
    let authHeader: string | undefined = 'unset';
    nock(QLIK)
      .post('/oauth/token', { client_id: 'c1', client_secret: 's3cr3t-value-for-test-000', grant_type: 'client_credentials' })
      .reply(function () {
        authHeader = this.req.headers.authorization as string | undefined;
        return [200, { access_token: 'qat_access_token_value_0123456789', token_type: 'bearer' }];
      })
      .post('/oauth/token')
      .reply(401, { errors: [{ code: 'OAUTH-1', title: 'invalid client' }] });
    expect(await api().exchangeToken('c1', 's3cr3t-value-for-test-000')).toEqual({ accepted: true });
    expect(authHeader).toBeUndefined();
    expect(core.setSecret).toHaveBeenCalledWith('qat_access_token_value_0123456789');
    expect(await api().exchangeToken('c1', 'wrong')).toEqual({ accepted: false, status: 401 });
  });

  it('deletes a client with the confirmation header', async () => {
    const scope = nock(QLIK, { reqheaders: { 'qlik-confirm-delete': 'c1' } }).delete('/api/v1/oauth-clients/c1').reply(204);
    await api().deleteClient('c1');
    expect(scope.isDone()).toBe(true);
  });
});
