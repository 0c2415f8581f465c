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

  it('takes a client read that leaves out clientSecrets as a client without secrets (the spec makes them optional)', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients').query(true).reply(200, { data: [{ clientId: 'a', clientName: 'n', appType: 'web' }], links: {} })
      .get('/api/v1/oauth-clients/a').reply(200, { clientId: 'a', clientName: 'n', appType: 'web', redirectUris: [] })
      .get('/api/v1/oauth-clients/a/connection-configs/me').reply(200, { consentMethod: 'trusted' });
    const [listed] = await api().findClientsByName('n');
    const c = await api().completeListed(listed!);
    expect(c.secrets).toEqual([]);
    expect(c.description).toBe('');
  });

  it('reads a client by ID once: a view without secrets is read as "none", not read again', async () => {
    const scope = nock(QLIK)
      .get('/api/v1/oauth-clients/a').once().reply(200, { clientId: 'a', clientName: 'n', appType: 'web' })
      .get('/api/v1/oauth-clients/a/connection-configs/me').reply(200, { consentMethod: 'trusted' });
    const c = await api().getClient('a');
    expect(c?.secrets).toEqual([]);
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
    const [listed] = await api().findClientsByName('n');
    const c = await api().completeListed(listed!);
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
    const res = await api().patchClient('c1', [{ op: 'add', path: '/allowedAuthMethods', value: ['client_secret'] }], 'repairing');
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
      .post('/oauth/revoke', { token: 'qat_access_token_value_0123456789', token_type_hint: 'access_token' })
      .reply(200)
      .post('/oauth/token')
      .reply(401, { errors: [{ code: 'OAUTH-1', title: 'invalid client' }] });
    const accepted = await api().exchangeToken('c1', 's3cr3t-value-for-test-000');
    expect(accepted.accepted && (await accepted.revoked)).toBe(true);
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

describe('QlikApi: answers the spec allows, and answers nobody should trust', () => {
  it('sends the name filter percent-encoded (%20, never +), as Qlik reads it', async () => {
    let rawPath = '';
    nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query(true)
      .reply(function () {
        rawPath = this.req.path;
        return [200, { data: [], links: {} }];
      });
    await api().findClientsByName('Talend + Qlik');
    expect(rawPath).toBe('/api/v1/oauth-clients?filter=clientName%20eq%20%22Talend%20%2B%20Qlik%22&limit=100');
  });

  it('matches names after Unicode NFC and lists several matches without reading any in full', async () => {
    const decomposed = 'Talend Cafe\u0301';
    const scope = nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query(true)
      .reply(200, { data: [wire('a', decomposed), wire('b', 'Talend Caf\u00e9'), wire('c', 'Talend Cafe')], links: {} });
    const found = await api().findClientsByName('Talend Caf\u00e9');
    expect(found.map((c) => c.clientId)).toEqual(['a', 'b']);
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('encodes a hint as one path segment (a+b/c) and refuses . and .. as a hint or ID', async () => {
    const scope = nock(QLIK).delete('/api/v1/oauth-clients/c1/client-secrets/a%2Bb%2Fc').reply(204);
    expect(await api().deleteSecret('c1', 'a+b/c')).toBe('deleted');
    expect(scope.isDone()).toBe(true);
    const anything = nock(QLIK).delete(/.*/).reply(204);
    await expect(api().deleteSecret('c1', '..')).rejects.toThrow(/invalid ID or hint/);
    await expect(api().deleteSecret('c1', '.')).rejects.toThrow(/invalid ID or hint/);
    await expect(api().deleteSecret('..', 'abcde')).rejects.toThrow(/invalid ID or hint/);
    expect(anything.isDone()).toBe(false);
  });

  it('refuses a read by ID whose answer is about another client', async () => {
    nock(QLIK).get('/api/v1/oauth-clients/c1').reply(200, wire('c2'));
    await expect(api().getClient('c1')).rejects.toThrow(/another client ID/);
  });

  it.each([
    ['a hint with a newline', { clientSecrets: [{ hint: 'a\n::x' }] }],
    ['the hint ..', { clientSecrets: [{ hint: '..' }] }],
    ['an empty hint', { clientSecrets: [{ hint: '' }] }],
    ['a hint of 17 characters', { clientSecrets: [{ hint: 'x'.repeat(17) }] }],
    ['an ID with a line break', { clientId: 'c1\n' }],
  ])('refuses an answer with %s', async (_label, extra) => {
    nock(QLIK).get('/api/v1/oauth-clients/c1').reply(200, wire('c1', 'n', extra));
    await expect(api().getClient('c1')).rejects.toThrow(/expected shape/);
  });

  it('refuses a secret or token shorter than 8 characters instead of masking it', async () => {
    nock(QLIK).post('/api/v1/oauth-clients/c1/client-secrets').reply(201, { clientId: 'c1', clientSecret: 'e', hint: 'zz9' });
    await expect(api().createSecret('c1')).rejects.toThrow(/expected shape/);
    expect(core.setSecret).not.toHaveBeenCalledWith('e');
  });

  it('ignores an invalid clientSecretHint in the create answer and reads consent when the answer lacks it', async () => {
    nock(QLIK)
      .post('/api/v1/oauth-clients')
      .reply(201, { ...wire('new-client-0001', 'n', { connectionConfig: undefined }), clientSecret: 'first-secret-value-0123456789abcdef', clientSecretHint: 'x\n::stop-commands::y' })
      .get('/api/v1/oauth-clients/new-client-0001/connection-configs/me')
      .reply(200, { consentMethod: 'required' });
    const created = await api().createClient({ clientName: 'n', description: '', scopes: ['user_default'] });
    expect(created.secretMeta?.hint).toBe('ab12c');
    expect(created.client.consentMethod).toBe('required');
    // The ID is half of the credential pair: masked before the consent read names it in a path.
    expect(core.setSecret).toHaveBeenCalledWith('new-client-0001');
  });

  it('a failed revocation does not fail the verification', async () => {
    nock(QLIK)
      .post('/oauth/token')
      .reply(200, { access_token: 'qat_access_token_value_0123456789', token_type: 'bearer' })
      .post('/oauth/revoke')
      .times(3)
      .reply(500);
    const accepted = await api().exchangeToken('c1', 's3cr3t-value-for-test-000');
    expect(accepted.accepted).toBe(true);
    expect(accepted.accepted && (await accepted.revoked)).toBe(false);
  });
});
