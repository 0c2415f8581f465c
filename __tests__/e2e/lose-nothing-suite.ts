/**
 * Journeys for "lose nothing in Talend": a careless or hostile Talend (masks of any form, flags
 * left out, task answers without fields, redirects after storing, 200 with an error body) must
 * never make the action write back what it cannot read, strand a target, or lose a customer's
 * value; and Qlik answering the same time in other forms, or merging a JSON Patch `add`, must not
 * make it rotate or narrow scopes. Each journey runs against the lenient and the strict emulator
 * (lose-nothing.test.ts, lose-nothing-strict.test.ts).
 */
import { describe, expect } from 'vitest';
import { startEmulator } from '../../emulator/index.js';
import { parseDescription } from '../../src/core/record.js';
import { CHANGING, J, act, defining, expectNothingStranded, journey, only } from './journey-harness.js';

const CONNECTION_ONLY = { 'talend-qlik-auth-url': '' };
const changingSince = (mark: number) => J().emu.log.slice(mark).filter((r) => CHANGING.has(r.method));
const secretPosts = (mark: number) => J().emu.log.slice(mark).filter((r) => r.method === 'POST' && r.path.includes('/client-secrets'));

/** A client made by a first run (TMC's setting as its target), and its one secret. */
async function clientWithSecret() {
  expect((await act()).outputs.result).toBe('created');
  const c = only(J().emu.clients());
  return { clientId: c.clientId, secret: only(c.clientSecrets).secret };
}

