/**
 * Journeys for the moments an admin meets the action besides a healthy schedule: the admin API key
 * running out, a leak (an emergency rotation that revokes the bot user's tokens), and the end of
 * the integration (decommission). Each runs against the lenient and the strict emulator
 * (lifecycle.test.ts, lifecycle-strict.test.ts).
 */
import { describe, expect } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import { parseDescription } from '../../src/core/record.js';
import { CHANGING, J, act, defining, expectNothingStranded, journey, only } from './journey-harness.js';

const DAY = 86_400_000;
const changingSince = (mark: number) => J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method));
const requestsTo = (mark: number, path: string) => J().emu.log.slice(mark).filter((r) => r.path.startsWith(path));

export function defineLifecycleJourneys(strictMode: boolean): void {
  defining(strictMode);
  describe(`the lifecycle, against a ${strictMode ? 'strict' : 'lenient'} Qlik`, () => {
    journey("the admin API key: its expiry is an output and a summary row; within the warning days a warning names the date; unreadable is a note; refused, the error says what to check", async () => {
      const first = await act();
      expect(first.code, first.stdout).toBe(0);
      expect(Date.parse(first.outputs['qlik-api-key-expires-at']!)).toBeGreaterThan(Date.now() + 170 * DAY);
      expect(first.stdout).not.toMatch(/::warning title=Qlik API key::/);
      expect(first.summary).toMatch(/<td>Qlik API key<\/td><td>expires \d{4}-\d\d-\d\d, in 1\d\d days<\/td>/);

      J().emu.setApiKey({ expiry: new Date(Date.now() + 5 * DAY + 3_600_000).toISOString() });
      const soon = await act();
      expect(soon.code).toBe(0);
      expect(soon.outputs.result).toBe('unchanged');
      expect(soon.stdout).toMatch(/^::warning title=Qlik API key::The Qlik API key \(qlik-api-key\) expires \d{4}-\d\d-\d\d, in 5(\.\d)? days\. Once it expires every run fails with HTTP 401/m);
      expect((await act({ 'qlik-api-key-warning-days': '3' })).stdout).not.toMatch(/::warning title=Qlik API key::/);

      J().emu.setApiKey({ readable: false });
      const unread = await act();
      expect(unread.code).toBe(0);
      expect(unread.outputs['qlik-api-key-expires-at']).toBe('');
      expect(unread.summary).toMatch(/<td>Qlik API key<\/td><td>expiry unknown: Qlik did not show the key&#39;s record \(HTTP 403/);

      J().emu.setApiKey({ readable: true, status: 'revoked' });
      const refused = await act();
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/Qlik refused the API key \(HTTP 401\)\. Check.*expired or been revoked.*'Manage API keys' permission/);
    });

    journey('an API key that is no JWT costs no request: its expiry is a note', async () => {
      await J().emu.close();
      J().emu = await startEmulator({ strict: J().strict, qlikApiKey: 'plain-admin-key-0123456789abcdef0123456789' });
      const mark = J().emu.log.length;
      const run = await act();
      expect(run.code, run.stdout).toBe(0);
      expect(requestsTo(mark, '/api/v1/api-keys')).toEqual([]);
      expect(run.summary).toMatch(/expiry unknown: the key is not a JWT with a key ID/);
    });

    journey("after a leak: rotate: always with revoke-tokens revokes every token of the client's bot user once the old secret is retired", async () => {
      await act();
      const c = only(J().emu.clients());
      const bot = J().emu.botUserOf(c.clientId)!;
      expect(bot).toBeDefined();
      // TMC got tokens with the (leaked) secret.
      J().emu.mintToken(c.clientId);
      J().emu.mintToken(c.clientId);
      expect(J().emu.liveTokensOf(bot)).toBe(2);
      const run = await act({ rotate: 'always', 'revoke-tokens': 'true' });
      expect(run.code, run.stdout).toBe(0);
      expect(Number(run.outputs['tokens-revoked'])).toBeGreaterThanOrEqual(2);
      expect(J().emu.liveTokensOf(bot)).toBe(0);
      expect(run.summary).toMatch(/<td>OAuth tokens revoked<\/td><td>\d+<\/td>/);
      expect(only(J().emu.clients()).clientSecrets.map((s) => s.secret)).toEqual([run.outputs['client-secret']]);
      expect(parseDescription(only(J().emu.clients()).description).record?.botUserId).toBe(bot);
      // A healthy rerun revokes nothing and says why.
      const rerun = await act({ 'revoke-tokens': 'true' });
      expect(rerun.outputs.result).toBe('unchanged');
      expect(rerun.outputs['tokens-revoked']).toBe('');
      expect(rerun.stdout).toMatch(/^::warning title=revoke-tokens::/m);
    });

    journey('after a leak, a target the inputs do not name would keep the leaked secret valid: the run stops before any change and names retarget', async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      expect((await act({ 'talend-connection-ids': 'conn-1' })).outputs.result).toBe('created');
      const mark = J().emu.log.length;
      const stopped = await act({ rotate: 'always', 'revoke-tokens': 'true' });
      expect(stopped.code).toBe(1);
      expect(stopped.stdout).toMatch(/'revoke-tokens' is true, but TMC connection conn-1 still hold\(s\) an older secret.*'retarget: true'/);
      expect(changingSince(mark)).toEqual([]);
      const retargeted = await act({ rotate: 'always', 'revoke-tokens': 'true', retarget: 'true' });
      expect(retargeted.code, retargeted.stdout).toBe(0);
      expect(only(J().emu.clients()).clientSecrets).toHaveLength(1);
      const kept = await act({ rotate: 'always', 'revoke-tokens': 'true', 'keep-previous-secrets': '1' });
      expect(kept.stdout).toMatch(/::error title=Invalid input::Inputs 'revoke-tokens' and 'keep-previous-secrets'/);
    });

    journey('decommission: confirmed only by the client\'s own ID; a dry run first; then every target detached, TMC disconnected, tokens revoked, the client deleted, the bot user reported; a rerun changes nothing', async () => {
      J().emu.defineConnection({
        id: 'conn-1',
        parameters: [
          { name: 'tenant', value: 'https://tenant.example', encrypted: false },
          { name: 'client_id', value: '' },
          { name: 'client_secret', value: '', encrypted: true },
        ],
      });
      J().emu.defineTaskDefinition({ id: 'task-1', parameters: { QLIK_CLIENT_ID: '', QLIK_CLIENT_SECRET: '', BATCH: '500' } });
      const targets = { 'talend-connection-ids': 'conn-1', 'talend-task-ids': 'task-1' };
      expect((await act(targets)).outputs.result).toBe('created');
      const c = only(J().emu.clients());
      const bot = J().emu.botUserOf(c.clientId)!;
      J().emu.mintToken(c.clientId);

      let mark = J().emu.log.length;
      const unconfirmed = await act({ ...targets, operation: 'decommission' });
      expect(unconfirmed.stdout).toMatch(/^::error title=Invalid input::Input 'confirm-decommission' is required/m);
      expect(J().emu.log.length).toBe(mark);
      const wrong = await act({ ...targets, operation: 'decommission', 'confirm-decommission': 'not-this-client' });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/Input 'confirm-decommission' does not name the OAuth client found/);
      expect(changingSince(mark)).toEqual([]);

      const decommission = { ...targets, operation: 'decommission', 'confirm-decommission': c.clientId, 'talend-qlik-auth-disconnect-request': '{"method": "DELETE"}' };
      mark = J().emu.log.length;
      const dry = await act({ ...decommission, 'dry-run': 'true' });
      expect(dry.outputs.result).toBe('planned');
      expect(dry.stdout).toMatch(/- detach TMC connection conn-1, task task-1: empty the client's ID and secret there/);
      expect(dry.stdout).toMatch(/- disconnect TMC's Qlik Cloud Authentication/);
      expect(dry.stdout).toMatch(/- delete the OAuth client/);
      expect(changingSince(mark)).toEqual([]);

      const run = await act(decommission);
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.result).toBe('decommissioned');
      expect(J().emu.clients()).toEqual([]);
      expect(J().emu.talendPair()).toBeNull();
      expect(J().emu.connection('conn-1')!.parameters.map((p) => [p.name, p.value])).toEqual([
        ['tenant', 'https://tenant.example'],
        ['client_id', ''],
        ['client_secret', ''],
      ]);
      expect(J().emu.taskDefinition('task-1')!.parameters).toEqual({ QLIK_CLIENT_ID: '', QLIK_CLIENT_SECRET: '', BATCH: '500' });
      expect(J().emu.liveTokensOf(bot)).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^::warning title=Decommission::Qlik keeps the client's bot user ${bot} after the client is deleted`, 'm'));
      expect(JSON.parse(run.outputs.targets!).map((t: { status: string }) => t.status)).toEqual(['holds', 'detached', 'detached']);

      mark = J().emu.log.length;
      const rerun = await act(decommission);
      expect(rerun.code).toBe(0);
      expect(rerun.outputs.result).toBe('unchanged');
      expect(changingSince(mark)).toEqual([]);
    });

    journey("decommission without a disconnect request leaves TMC's setting to a person; a detach Talend refuses stops before the client is deleted, and the next run finishes", async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      expect((await act({ 'talend-connection-ids': 'conn-1' })).outputs.result).toBe('created');
      const c = only(J().emu.clients());
      const pair = J().emu.talendPair();
      J().emu.fault({ service: 'talend', method: 'PUT', path: '/orchestration/connections/conn-1', action: { status: 403, body: { status: 403, message: 'Forbidden' } } });
      const decommission = { 'talend-connection-ids': 'conn-1', operation: 'decommission', 'confirm-decommission': c.clientId };
      const stopped = await act(decommission);
      expect(stopped.code).toBe(1);
      expect(stopped.stdout).toMatch(/Not every Talend target could be detached, so the OAuth client was not deleted: TMC connection conn-1: HTTP 403/);
      expect(only(J().emu.clients()).clientId).toBe(c.clientId);
      expectNothingStranded(c.clientId);

      const finished = await act(decommission);
      expect(finished.code, finished.stdout).toBe(0);
      expect(finished.outputs.result).toBe('decommissioned');
      expect(J().emu.clients()).toEqual([]);
      // TMC was not called: it still holds the pair, and the run says to press Disconnect.
      expect(J().emu.talendPair()).toEqual(pair);
      expect(finished.stdout).toMatch(/^::warning title=Decommission::The action does not call TMC's Qlik Cloud Authentication .*press Disconnect/m);
    });
  });
}
