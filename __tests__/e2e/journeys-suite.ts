/**
 * Journeys: the bundled action, run as the runner runs it, against the emulator of Qlik and Talend.
 * Every journey runs twice: against the emulator as it was built (lenient) and in its strict mode,
 * which answers only as Qlik's OpenAPI spec allows (fields left out when empty, `replace` on a
 * missing member refused, hints like `a+b/c`, the requested consent ignored at creation, `+` in a
 * query taken literally). `defineJourneys(strict)` defines them against one mode;
 * journeys.test.ts and journeys-strict.test.ts are the two, so two test workers share the work.
 */
import { describe, expect } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import { parseDescription } from '../../src/core/record.js';
import { CHANGING, DAY, J, act, defining, expectNothingStranded, journey, only } from './journey-harness.js';

export function defineJourneys(strictMode: boolean): void {
  defining(strictMode);
  describe(`journeys against a ${strictMode ? 'strict' : 'lenient'} Qlik`, () => {
    journey('fresh tenant → created; immediate rerun → unchanged with no changing request (I3)', async () => {
      const first = await act();
      expect(first.code).toBe(0);
      expect(first.outputs.result).toBe('created');
      const client = only(J().emu.clients());
      expect(client.appType).toBe('web');
      expect(client.allowedGrantTypes).toContain('client_credentials');
      expect(client.consentMethod).toBe('trusted');
      expect(first.outputs['client-id']).toBe(client.clientId);
      expect(J().emu.talendPair()).toEqual({ clientId: client.clientId, clientSecret: first.outputs['client-secret'] });
      expect(first.outputs['secret-hint']).toBe(only(client.clientSecrets).hint);
      expect(first.summary).toMatch(/created/);
      expect(JSON.parse(first.outputs.plan!).map((s: { step: string }) => s.step)).toContain('create-client');

      const mark = J().emu.log.length;
      const second = await act();
      expect(second.code).toBe(0);
      expect(second.outputs.result).toBe('unchanged');
      expect(second.outputs['client-secret']).toBe('');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
      expectNothingStranded(client.clientId);
    });

    journey('rotate: always rotates a young secret and retires the old one', async () => {
      await act();
      const before = only(J().emu.clients());
      const run = await act({ rotate: 'always' });
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      const after = only(J().emu.clients());
      expect(after.clientSecrets).toHaveLength(1);
      expect(after.clientSecrets[0]!.hint).not.toBe(before.clientSecrets[0]!.hint);
      expect(J().emu.talendPair()?.clientSecret).toBe(run.outputs['client-secret']);
      expectNothingStranded(after.clientId);
      // What the admin sees in the job summary after a rotation.
      const hint = after.clientSecrets[0]!.hint;
      expect(run.summary).toMatch(/<td>Result<\/td><td>rotated<\/td>/);
      expect(run.summary).toContain(`<td>Secret Talend holds</td><td>${hint} (0 days old)</td>`);
      expect(run.summary).toMatch(/<td>Next rotation due<\/td><td>\d{4}-\d\d-\d\dT[^<]+<\/td>/);
      expect(run.summary).toMatch(/<td>Talend delivery<\/td><td>stored<\/td>/);
      expect(run.summary).toContain(`<li>retired secret ${before.clientSecrets[0]!.hint}</li>`);
      expect(run.summary).not.toContain(after.clientId);
    });

    for (const [label, ageDays, expected] of [
      ['at the limit', 30, 'rotated'],
      ['past the limit', 31, 'rotated'],
      ['28 days old: a monthly schedule rotates after February too', 28, 'rotated'],
      ['young', 26, 'unchanged'],
    ] as const)
      journey(`rotation by age: a secret ${label}`, async () => {
        // The first run creates the client and its secret as if it ran ageDays ago.
        J().clockOffsetMs = ageDays * DAY;
        expect((await act({ 'max-secret-age-days': '30' })).outputs.result).toBe('created');
        J().clockOffsetMs = 0;
        const run = await act({ 'max-secret-age-days': '30' });
        expect(run.code).toBe(0);
        expect(run.outputs.result).toBe(expected);
        if (expected === 'unchanged') expect(run.outputs['next-rotation-due']).toMatch(/^\d{4}-\d\d-\d\dT/);
      });

    journey('keep-previous-secrets: 1 keeps one older secret', async () => {
      await act();
      await act({ rotate: 'always', 'keep-previous-secrets': '1' });
      expect(only(J().emu.clients()).clientSecrets).toHaveLength(2);
      const again = await act({ 'keep-previous-secrets': '1' });
      expect(again.outputs.result).toBe('unchanged');
    });

    journey('rotate: never on a healthy setup changes nothing', async () => {
      await act();
      const mark = J().emu.log.length;
      const run = await act({ rotate: 'never' });
      expect(run.outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('adopts a hand-made client with a hand-pasted pair: rotates once, keeps the description', async () => {
      const seeded = J().emu.seedClient({ description: 'Created by Alice for TMC', secrets: [{ ageDays: 200 }] });
      J().emu.setTalendPair(seeded.clientId, seeded.clientSecrets[0]!.secret);
      const run = await act();
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      const c = only(J().emu.clients());
      expect(c.clientSecrets).toHaveLength(1);
      expect(J().emu.talendPair()?.clientSecret).toBe(run.outputs['client-secret']);
      expect(parseDescription(c.description).userText).toBe('Created by Alice for TMC');
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('dry run on a fresh and on a drifted tenant → planned, no POST/PUT/PATCH/DELETE (I4)', async () => {
      const fresh = await act({ 'dry-run': 'true' });
      expect(fresh.code).toBe(0);
      expect(fresh.outputs.result).toBe('planned');
      expect(J().emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
      expect(J().emu.clients()).toEqual([]);

      await act();
      const c = only(J().emu.clients());
      J().emu.updateClient(c.clientId, { consentMethod: 'required', allowedGrantTypes: [], allowedScopes: ['user_default'] });
      const mark = J().emu.log.length;
      const drifted = await act({ 'dry-run': 'true' });
      expect(drifted.outputs.result).toBe('planned');
      expect(drifted.stdout).toMatch(/consent method/);
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('repairs drift, then stays unchanged', async () => {
      await act();
      const c = only(J().emu.clients());
      J().emu.updateClient(c.clientId, { consentMethod: 'required', allowedGrantTypes: ['urn:qlik:oauth:user-impersonation'], allowedScopes: ['user_default'] });
      const run = await act();
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('repaired');
      const after = only(J().emu.clients());
      expect(after.allowedGrantTypes).toEqual(['urn:qlik:oauth:user-impersonation', 'client_credentials']);
      expect([...after.allowedScopes].sort()).toEqual(['admin_classic', 'user_default']);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('a scope Qlik does not keep is not patched again on every run', async () => {
      J().emu.setDroppedScopes(['no_such_scope']);
      const scopes = 'user_default admin_classic no_such_scope';
      expect((await act({ scopes })).outputs.result).toBe('created');
      const mark = J().emu.log.length;
      expect((await act({ scopes })).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('an extra secret added by hand is retired (repaired), then unchanged', async () => {
      await act();
      const c = only(J().emu.clients());
      J().emu.addSecret(c.clientId);
      const run = await act();
      expect(run.outputs.result).toBe('repaired');
      expect(only(J().emu.clients()).clientSecrets).toHaveLength(1);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('duplicates: fails listing the IDs; with client-id it proceeds', async () => {
      const a = J().emu.seedClient({});
      const b = J().emu.seedClient({});
      const run = await act();
      expect(run.code).not.toBe(0);
      expect(run.outputs.result).toBe('failed');
      expect(run.stdout).toContain(a.clientId);
      expect(run.stdout).toContain(b.clientId);
      expect(run.stdout).toMatch(/client-id/);
      expect(J().emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
      const pinned = await act({ 'client-id': b.clientId });
      expect(pinned.code).toBe(0);
      expect(pinned.outputs.result).toBe('rotated');
      expect(J().emu.talendPair()?.clientId).toBe(b.clientId);
    });

    journey('a client-id that does not exist is an error; nothing is created', async () => {
      const run = await act({ 'client-id': 'does-not-exist' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/client-id/);
      expect(J().emu.clients()).toEqual([]);
    });

    journey('a second Talend account pointed at the same client is refused before it changes anything', async () => {
      expect((await act()).outputs.result).toBe('created');
      const mark = J().emu.log.length;
      const other = await act({ 'talend-qlik-auth-url': `${J().emu.talendUrl}/tmc/another-account` });
      expect(other.code).not.toBe(0);
      expect(other.stdout).toMatch(/another Talend target/);
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('warns when Qlik does not say how old the secret Talend holds is (rotate: auto cannot rotate it)', async () => {
      await act();
      const c = only(J().emu.clients());
      const item = {
        clientId: c.clientId,
        clientName: c.clientName,
        appType: 'web',
        description: c.description,
        allowedScopes: c.allowedScopes,
        allowedGrantTypes: c.allowedGrantTypes,
        clientSecrets: c.clientSecrets.map((x) => ({ hint: x.hint })),
        connectionConfig: { consentMethod: 'trusted' },
      };
      J().emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', action: { status: 200, body: { data: [item], links: {} } } });
      const run = await act();
      expect(run.outputs.result).toBe('unchanged');
      expect(run.stdout).toMatch(/^::warning title=Secret age unknown::/m);
    });

    journey('appType native is refused without changes', async () => {
      J().emu.seedClient({ appType: 'native' });
      const run = await act();
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/appType 'native'/);
      expect(J().emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('5 secrets and no record: fails naming the input; with reclaim-unrecorded-secrets it rotates', async () => {
      J().emu.seedClient({ secrets: [1, 2, 3, 4, 5].map((ageDays) => ({ ageDays })) });
      const run = await act();
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/reclaim-unrecorded-secrets/);
      expect(J().emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
      const reclaim = await act({ 'reclaim-unrecorded-secrets': 'true' });
      expect(reclaim.code).toBe(0);
      expect(reclaim.outputs.result).toBe('rotated');
      expect(only(J().emu.clients()).clientSecrets).toHaveLength(1);
    });

    journey('task-run check passing, failing (I7), and failing then passing once the task is fixed', async () => {
      J().emu.defineTask('smoke', 'execution_successful');
      const ok = await act({ 'talend-check-task-id': 'smoke' });
      expect(ok.code).toBe(0);
      expect(ok.outputs.result).toBe('created');

      J().emu.defineTask('broken', 'execution_failed');
      const bad = await act({ 'talend-check-task-id': 'broken', rotate: 'always' });
      expect(bad.code).not.toBe(0);
      expect(bad.outputs.result).toBe('failed');
      expect(bad.stdout).toMatch(/did not pass/);
      expectNothingStranded(only(J().emu.clients()).clientId);

      J().emu.defineTask('broken', 'execution_successful');
      const mark = J().emu.log.length;
      const fixed = await act({ 'talend-check-task-id': 'broken' });
      expect(fixed.code).toBe(0);
      expect(fixed.outputs.result).toBe('repaired');
      const changed = J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method));
      expect(changed.some((r) => r.path.includes('client-secrets') && r.method === 'POST')).toBe(false);
      expect(changed.some((r) => r.path.endsWith('/processing/executions'))).toBe(true);
      expect((await act({ 'talend-check-task-id': 'broken' })).outputs.result).toBe('unchanged');
    });

    journey('finds the target among 2,500 clients on the last page', async () => {
      // Sparse listing: filtered pages are cut from the whole list, so the target really is on the last page.
      await J().emu.close();
      J().emu = await startEmulator({ sparsePages: true, strict: J().strict });
      J().emu.seedManyClients(2500, 'Other client');
      const target = J().emu.seedClient({ description: '' });
      J().emu.setTalendPair(target.clientId, target.clientSecrets[0]!.secret);
      const mark = J().emu.log.length;
      const run = await act();
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      expect(J().emu.talendPair()?.clientId).toBe(target.clientId);
      const pages = J().emu.log.slice(mark).filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/oauth-clients?'));
      expect(pages.length).toBeGreaterThan(20);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('a delivery without a definite answer keeps the new secret, outputs it, and names no held secret', async () => {
      await act();
      J().emu.fault({ service: 'talend', method: 'PUT', path: '/tmc/qlik-cloud-authentication', times: Infinity, action: { status: 503 } });
      const run = await act({ rotate: 'always', 'timeout-seconds': '5' });
      expect(run.code).not.toBe(0);
      expect(run.outputs.result).toBe('failed');
      const c = only(J().emu.clients());
      expect(c.clientSecrets).toHaveLength(2);
      expect(c.clientSecrets.map((s) => s.secret)).toContain(run.outputs['client-secret']);
      expect(run.outputs['secret-hint']).toBe('');
      expect(run.summary).toMatch(/<td>Secret Talend holds<\/td><td>unknown<\/td>/);
      expectNothingStranded(c.clientId);
    });

    journey('writes result=failed and the other outputs on failure', async () => {
      await act();
      J().emu.fault({ service: 'talend', method: 'PUT', path: '/tmc/qlik-cloud-authentication', action: { status: 400, body: { status: 400, message: 'Qlik Cloud connection failed' } } });
      const run = await act({ rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(run.outputs.result).toBe('failed');
      expect(run.outputs['client-id']).toBe(only(J().emu.clients()).clientId);
      // The refused secret was deleted again: nothing to finish by hand with.
      expect(run.outputs['client-secret']).toBe('');
      expect(run.outputs['secret-hint']).toBe(only(J().emu.clients()).clientSecrets[0]!.hint);
      expect(run.stdout).toMatch(/^::error title=Rotation stopped::Talend refused the new secret/m);
      // The summary: the state table, then what failed and what to do.
      expect(run.summary).toMatch(/<td>Result<\/td><td>failed<\/td>/);
      expect(run.summary).toMatch(/<td>Talend delivery<\/td><td>refused<\/td>/);
      expect(run.summary).toMatch(/<h3>What failed and what to do<\/h3>[\s\S]*Talend refused the new secret[\s\S]*Next run: Talend still holds its previous secret/);
      expectNothingStranded(only(J().emu.clients()).clientId);
    });

    journey('two Talend accounts on one client: B is refused with rotate auto and always; retarget moves it, A loses its secret only then (I1)', async () => {
      // Account B is another Talend tenant: its own API, token and TMC setting (a second emulator).
      const talendB = await startEmulator({ strict: J().strict });
      talendB.connectTalendTo(J().emu);
      try {
        const asB = (extra: Record<string, string>) =>
          act({ 'talend-token': talendB.talendToken, 'talend-api-url': talendB.talendUrl, 'talend-qlik-auth-url': talendB.talendQlikAuthUrl, ...extra });
        expect((await act()).outputs.result).toBe('created');
        const c = only(J().emu.clients());
        const aSecret = J().emu.talendPair()!.clientSecret;
        const aStillExists = () => J().emu.client(c.clientId)!.clientSecrets.some((s) => s.secret === aSecret);
        for (const rotate of ['auto', 'always']) {
          const mark = J().emu.log.length;
          const b = await asB({ rotate });
          expect(b.code, `rotate: ${rotate}`).not.toBe(0);
          expect(b.stdout).toMatch(/another Talend target.*retarget: true/);
          expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
          expect(talendB.talendPair()).toBeNull();
          expect(aStillExists(), `A's secret after B with rotate: ${rotate}`).toBe(true);
        }
        const moved = await asB({ retarget: 'true' });
        expect(moved.code, moved.stdout).toBe(0);
        expect(moved.outputs.result).toBe('rotated');
        expect(talendB.talendPair()?.clientSecret).toBe(moved.outputs['client-secret']);
        expect(aStillExists()).toBe(false);
        expect(parseDescription(J().emu.client(c.clientId)!.description).record?.targets.map((t) => t.key)).toEqual([`qlik-auth:${talendB.talendQlikAuthUrl}`]);
        // Now A is the other account: refused, whatever rotate says; B's secret stays.
        const a = await act({ rotate: 'always' });
        expect(a.code).not.toBe(0);
        expect(J().emu.client(c.clientId)!.clientSecrets.map((s) => s.secret)).toContain(talendB.talendPair()!.clientSecret);
        expect((await asB({})).outputs.result).toBe('unchanged');
        expect(talendB.violations).toEqual([]);
      } finally {
        await talendB.close();
      }
    });

    journey('revokes the verification token once it proved the secret', async () => {
      await act();
      await act({ rotate: 'always' });
      const tokens = J().emu.log.filter((r) => r.path === '/oauth/token').length;
      expect(tokens).toBe(2);
      expect(J().emu.log.filter((r) => r.path === '/oauth/revoke' && r.status === 200)).toHaveLength(2);
      expect(J().emu.liveAccessTokens()).toBe(0);
    });

    journey('repairs allowedAuthMethods without client_secret and deletes the secret Qlik generates for it', async () => {
      await act();
      const c = only(J().emu.clients());
      J().emu.updateClient(c.clientId, { allowedAuthMethods: ['private_key_jwt'] });
      const run = await act();
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('repaired');
      const after = only(J().emu.clients());
      expect(after.allowedAuthMethods).toEqual(['private_key_jwt', 'client_secret']);
      // The 202 answer's secret took a slot and nobody holds it: deleted at once (I2).
      expect(after.clientSecrets).toHaveLength(1);
      expect(J().emu.talendPair()?.clientSecret).toBe(after.clientSecrets[0]!.secret);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('a Talend preflight answered 404 stops the run before anything changes', async () => {
      const run = await act({ 'talend-api-url': `${J().emu.talendUrl}/wrong-base`, 'talend-qlik-auth-url': J().emu.talendQlikAuthUrl });
      expect(run.code).not.toBe(0);
      expect(run.outputs.result).toBe('failed');
      expect(run.stdout).toMatch(/HTTP 404 at \/account\/subscription.*talend-api-url/);
      expect(J().emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
      expect(J().emu.clients()).toEqual([]);
    });

    journey('a Talend service account signs in by itself (no token step): created, then unchanged; its credentials are masked', async () => {
      J().emu.defineServiceAccount('sa-client-0001', 'sa-secret-value-0123456789');
      const asAccount = { 'talend-token': '', 'talend-client-id': 'sa-client-0001', 'talend-client-secret': 'sa-secret-value-0123456789' };
      const first = await act(asAccount);
      expect(first.code, first.stdout).toBe(0);
      expect(first.outputs.result).toBe('created');
      expect(J().emu.serviceAccountSignIns()).toBe(1);
      expect(first.masks).toEqual(expect.arrayContaining(['sa-client-0001', 'sa-secret-value-0123456789']));
      const signIn = J().emu.log.find((r) => r.path.endsWith('/security/oauth/token'))!;
      expect(signIn.headers.authorization).toBe(`Basic ${Buffer.from('sa-client-0001:sa-secret-value-0123456789').toString('base64')}`);
      expect(JSON.parse(signIn.body!)).toEqual({ audience: J().emu.talendUrl, grant_type: 'client_credentials' });
      const mark = J().emu.log.length;
      expect((await act(asAccount)).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method) && !r.path.endsWith('/security/oauth/token'))).toEqual([]);
    });

    journey('a service-account token that expires during the run is asked for again', async () => {
      J().emu.defineServiceAccount('sa-client-0002', 'sa-secret-value-abcdefghij', 1);
      J().emu.defineTask('smoke', 'execution_successful');
      // The first poll takes longer than the token lives: the next request needs a new one.
      J().emu.fault({ service: 'talend', method: 'GET', path: '/processing/executions/*', action: { latencyMs: 1500 }, when: 'after' });
      const run = await act({ 'talend-token': '', 'talend-client-id': 'sa-client-0002', 'talend-client-secret': 'sa-secret-value-abcdefghij', 'talend-check-task-id': 'smoke' });
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.result).toBe('created');
      expect(J().emu.serviceAccountSignIns()).toBeGreaterThanOrEqual(2);
      expect(J().emu.log.filter((r) => r.status === 401)).toEqual([]);
    });

    journey('a shaped request (POST, form body, extra header) stores the pair where TMC takes it that way; the dry run shows it with the secret as ***', async () => {
      await J().emu.close();
      J().emu = await startEmulator({
        strict: J().strict,
        qlikAuthShape: { method: 'POST', contentType: 'form', clientIdField: 'qlik_client_id', clientSecretField: 'qlik_client_secret', header: ['X-Requested-With', 'XMLHttpRequest'] },
      });
      const request = JSON.stringify({
        method: 'POST',
        contentType: 'form',
        body: { qlik_client_id: '{{clientId}}', qlik_client_secret: '{{clientSecret}}', tenant: '{{qlikTenantUrl}}' },
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
        success: [200],
      });
      const dry = await act({ 'talend-qlik-auth-request': request, 'dry-run': 'true' });
      expect(dry.outputs.result).toBe('planned');
      expect(dry.stdout).toContain(`The delivery would send: POST ${J().emu.talendQlikAuthUrl}`);
      expect(dry.stdout).toContain('headers: authorization, content-type, talend-version, x-requested-with');
      expect(dry.stdout).toMatch(/body \(form\): qlik_client_id=%28client\+ID%29&qlik_client_secret=\*\*\*&tenant=http/);
      const run = await act({ 'talend-qlik-auth-request': request });
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.result).toBe('created');
      expect(J().emu.talendPair()).toEqual({ clientId: only(J().emu.clients()).clientId, clientSecret: run.outputs['client-secret'] });
      expect((await act({ 'talend-qlik-auth-request': request })).outputs.result).toBe('unchanged');
      // The default request is refused by this TMC (405): the new secret goes again, nothing is stranded.
      const refused = await act({ rotate: 'always' });
      expect(refused.code).not.toBe(0);
      expect(refused.stdout).toMatch(/Talend refused the new secret .*HTTP 405/);
      expectNothingStranded(only(J().emu.clients()).clientId);
    });

    // ---- where the secret goes: TMC connections and task parameters (Orchestration API) ----

    for (const readBack of ['clear', 'masked', 'omitted'] as const)
      journey(`a TMC connection alone (encrypted values read back ${readBack}): created with the pair set, the secret encrypted, the other parameters kept; rotate; rerun unchanged (I3)`, async () => {
        J().emu.setSecretReadBack(readBack);
        J().emu.defineConnection({
          id: 'conn-1',
          parameters: [
            { name: 'tenant', value: 'https://tenant.example' },
            { name: 'client_id', value: 'hand-made' },
            { name: 'client_secret', value: 'hand-made-secret-value-000000000000', encrypted: true },
          ],
        });
        const only_connection = { 'talend-qlik-auth-url': '', 'talend-connection-ids': 'conn-1' };
        const first = await act(only_connection);
        expect(first.code, first.stdout).toBe(0);
        expect(first.outputs.result).toBe('created');
        const c = only(J().emu.clients());
        const params = () => J().emu.connection('conn-1')!.parameters;
        expect(params()).toEqual([
          { name: 'tenant', value: 'https://tenant.example', encrypted: false },
          { name: 'client_id', value: c.clientId, encrypted: false },
          { name: 'client_secret', value: first.outputs['client-secret'], encrypted: true },
        ]);
        // The TMC setting was not a target: nothing was sent there.
        expect(J().emu.talendPair()).toBeNull();
        // How the delivery was confirmed: the secret itself where Talend shows it, else the client ID.
        const confirmed = readBack === 'clear' ? 'secret-read-back' : 'client-id-read-back';
        expect(JSON.parse(first.outputs.targets!)).toEqual([{ target: 'connection:conn-1', status: 'delivered', hint: only(c.clientSecrets).hint, confirmed }]);
        expect(first.summary).toContain(`<td>Target: TMC connection conn-1</td><td>delivered: took ${only(c.clientSecrets).hint}; confirmed: ${readBack === 'clear' ? 'the secret read back' : 'the client ID read back (Talend hides the secret, so the read-back cannot prove it)'}</td>`);

        const rotated = await act({ ...only_connection, rotate: 'always' });
        expect(rotated.outputs.result).toBe('rotated');
        expect(params()[2]!.value).toBe(rotated.outputs['client-secret']);
        expect(only(J().emu.clients()).clientSecrets.map((s) => s.secret)).toEqual([rotated.outputs['client-secret']]);

        const mark = J().emu.log.length;
        const rerun = await act(only_connection);
        expect(rerun.outputs.result).toBe('unchanged');
        expect(JSON.parse(rerun.outputs.targets!)[0].status).toBe('holds');
        expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
      });

    journey("a task's parameters alone: the whole task goes back with the two values set; an overriding auto-upgrade is warned about; rerun unchanged", async () => {
      J().emu.defineTaskDefinition({
        id: 'task-1',
        description: 'Loads the sales app',
        tags: ['qlik'],
        connections: { QLIK: 'conn-9' },
        parameters: { QLIK_CLIENT_ID: '', QLIK_CLIENT_SECRET: '', BATCH_SIZE: '500' },
        autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: true },
        sensitive: ['QLIK_CLIENT_SECRET'],
      });
      const first = await act({ 'talend-qlik-auth-url': '', 'talend-task-ids': 'task-1' });
      expect(first.code, first.stdout).toBe(0);
      const c = only(J().emu.clients());
      const task = J().emu.taskDefinition('task-1')!;
      expect(task.parameters).toEqual({ QLIK_CLIENT_ID: c.clientId, QLIK_CLIENT_SECRET: first.outputs['client-secret'], BATCH_SIZE: '500' });
      expect(task).toMatchObject({ description: 'Loads the sales app', tags: ['qlik'], connections: { QLIK: 'conn-9' } });
      expect(first.stdout).toMatch(/^::warning title=Talend target::Task task-1 has auto-upgrade with 'overrideWithDefaultParameters' on/m);
      const mark = J().emu.log.length;
      expect((await act({ 'talend-qlik-auth-url': '', 'talend-task-ids': 'task-1' })).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('all three kinds at once: one new secret reaches each, the targets output and summary name each; rerun unchanged (I3)', async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      J().emu.defineTaskDefinition({ id: 'task-1', parameters: { QLIK_CLIENT_ID: '', QLIK_CLIENT_SECRET: '' } });
      const all = { 'talend-connection-ids': 'conn-1', 'talend-task-ids': 'task-1' };
      expect((await act(all)).outputs.result).toBe('created');
      const run = await act({ ...all, rotate: 'always' });
      expect(run.code, run.stdout).toBe(0);
      const secret = run.outputs['client-secret'];
      expect(J().emu.talendPair()?.clientSecret).toBe(secret);
      expect(J().emu.connection('conn-1')!.parameters[1]!.value).toBe(secret);
      expect(J().emu.taskDefinition('task-1')!.parameters!.QLIK_CLIENT_SECRET).toBe(secret);
      const hint = run.outputs['secret-hint'];
      expect(JSON.parse(run.outputs.targets!)).toEqual([
        { target: `qlik-auth:${J().emu.talendQlikAuthUrl}`, status: 'delivered', hint, confirmed: 'answer-only' },
        { target: 'connection:conn-1', status: 'delivered', hint, confirmed: 'client-id-read-back' },
        { target: 'task:task-1', status: 'delivered', hint, confirmed: 'secret-read-back' },
      ]);
      expect(run.summary.match(/<td>Target: /g)).toHaveLength(3);
      expectNothingStranded(only(J().emu.clients()).clientId);
      const mark = J().emu.log.length;
      expect((await act(all)).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('mixed outcome: the task refuses after the others took the secret; the new secret stays, the task keeps its old one, the run fails naming each; the next run converges, then unchanged', async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      J().emu.defineTaskDefinition({ id: 'task-1', parameters: { QLIK_CLIENT_ID: '', QLIK_CLIENT_SECRET: '' } });
      const all = { 'talend-connection-ids': 'conn-1', 'talend-task-ids': 'task-1' };
      const created = await act(all);
      const old = created.outputs['client-secret'];
      J().emu.fault({ service: 'talend', method: 'PUT', path: '/orchestration/executables/tasks/task-1', action: { status: 409, body: { status: 409, message: 'Task is being edited\n::stop-commands::x' } } });
      const mixed = await act({ ...all, rotate: 'always' });
      expect(mixed.code).not.toBe(0);
      const fresh = mixed.outputs['client-secret'];
      expect(fresh).not.toBe('');
      expect(J().emu.talendPair()?.clientSecret).toBe(fresh);
      expect(J().emu.taskDefinition('task-1')!.parameters!.QLIK_CLIENT_SECRET).toBe(old);
      expect(only(J().emu.clients()).clientSecrets.map((s) => s.secret).sort()).toEqual([old, fresh].sort());
      expect(mixed.stdout).toMatch(/^::error title=Rotation stopped::Not every Talend target took the new secret \S+: task task-1: HTTP 409: Task is being edited ::stop-commands::x/m);
      expect(mixed.stdout).not.toMatch(/^::stop-commands::/m);
      expect(JSON.parse(mixed.outputs.targets!).map((t: { status: string }) => t.status)).toEqual(['delivered', 'delivered', 'refused']);
      expect(mixed.outputs['secret-hint']).toBe('');
      expectNothingStranded(only(J().emu.clients()).clientId);

      const next = await act(all);
      expect(next.code, next.stdout).toBe(0);
      expect(next.outputs.result).toBe('rotated');
      expect(J().emu.taskDefinition('task-1')!.parameters!.QLIK_CLIENT_SECRET).toBe(next.outputs['client-secret']);
      expect(only(J().emu.clients()).clientSecrets.map((s) => s.secret)).toEqual([next.outputs['client-secret']]);
      const mark = J().emu.log.length;
      expect((await act(all)).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey('a wrong connection ID, or a connection whose other secret reads back masked, stops the run in Read state: no changing request', async () => {
      J().emu.setSecretReadBack('masked');
      J().emu.defineConnection({
        id: 'shared',
        parameters: [
          { name: 'client_id', value: '' },
          { name: 'client_secret', value: '', encrypted: true },
          { name: 'proxy_password', value: 'proxy-password-value-000000000000', encrypted: true },
        ],
      });
      for (const [ids, problem] of [
        ['missing', /TMC connection missing: Talend: there is no TMC connection with the ID missing/],
        ['shared', /TMC connection shared: .*'proxy_password'/],
      ] as const) {
        const mark = J().emu.log.length;
        const run = await act({ 'talend-connection-ids': ids });
        expect(run.code).not.toBe(0);
        expect(run.stdout).toMatch(problem);
        expect(run.stdout).toMatch(/Nothing was changed in Qlik or Talend/);
        expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
      }
      expect(J().emu.clients()).toEqual([]);
      expect(J().emu.connection('shared')!.parameters[2]!.value).toBe('proxy-password-value-000000000000');
    });

    journey("a target added later gets a new secret at once; one left out of the inputs keeps its secret (warned) until 'retarget: true' drops it", async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      expect((await act()).outputs.result).toBe('created');
      const added = await act({ 'talend-connection-ids': 'conn-1' });
      expect(added.outputs.result).toBe('rotated');
      expect(JSON.parse(added.outputs.plan!).find((s: { step: string }) => s.step === 'create-secret').reason).toEqual({ why: 'new-target', target: 'connection:conn-1' });
      const held = J().emu.connection('conn-1')!.parameters[1]!.value;
      expect(held).toBe(added.outputs['client-secret']);

      // The TMC setting no longer named: its secret (the same one) stays; a rotation keeps it too.
      const left = await act({ 'talend-qlik-auth-url': '', 'talend-connection-ids': 'conn-1', rotate: 'always' });
      expect(left.code, left.stdout).toBe(0);
      expect(left.stdout).toMatch(/^::warning title=Talend targets::The record on the OAuth client names Talend targets this run's inputs do not: TMC's Qlik Cloud Authentication/m);
      const secrets = () => only(J().emu.clients()).clientSecrets.map((s) => s.secret);
      expect(secrets()).toContain(J().emu.talendPair()!.clientSecret);
      expect(JSON.parse(left.outputs.targets!).map((t: { status: string }) => t.status)).toEqual(['delivered', 'not-in-inputs']);
      expectNothingStranded(only(J().emu.clients()).clientId);

      const dropped = await act({ 'talend-qlik-auth-url': '', 'talend-connection-ids': 'conn-1', retarget: 'true' });
      expect(dropped.code, dropped.stdout).toBe(0);
      expect(dropped.outputs.result).toBe('rotated');
      expect(secrets()).toEqual([dropped.outputs['client-secret']]);
      expect(parseDescription(only(J().emu.clients()).description).record?.targets.map((t) => t.key)).toEqual(['connection:conn-1']);
      const mark = J().emu.log.length;
      expect((await act({ 'talend-qlik-auth-url': '', 'talend-connection-ids': 'conn-1' })).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });

    journey("a person pastes another client's ID into the connection: the next run sees it and delivers this client's pair again, whatever rotate says; then unchanged", async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      const inputs = { 'talend-qlik-auth-url': '', 'talend-connection-ids': 'conn-1', rotate: 'never' };
      expect((await act(inputs)).outputs.result).toBe('created');
      const c = only(J().emu.clients());
      // By hand in TMC: another client's pair.
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: 'another-client-0001' }, { name: 'client_secret', value: 'another-client-secret-value-00000', encrypted: true }] });
      const run = await act(inputs);
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      expect(JSON.parse(run.outputs.plan!).find((s: { step: string }) => s.step === 'create-secret').reason).toEqual({ why: 'target-drifted', target: 'connection:conn-1' });
      expect(J().emu.connection('conn-1')!.parameters.map((p) => p.value)).toEqual([c.clientId, run.outputs['client-secret']]);
      const mark = J().emu.log.length;
      expect((await act(inputs)).outputs.result).toBe('unchanged');
      expect(J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
    });
  });
}