export function defineLoseNothingJourneys(strictMode: boolean): void {
  defining(strictMode);
  describe(`lose nothing in Talend, against a ${strictMode ? 'strict' : 'lenient'} Qlik`, () => {
    for (const [flag, mask] of [['omitted', '<hidden>'], ['null', 'ENC(0x1f2e)']] as const)
    journey(`a connection parameter Talend may hide (flag ${flag}, mask ${mask}) is never written back unproven: refused before any change; proven shown in clear, it goes back intact`, async () => {
      const { clientId, secret } = await clientWithSecret();
      const define = () =>
        J().emu.defineConnection({
          id: 'conn-1',
          parameters: [
            { name: 'client_id', value: clientId },
            { name: 'client_secret', value: secret, encrypted: true },
            { name: 'proxy_password', value: 'proxy-password-value-0000000000', encrypted: true },
          ],
        });
      define();
      J().emu.setSecretReadBack('masked');
      J().emu.setHiddenValues({ mask, encryptedFlag: flag });
      // A dry run cannot ask for the proof (I4): it says a real run will, and what then.
      const dry = J().emu.log.length;
      const planned = await act({ 'talend-connection-ids': 'conn-1', 'dry-run': 'true' });
      expect(planned.outputs.result).toBe('planned');
      expect(planned.stdout).toMatch(/^::warning title=Talend targets::Talend may hide values of TMC connection conn-1, .*refuses these targets otherwise/m);
      expect(changingSince(dry)).toEqual([]);
      const mark = J().emu.log.length;
      const refused = await act({ 'talend-connection-ids': 'conn-1' });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/TMC connection conn-1: Talend may hide the value of 'proxy_password' of connection conn-1/);
      expect(refused.stdout).toMatch(/Nothing was changed in Qlik or Talend/);
      // The proof was asked (the read secret is '<hidden>': Qlik refused it); nothing changed.
      expect(changingSince(mark).map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['POST /oauth/token']);
      expect(J().emu.connection('conn-1')!.parameters[2]!.value).toBe('proxy-password-value-0000000000');

      J().emu.setSecretReadBack('clear');
      const delivered = await act({ 'talend-connection-ids': 'conn-1' });
      expect(delivered.code, delivered.stdout).toBe(0);
      expect(delivered.outputs.result).toBe('rotated');
      const params = J().emu.connection('conn-1')!.parameters;
      expect(params.map((p) => [p.name, p.value, p.encrypted])).toEqual([
        ['client_id', clientId, false],
        ['client_secret', delivered.outputs['client-secret'], true],
        ['proxy_password', 'proxy-password-value-0000000000', true],
      ]);
      expect(JSON.parse(delivered.outputs.targets!).find((t: { target: string }) => t.target === 'connection:conn-1').confirmed).toBe('secret-read-back');
      expectNothingStranded(clientId);
    });

    journey('a task: an answer without its connections or parameters map is refused before any PUT; a password shown blank waits for the proof; blank plain parameters and a __proto__ parameter come through', async () => {
      const { clientId, secret } = await clientWithSecret();
      const parameters = JSON.parse(`{"QLIK_CLIENT_ID":"${clientId}","QLIK_CLIENT_SECRET":"${secret}","BATCH":"","DB_PASSWORD":"db-password-value-0000000000","__proto__":"kept"}`) as Record<string, string>;
      J().emu.setSecretReadBack('masked');
      J().emu.setHiddenValues({ mask: '' });
      let mark = J().emu.log.length;
      for (const field of ['connections', 'parameters']) {
        J().emu.defineTaskDefinition({ id: 'task-1', parameters, connections: { QLIK: 'conn-9' }, sensitive: ['QLIK_CLIENT_SECRET', 'DB_PASSWORD'], omitFields: [field] });
        const noMap = await act({ 'talend-task-ids': 'task-1' });
        expect(noMap.code).toBe(1);
        expect(noMap.stdout).toMatch(new RegExp(`task task-1: Talend's answer for task task-1 has no ${field}; the update replaces the whole task`));
        expect(changingSince(mark)).toEqual([]);
      }

      J().emu.defineTaskDefinition({ id: 'task-1', parameters, connections: { QLIK: 'conn-9' }, sensitive: ['QLIK_CLIENT_SECRET', 'DB_PASSWORD'] });
      mark = J().emu.log.length;
      const blank = await act({ 'talend-task-ids': 'task-1' });
      expect(blank.code).toBe(1);
      expect(blank.stdout).toMatch(/Talend may hide the value of 'DB_PASSWORD' of task task-1/);
      expect(secretPosts(mark)).toEqual([]);
      expect(J().emu.taskDefinition('task-1')!.parameters!.DB_PASSWORD).toBe('db-password-value-0000000000');

      J().emu.setSecretReadBack('clear');
      const proven = await act({ 'talend-task-ids': 'task-1' });
      expect(proven.code, proven.stdout).toBe(0);
      const after = J().emu.taskDefinition('task-1')!;
      expect(JSON.parse(JSON.stringify(after.parameters))).toEqual(
        JSON.parse(`{"QLIK_CLIENT_ID":"${clientId}","QLIK_CLIENT_SECRET":"${proven.outputs['client-secret']}","BATCH":"","DB_PASSWORD":"db-password-value-0000000000","__proto__":"kept"}`),
      );
      expect(after.connections).toEqual({ QLIK: 'conn-9' });
    });

    journey("a Talend refusal that quotes another parameter's value prints it nowhere: values Talend may hide are masked the moment they are read", async () => {
      const { clientId, secret } = await clientWithSecret();
      const proxy = 'proxy-password-value-0000000000';
      J().emu.setSecretReadBack('clear');
      J().emu.defineConnection({
        id: 'conn-1',
        parameters: [
          { name: 'client_id', value: clientId },
          { name: 'client_secret', value: secret, encrypted: true },
          { name: 'proxy_password', value: proxy, encrypted: true },
        ],
      });
      J().emu.fault({
        service: 'talend',
        method: 'PUT',
        path: '/orchestration/connections/conn-1',
        action: { status: 400, body: { status: 400, message: `proxy_password ${proxy} is not accepted`, requestId: 'r1' } },
      });
      const run = await act({ 'talend-connection-ids': 'conn-1' });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/TMC connection conn-1: HTTP 400: proxy_password \*\*\* is not accepted/);
      // Registered before anything logged (the runner masks it from then on); printed nowhere else.
      expect(run.stdout.indexOf(`::add-mask::${proxy}`)).toBeLessThan(run.stdout.indexOf('Found the OAuth client'));
      const printed = run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
      for (const text of [...printed, run.stderr, run.summary, JSON.stringify(run.outputs)]) expect(text).not.toContain(proxy);
      expect(J().emu.connection('conn-1')!.parameters[2]!.value).toBe(proxy);
    });

    journey('parameter names that differ only in case are refused in Read state, naming the close match; nothing is added beside them', async () => {
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'CLIENT_ID', value: '' }, { name: 'CLIENT_SECRET', value: '', encrypted: true }] });
      const run = await act({ ...CONNECTION_ONLY, 'talend-connection-ids': 'conn-1' });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/no parameter named 'client_id' \(close: 'CLIENT_ID'\) or 'client_secret' \(close: 'CLIENT_SECRET'\)/);
      expect(J().emu.clients()).toEqual([]);
      expect(J().emu.connection('conn-1')!.parameters.map((p) => p.name)).toEqual(['CLIENT_ID', 'CLIENT_SECRET']);
      const fixed = await act({ ...CONNECTION_ONLY, 'talend-connection-ids': 'conn-1', 'talend-connection-parameters': 'CLIENT_ID CLIENT_SECRET' });
      expect(fixed.code, fixed.stdout).toBe(0);
    });

    journey('a client ID parameter Talend hides could never confirm a delivery: said before a secret is made', async () => {
      const { clientId } = await clientWithSecret();
      J().emu.setSecretReadBack('masked');
      J().emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: clientId, encrypted: true }, { name: 'client_secret', value: '', encrypted: true }] });
      const mark = J().emu.log.length;
      const run = await act({ 'talend-connection-ids': 'conn-1' });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/Talend may hide the client ID parameter of connection conn-1, so reading it back could never confirm a delivery/);
      expect(secretPosts(mark)).toEqual([]);
      expect(only(J().emu.clients()).clientSecrets).toHaveLength(1);
    });

    journey("TMC answering a redirect after it stored the pair is no refusal: the new secret stays (pending); the next run converges", async () => {
      const { clientId } = await clientWithSecret();
      J().emu.setQlikAuthAnswer('redirect');
      const run = await act({ rotate: 'always' });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/HTTP 303 \(a redirect, not followed\): the target may hold the new pair/);
      const c = only(J().emu.clients()).clientSecrets;
      expect(c).toHaveLength(2);
      expect(J().emu.talendPair()?.clientSecret).toBe(run.outputs['client-secret']);
      expectNothingStranded(clientId);
      J().emu.setQlikAuthAnswer('json');
      const next = await act();
      expect(next.code, next.stdout).toBe(0);
      expect(next.outputs.result).toBe('rotated');
      expect(only(J().emu.clients()).clientSecrets.map((s) => s.secret)).toEqual([J().emu.talendPair()!.clientSecret]);
    });

    journey("TMC answering 200 with an error body: 'refused' makes it a definite refusal (the new secret goes); 'stored' alone leaves it may-hold (kept)", async () => {
      const { clientId } = await clientWithSecret();
      // TMC checks pairs against another tenant's Qlik: it refuses every pair, with a 200 and an error.
      const other = await startEmulator({ strict: J().strict });
      try {
        J().emu.connectTalendTo(other);
        J().emu.setQlikAuthAnswer('error-200');
        const refusedWhen = JSON.stringify({ body: { clientId: '{{clientId}}', clientSecret: '{{clientSecret}}' }, refused: { pointer: '/status', equals: 'error' } });
        const refused = await act({ rotate: 'always', 'talend-qlik-auth-request': refusedWhen });
        expect(refused.code).toBe(1);
        expect(refused.stdout).toMatch(/Talend refused the new secret .*HTTP 200: Qlik Cloud connection failed.*it was deleted from Qlik again/);
        expect(only(J().emu.clients()).clientSecrets).toHaveLength(1);
        const storedWhen = JSON.stringify({ body: { clientId: '{{clientId}}', clientSecret: '{{clientSecret}}' }, stored: { pointer: '/status', equals: 'connected' } });
        const unclear = await act({ rotate: 'always', 'talend-qlik-auth-request': storedWhen });
        expect(unclear.code).toBe(1);
        expect(unclear.stdout).toMatch(/HTTP 200 \(an answer that does not say the pair was stored\)/);
        expect(only(J().emu.clients()).clientSecrets).toHaveLength(2);
        expectNothingStranded(clientId);
      } finally {
        await other.close();
      }
    });

    journey('a first delivery refused (a mistyped talend-qlik-auth-url) binds the client to nothing: the run with the right URL goes ahead without retarget', async () => {
      const wrong = await act({ 'talend-qlik-auth-url': '/tmc/qlik-cloud-authentcation' });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/Talend refused the new secret .*HTTP 404/);
      // The user's mistake, as the emulator sees it: the pair went where the user said, not to TMC's setting.
      expect(J().emu.violations).toEqual([expect.stringMatching(/^client secret sent to Talend outside the Qlik Cloud Authentication PUT: PUT .*authentcation/)]);
      J().emu.violations.length = 0;
      const c = only(J().emu.clients());
      expect(parseDescription(c.description).record?.targets).toEqual([]);
      const right = await act();
      expect(right.code, right.stdout).toBe(0);
      expect(right.outputs.result).toBe('rotated');
      expect(J().emu.talendPair()?.clientSecret).toBe(right.outputs['client-secret']);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey('Qlik writing one creation time in other forms from answer to answer does not make rotate: auto rotate', async () => {
      await clientWithSecret();
      J().emu.setCreatedAtForm('mixed');
      for (let i = 0; i < 3; i++) {
        const mark = J().emu.log.length;
        const run = await act();
        expect(run.outputs.result).toBe('unchanged');
        expect(changingSince(mark)).toEqual([]);
      }
    });

    journey("scopes: a hand-made client keeps the scopes a person granted; scopes-exact makes them exactly the input, also where Qlik's add merges", async () => {
      const granted = ['admin.apps', 'admin.spaces', 'admin_classic', 'user_default'];
      const seeded = J().emu.seedClient({ allowedScopes: ['admin.apps', 'admin.spaces', 'user_default'] });
      J().emu.setTalendPair(seeded.clientId, seeded.clientSecrets[0]!.secret);
      const adopted = await act();
      expect(adopted.code, adopted.stdout).toBe(0);
      expect([...only(J().emu.clients()).allowedScopes].sort()).toEqual(granted);
      expect(JSON.parse(adopted.outputs.plan!).find((s: { step: string }) => s.step === 'repair-scopes')).toEqual({ step: 'repair-scopes', add: ['admin_classic'] });
      J().emu.setAddMerges(true);
      const exact = await act({ 'scopes-exact': 'true' });
      expect(exact.code, exact.stdout).toBe(0);
      expect(exact.outputs.result).toBe('repaired');
      expect([...only(J().emu.clients()).allowedScopes].sort()).toEqual(['admin_classic', 'user_default']);
      const mark = J().emu.log.length;
      expect((await act({ 'scopes-exact': 'true' })).outputs.result).toBe('unchanged');
      expect(changingSince(mark)).toEqual([]);
      expect((await act()).outputs.result).toBe('unchanged');
    });

    journey("the client's description too short for the record of six connections: the run stops before any change, and no lease is left", async () => {
      const seeded = J().emu.seedClient({ description: 'd'.repeat(3300) });
      J().emu.setTalendPair(seeded.clientId, seeded.clientSecrets[0]!.secret);
      const ids = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
      for (const id of ids) J().emu.defineConnection({ id, parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });
      for (let i = 0; i < 2; i++) {
        const mark = J().emu.log.length;
        const run = await act({ 'talend-connection-ids': ids.join(' ') });
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/Qlik allows 4096 characters, the record needs \d+ and the description's own text has 3300/);
        expect(changingSince(mark)).toEqual([]);
      }
      const c = only(J().emu.clients());
      expect(c.clientSecrets).toHaveLength(1);
      expect(c.description).toBe('d'.repeat(3300));
    });
  });
}
