/**
 * The emulator's careless (but allowed) answers: TMC's page redirecting after it stored the pair
 * or answering 200 with an error, Qlik writing one creation time in other forms, and a JSON Patch
 * `add` that merges an existing array.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { qlik, talend } from './helpers.js';

let emu: Emulator;
afterEach(async () => {
  await emu.close();
});

describe('a careless TMC', () => {
  it('redirects after storing the pair, and says no with a 200 and an error body', async () => {
    emu = await startEmulator();
    const c = emu.seedClient({});
    const put = (secret: string) => talend(emu, emu.talendQlikAuthUrl, { method: 'PUT', json: { clientId: c.clientId, clientSecret: secret } });
    emu.setQlikAuthAnswer('redirect');
    const redirected = await put(c.clientSecrets[0]!.secret);
    // fetch follows the redirect (to a page the emulator does not have); the log has the 303.
    expect(emu.log.find((r) => r.method === 'PUT')?.status).toBe(303);
    expect(redirected.status).toBe(404);
    expect(emu.talendPair()?.clientSecret).toBe(c.clientSecrets[0]!.secret);
    emu.setQlikAuthAnswer('error-200');
    const refused = await put('f'.repeat(64));
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ status: 'error', error: { code: 'INVALID_CLIENT' } });
    expect(emu.talendPair()?.clientSecret).toBe(c.clientSecrets[0]!.secret);
  });
});

describe('a careless Qlik', () => {
  it('writes one creation time with nanoseconds, with +00:00, or another form in every answer', async () => {
    emu = await startEmulator();
    const c = emu.seedClient({});
    const stored = c.clientSecrets[0]!.createdAt;
    const shown = async () => (await qlik(emu, `/api/v1/oauth-clients/${c.clientId}`)).body.clientSecrets[0].createdAt as string;
    emu.setCreatedAtForm('nanos');
    expect(await shown()).toMatch(/\.\d{3}000000Z$/);
    emu.setCreatedAtForm('offset');
    expect(await shown()).toMatch(/\.\d{3}\+00:00$/);
    emu.setCreatedAtForm('mixed');
    const forms = new Set([await shown(), await shown(), await shown()]);
    expect(forms.size).toBe(3);
    for (const form of forms) expect(Date.parse(form)).toBe(Date.parse(stored));
  });

  it('merges an array on add when told to; replace still replaces', async () => {
    emu = await startEmulator();
    const c = emu.seedClient({ allowedScopes: ['admin.apps', 'user_default'] });
    emu.setAddMerges(true);
    const patch = (op: string) => qlik(emu, `/api/v1/oauth-clients/${c.clientId}`, { method: 'PATCH', json: [{ op, path: '/allowedScopes', value: ['admin_classic'] }] });
    expect((await patch('add')).status).toBeLessThan(300);
    expect(emu.client(c.clientId)!.allowedScopes).toEqual(['admin.apps', 'user_default', 'admin_classic']);
    expect((await patch('replace')).status).toBeLessThan(300);
    expect(emu.client(c.clientId)!.allowedScopes).toEqual(['admin_classic']);
  });
});
