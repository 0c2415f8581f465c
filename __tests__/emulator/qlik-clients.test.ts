import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { allPages, filterParam, qlik } from './helpers.js';

const list = (filter?: string, extra = ''): string =>
  `/api/v1/oauth-clients?${filter !== undefined ? `filter=${encodeURIComponent(filter)}&` : ''}limit=100${extra}`;

describe('Qlik emulator: authentication', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  it('makes an API key of at least 32 characters and answers users/me', async () => {
    expect(emu.qlikApiKey.length).toBeGreaterThanOrEqual(32);
    const me = await qlik(emu, '/api/v1/users/me');
    expect(me.status).toBe(200);
    expect(me.body.roles).toContain('TenantAdmin');
  });

  it('answers 401 with Qlik error body without or with a wrong key', async () => {
    for (const auth of [null, 'wrong-key']) {
      const res = await qlik(emu, '/api/v1/oauth-clients', { auth });
      expect(res.status).toBe(401);
      expect(res.body.errors[0]).toMatchObject({ code: expect.any(String), title: expect.any(String) });
    }
  });
});

describe('Qlik emulator: list, filter, pagination', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  it('filters by exact, case-sensitive clientName, with escapes, and combines with and', async () => {
    const exact = emu.seedClient({ clientName: 'Talend Management Console' });
    emu.seedClient({ clientName: 'talend management console' });
    emu.seedClient({ clientName: 'Talend Management Console 2' });
    const odd = emu.seedClient({ clientName: 'Odd "quoted" \\ name' });

    const byName = await qlik(emu, list(filterParam('Talend Management Console')));
    expect(byName.status).toBe(200);
    expect(byName.body.data.map((c: { clientId: string }) => c.clientId)).toEqual([exact.clientId]);

    const escaped = await qlik(emu, list(filterParam('Odd "quoted" \\ name')));
    expect(escaped.body.data.map((c: { clientName: string }) => c.clientName)).toEqual(['Odd "quoted" \\ name']);
    expect(escaped.body.data[0].clientId).toBe(odd.clientId);

    const both = await qlik(emu, list(`clientName eq "Talend Management Console" and clientId eq "${exact.clientId}"`));
    expect(both.body.data).toHaveLength(1);
    const none = await qlik(emu, list(`clientName eq "Talend Management Console" and clientId eq "${odd.clientId}"`));
    expect(none.body.data).toHaveLength(0);
    expect(none.body.links.next).toBeUndefined();
  });

  it('gives the admin view: secret metadata and consent, never secret values', async () => {
    const c = emu.seedClient({ clientName: 'Admin view', secrets: [{ ageDays: 10 }, {}] });
    const res = await qlik(emu, list(filterParam('Admin view')));
    const item = res.body.data[0];
    expect(item.clientSecrets).toHaveLength(2);
    expect(Object.keys(item.clientSecrets[0]).sort()).toEqual(['createdAt', 'createdBy', 'hint']);
    expect(item.connectionConfig).toEqual({ consentMethod: 'trusted' });
    expect(res.text).not.toContain(c.clientSecrets[0]?.secret);
    expect(Date.now() - Date.parse(item.clientSecrets[0].createdAt)).toBeGreaterThan(9.9 * 86_400_000);
  });

  it('rejects a bad limit, a bad filter and a bad cursor with 400', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'filter=clientName%20eq', 'filter=clientName%20eq%20%22a%22%20or%20clientId%20eq%20%22b%22', 'filter=foo%20eq%20%22x%22', 'next=garbage!']) {
      const res = await qlik(emu, `/api/v1/oauth-clients?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.errors[0].code).toBeTypeOf('string');
    }
  });

  it('defaults to 20 per page and follows absolute next links, with prev and self', async () => {
    emu.seedManyClients(45, 'Paged');
    const first = await qlik(emu, '/api/v1/oauth-clients?filter=' + encodeURIComponent('clientName sw "Paged"') + '&totalResults=true');
    expect(first.body.data).toHaveLength(20);
    expect(first.body.totalResults).toBe(45);
    expect(first.body.links.self.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/oauth-clients\?/);
    expect(first.body.links.prev).toBeUndefined();
    const next = first.body.links.next.href as string;
    expect(next.startsWith(emu.qlikUrl + '/api/v1/oauth-clients?')).toBe(true);
    const pages = await allPages(emu, next);
    expect(pages.map((p) => p.body.data.length)).toEqual([20, 5]);
    expect(pages[0]?.body.links.prev.href).toContain('prev=');
    const back = await qlik(emu, pages[1]?.body.links.prev.href);
    expect(back.body.data).toEqual(pages[0]?.body.data);
  });

  it('finds 250 same-named clients over three full pages', async () => {
    for (let i = 0; i < 250; i++) emu.seedClient({ clientName: 'Dup' });
    const pages = await allPages(emu, list(filterParam('Dup')));
    expect(pages.map((p) => p.body.data.length)).toEqual([100, 100, 50]);
    const ids = new Set(pages.flatMap((p) => p.body.data.map((c: { clientId: string }) => c.clientId)));
    expect(ids.size).toBe(250);
  });

  it('gets one client and answers 404 for an unknown id', async () => {
    const c = emu.seedClient({ clientName: 'Get me' });
    const got = await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ clientId: c.clientId, clientName: 'Get me', appType: 'web', allowedScopes: ['user_default', 'admin_classic'] });
    const missing = await qlik(emu, '/api/v1/oauth-clients/00000000000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].title).toBeTypeOf('string');
  });
});

describe('Qlik emulator: sparse pages and thousands of clients', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ sparsePages: true });
    emu.seedManyClients(2500, 'Bulk');
  });
  afterAll(() => emu.close());

  it('lists 2,500 clients in 25 pages of 100', async () => {
    const started = Date.now();
    const pages = await allPages(emu, '/api/v1/oauth-clients?limit=100');
    expect(pages).toHaveLength(25);
    const ids = new Set(pages.flatMap((p) => p.body.data.map((c: { clientId: string }) => c.clientId)));
    expect(ids.size).toBe(2500);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('with a filter, returns short and empty pages that still link on, the target on the last page', async () => {
    const target = emu.seedClient({ clientName: 'Talend Management Console' });
    const pages = await allPages(emu, list(filterParam('Talend Management Console')));
    expect(pages).toHaveLength(26);
    expect(pages.slice(0, -1).every((p) => p.body.data.length === 0 && p.body.links.next !== undefined)).toBe(true);
    expect(pages.at(-1)?.body.data.map((c: { clientId: string }) => c.clientId)).toEqual([target.clientId]);
    expect(pages.at(-1)?.body.links.next).toBeUndefined();
  });
});

describe('Qlik emulator: create, patch, consent, delete', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());

  const body = {
    appType: 'web',
    clientName: 'Talend Management Console',
    description: 'owned by the action',
    allowedGrantTypes: ['client_credentials'],
    allowedScopes: ['user_default', 'admin_classic'],
    allowedAuthMethods: ['client_secret'],
    connectionConfig: { consentMethod: 'trusted' },
  };

  it('creates a client: 201 with every field, clientId and a one-time secret, no clientSecretHint', async () => {
    const res = await qlik(emu, '/api/v1/oauth-clients', { method: 'POST', json: body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ ...body, connectionConfig: { consentMethod: 'trusted' } });
    expect(res.body.clientId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body.clientSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body).not.toHaveProperty('clientSecretHint');
    expect(res.body.clientSecrets).toHaveLength(1);
    expect(res.body.createdAt).toBeTypeOf('string');
    const state = emu.client(res.body.clientId);
    expect(state?.clientSecrets[0]?.secret).toBe(res.body.clientSecret);
    expect(emu.issuedSecrets()).toContain(res.body.clientSecret);
  });

  it('refuses consent "required" at create, and a missing appType or clientName', async () => {
    const bad = [
      { ...body, connectionConfig: { consentMethod: 'required' } },
      { clientName: 'x' },
      { appType: 'web' },
      { appType: 'desktop', clientName: 'x' },
      { ...body, allowedGrantTypes: ['password'] },
    ];
    for (const json of bad) expect((await qlik(emu, '/api/v1/oauth-clients', { method: 'POST', json })).status).toBe(400);
  });

  it('applies a JSON Patch: replace scopes, grant types and description; 204', async () => {
    const c = emu.seedClient({ clientName: 'Patch me', allowedScopes: ['user_default'], allowedGrantTypes: [] });
    const res = await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`, {
      method: 'PATCH',
      json: [
        { op: 'replace', path: '/allowedScopes', value: ['user_default', 'admin_classic'] },
        { op: 'add', path: '/allowedGrantTypes', value: ['client_credentials'] },
        { op: 'replace', path: '/description', value: 'record' },
      ],
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(emu.client(c.clientId)).toMatchObject({ allowedScopes: ['user_default', 'admin_classic'], allowedGrantTypes: ['client_credentials'], description: 'record' });
  });

  it('refuses an invalid patch with 400 and changes nothing', async () => {
    const c = emu.seedClient({ clientName: 'Keep me' });
    const bad: unknown[] = [
      { op: 'replace', path: '/description', value: 'x' },
      [{ op: 'move', path: '/description', value: 'x' }],
      [{ op: 'replace', path: '/appType', value: 'spa' }],
      [{ op: 'replace', path: '/allowedScopes', value: 'user_default' }],
      [{ op: 'replace', path: '/description', value: 'changed' }, { op: 'replace', path: '/allowedGrantTypes', value: ['bogus'] }],
      [{ op: 'replace', path: '/description', value: 'y'.repeat(4097) }],
      [{ op: 'remove', path: '/clientName' }],
    ];
    for (const json of bad) expect((await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`, { method: 'PATCH', json })).status).toBe(400);
    expect(emu.client(c.clientId)?.description).toBe('');
  });

  it('silently drops scopes Qlik does not keep, on create and on patch', async () => {
    emu.setDroppedScopes(['admin_classic']);
    const created = await qlik(emu, '/api/v1/oauth-clients', { method: 'POST', json: { ...body, clientName: 'Dropped' } });
    expect(created.body.allowedScopes).toEqual(['user_default']);
    const patched = await qlik(emu, `/api/v1/oauth-clients/${created.body.clientId}`, {
      method: 'PATCH',
      json: [{ op: 'replace', path: '/allowedScopes', value: ['user_default', 'admin_classic', 'apps'] }],
    });
    expect(patched.status).toBe(204);
    expect(emu.client(created.body.clientId)?.allowedScopes).toEqual(['user_default', 'apps']);
    emu.setDroppedScopes([]);
  });

  it('answers 202 with a new secret when client_secret is added to allowedAuthMethods', async () => {
    const c = emu.seedClient({ clientName: 'No secret auth', allowedAuthMethods: ['private_key_jwt'], secrets: [] });
    const res = await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`, {
      method: 'PATCH',
      json: [{ op: 'replace', path: '/allowedAuthMethods', value: ['private_key_jwt', 'client_secret'] }],
    });
    expect(res.status).toBe(202);
    expect(res.body.clientSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(emu.client(c.clientId)?.clientSecrets.map((s) => s.secret)).toEqual([res.body.clientSecret]);
  });

  it('reads and sets consent through connection-configs/me', async () => {
    const c = emu.seedClient({ clientName: 'Consent', consentMethod: 'required' });
    const path = `/api/v1/oauth-clients/${c.clientId}/connection-configs/me`;
    expect((await qlik(emu, path)).body).toEqual({ consentMethod: 'required' });
    const set = await qlik(emu, path, { method: 'PATCH', json: [{ op: 'replace', path: '/consentMethod', value: 'trusted' }] });
    expect(set.status).toBe(204);
    expect((await qlik(emu, path)).body).toEqual({ consentMethod: 'trusted' });
    expect((await qlik(emu, path, { method: 'PATCH', json: [{ op: 'replace', path: '/consentMethod', value: 'maybe' }] })).status).toBe(400);
  });

  it('updateClient changes a client directly (drift), without a request', async () => {
    const c = emu.seedClient({ clientName: 'Drifted' });
    const before = emu.log.length;
    const changed = emu.updateClient(c.clientId, { consentMethod: 'required', allowedGrantTypes: [], allowedScopes: ['user_default'] });
    expect(changed).toMatchObject({ consentMethod: 'required', allowedGrantTypes: [], allowedScopes: ['user_default'] });
    expect(emu.log.length).toBe(before);
    const read = await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`);
    expect(read.body).toMatchObject({ allowedGrantTypes: [], allowedScopes: ['user_default'], connectionConfig: { consentMethod: 'required' } });
    expect(read.body.clientSecrets).toHaveLength(1);
  });

  it('deletes a client only with qlik-confirm-delete equal to its id', async () => {
    const c = emu.seedClient({ clientName: 'Delete me' });
    const path = `/api/v1/oauth-clients/${c.clientId}`;
    expect((await qlik(emu, path, { method: 'DELETE' })).status).toBe(400);
    expect((await qlik(emu, path, { method: 'DELETE', headers: { 'qlik-confirm-delete': 'other' } })).status).toBe(400);
    expect(emu.client(c.clientId)).toBeDefined();
    expect((await qlik(emu, path, { method: 'DELETE', headers: { 'qlik-confirm-delete': c.clientId } })).status).toBe(204);
    expect(emu.client(c.clientId)).toBeUndefined();
    expect((await qlik(emu, path)).status).toBe(404);
  });
});
