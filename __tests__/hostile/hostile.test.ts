/**
 * A hostile Qlik (and Talend): every answer is text someone else wrote. Each case runs the bundle
 * (`node dist/index.js`, as the runner does) against the emulator with server text that carries
 * newlines and workflow commands, HTML, shell text, wrong IDs, repeated hints, two record blocks,
 * oversized or endless bodies, and checks what a user relies on:
 *
 * - the runner's command semantics, modelled: a stdout line whose trimmed start is `::` or `##[`
 *   must be one of the action's own commands (add-mask, debug, notice, warning, error, group,
 *   endgroup), and no command may carry the hostile marker in a mask; a forged
 *   `::stop-commands::` would let the following `::add-mask::` lines print secrets in clear;
 * - the job summary holds no HTML from a server; outputs hold no server text;
 * - nothing Talend may hold is deleted (I1), and no secret leaks (I5).
 */
import { describe, expect, it, type TestContext } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { EMPTY_RECORD, parseDescription, renderDescription } from '../../src/core/record.js';
import { type ActionRun, baseInputs, leaksIn, runAction } from '../../scripts/action-runner.js';
import { expectNothingStranded } from '../faults/harness.js';

const MARK = 'PWNED';
const COMMANDS = `x\n::stop-commands::${MARK}\n::set-output name=result::${MARK}\n::add-mask::e x ##[stop-commands]${MARK}`;
const HTML = `<script>alert("${MARK}")</script><img src=x onerror=alert(1)>`;
const OWN_COMMANDS = new Set(['add-mask', 'debug', 'notice', 'warning', 'error', 'group', 'endgroup']);
const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An emulator of this test's own (the tests run concurrently), closed when the test ends. */
async function emulator(ctx: TestContext, strict = false): Promise<Emulator> {
  const emu = await startEmulator({ strict });
  ctx.onTestFinished(() => emu.close());
  return emu;
}

/** What the runner would do with stdout that a hostile server does not get to decide. */
function commandProblems(run: ActionRun): string[] {
  const problems: string[] = [];
  for (const line of run.stdout.split(/\r?\n|\r/)) {
    const trimmed = line.trimStart();
    // The old form is looked for anywhere in a line by some runner versions.
    if (line.includes('##[')) problems.push(`old-style command: ${line.slice(0, 60)}`);
    if (!trimmed.startsWith('::')) continue;
    const name = /^::([A-Za-z-]+)/.exec(trimmed)?.[1] ?? '';
    if (!OWN_COMMANDS.has(name)) problems.push(`workflow command '${name}' from server text: ${line.slice(0, 60)}`);
    if (name === 'add-mask' && (line.includes(MARK) || line.trim() === '::add-mask::e')) problems.push(`a mask from server text: ${line.slice(0, 60)}`);
  }
  return problems;
}

function expectSafe(run: ActionRun, emu: Emulator): void {
  expect(commandProblems(run)).toEqual([]);
  expect(leaksIn(run, emu.issuedSecrets())).toEqual([]);
  // Escaped text (`&lt;img … onerror=…&gt;`) is fine; a raw tag from a server is not.
  expect(run.summary).not.toMatch(/<script|<img/i);
  for (const [name, value] of Object.entries(run.outputs)) {
    expect(value, `output ${name}`).not.toContain(MARK);
    expect(value, `output ${name}`).not.toMatch(/\$\(|`|<|\n/);
  }
  expect(emu.violations).toEqual([]);
}

async function act(emu: Emulator, extra: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({ ...baseInputs(emu), ...extra }, { env: { RUNNER_DEBUG: '1' } });
}

function only<T>(xs: T[]): T {
  expect(xs).toHaveLength(1);
  return xs[0]!;
}

describe.concurrent('a hostile server', () => {
  describe('workflow-command injection', () => {
    it('a scope with a newline and ::stop-commands:: is printed as one harmless line', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      const c = only(emu.clients());
      emu.updateClient(c.clientId, { allowedScopes: ['user_default', COMMANDS] });
      const run = await act(emu);
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('repaired');
      expect(run.stdout).toMatch(/change the scopes from .*stop-commands/);
      expectSafe(run, emu);
    });

    it('a clientSecretHint with a newline in the create answer is never printed nor used', async (ctx) => {
      const emu = await emulator(ctx);
      emu.fault({
        service: 'qlik',
        method: 'POST',
        path: '/api/v1/oauth-clients',
        action: { rewrite: (a) => ({ ...a, body: { ...(a.body as object), clientSecretHint: COMMANDS } }) },
      });
      const run = await act(emu);
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('created');
      expect(run.outputs['secret-hint']).toBe(only(only(emu.clients()).clientSecrets).hint);
      expectSafe(run, emu);
    });

    it('task-run messages and Qlik error titles with line breaks and separators stay on one line', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      emu.fault({
        service: 'talend',
        method: 'GET',
        path: '/processing/executions/*',
        times: Infinity,
        action: { status: 200, body: { executionId: 'e', status: 'execution_failed', errorMessage: `boom\u2028${COMMANDS}\u0085${HTML}` } },
      });
      emu.defineTask('smoke', 'execution_successful');
      const run = await act(emu, { 'talend-check-task-id': 'smoke', rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).not.toContain('\u2028');
      expectSafe(run, emu);

      const qlikError = await emulator(ctx);
      qlikError.fault({
        service: 'qlik',
        method: 'GET',
        path: '/api/v1/oauth-clients',
        action: { status: 403, body: { errors: [{ code: 'HTTP-403', title: `${COMMANDS}${HTML}` }] } },
      });
      const refused = await act(qlikError);
      expect(refused.code).not.toBe(0);
      expectSafe(refused, qlikError);
    });
  });

  describe('hints', () => {
    it('a hint like $(id) is shown escaped and never reaches an output', async (ctx) => {
      const emu = await emulator(ctx);
      emu.queueHints(['$(id)']);
      const run = await act(emu);
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('created');
      expect(only(only(emu.clients()).clientSecrets).hint).toBe('$(id)');
      expect(run.outputs['secret-hint']).toBe('');
      expect(run.stdout).toContain('$(id)');
      expectSafe(run, emu);
    });

    it('a hint <b> is escaped in the summary', async (ctx) => {
      const emu = await emulator(ctx);
      emu.queueHints(['<b>']);
      await act(emu);
      const run = await act(emu, { rotate: 'always' });
      expect(run.code).toBe(0);
      expect(run.summary).toContain('retired secret &lt;b&gt;');
      expect(run.summary).not.toContain('<b>');
      expectSafe(run, emu);
    });

    it('the hint .. is refused: it never becomes a DELETE of the client itself', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      const c = only(emu.clients());
      emu.addSecret(c.clientId, { hint: '..', ageDays: 3 });
      const run = await act(emu);
      expect(run.code).not.toBe(0);
      expect(emu.client(c.clientId)).toBeDefined();
      expect(emu.log.filter((r) => r.method === 'DELETE')).toEqual([]);
      expectSafe(run, emu);
    });

    it('a refused delivery whose new secret repeats the held hint leaves it: deleting by that hint could hit what Talend holds (I1)', async (ctx) => {
      const emu = await emulator(ctx);
      emu.queueHints(['dup', 'dup']);
      await act(emu);
      const c = only(emu.clients());
      emu.fault({ service: 'talend', method: 'PUT', path: '/tmc/qlik-cloud-authentication', action: { status: 400, body: { status: 400, message: 'Qlik Cloud connection failed' } } });
      const run = await act(emu, { rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/same hint/);
      expectNothingStranded(emu, 'after the hostile run');
      expectSafe(run, emu);
      // A clean run converges: both secrets with that hint are meant to go, so both may.
      const clean = await act(emu, { rotate: 'always' });
      expect(clean.code).toBe(0);
      expect(emu.client(c.clientId)!.clientSecrets).toHaveLength(1);
      expectNothingStranded(emu, 'after the hostile run');
    });
  });

  describe('identities', () => {
    it('a read by ID that answers about another client stops the run before it changes that answer into ours', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      const ours = only(emu.clients());
      emu.updateClient(ours.clientId, { description: `Alice's note\n\n${ours.description}` });
      const other = emu.seedClient({ clientName: 'Someone else', description: 'their text' });
      emu.fault({
        service: 'qlik',
        method: 'GET',
        path: `/api/v1/oauth-clients/${ours.clientId}`,
        times: Infinity,
        action: { rewrite: (a) => ({ ...a, body: { ...(a.body as object), ...structuredClone(emu.client(other.clientId)), clientSecrets: [] } }) },
      });
      const run = await act(emu, { rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/another client ID/);
      expect(parseDescription(emu.client(ours.clientId)!.description).userText).toBe("Alice's note");
      expect(emu.client(other.clientId)!.description).toBe('their text');
      expectNothingStranded(emu, 'after the hostile run');
      expectSafe(run, emu);
    });

    it('a client ID with shell text is refused: it would become the client-id output', async (ctx) => {
      const emu = await emulator(ctx);
      emu.seedClient({ clientId: 'abcd$(touch pwned)0001' });
      const run = await act(emu);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/expected shape/);
      expect(run.outputs['client-id'] ?? '').toBe('');
      expect(emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
      expectSafe(run, emu);
    });

    it('a client this run created that the name lookup cannot find is deleted, and the run stops', async (ctx) => {
      const emu = await emulator(ctx);
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', occurrence: 2, action: { status: 200, body: { data: [], links: {} } } });
      const run = await act(emu);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/name lookup does not find/);
      expect(emu.clients()).toEqual([]);
      expect(emu.talendPair()).toBeNull();
      expectSafe(run, emu);
    });
  });

  describe('the record', () => {
    const block = (holder: string, expiresAt: string) => renderDescription('', { ...EMPTY_RECORD, lease: { holder, expiresAt } });

    it('two record blocks are a clear error, not a lease that never ends', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      const c = only(emu.clients());
      emu.updateClient(c.clientId, { description: `${c.description}\n\n${block('x', '2000-01-01T00:00:00.000Z')}` });
      const mark = emu.log.length;
      const run = await act(emu, { rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/more than one block/);
      expect(emu.log.slice(mark).filter((r) => CHANGING.has(r.method))).toEqual([]);
      expectSafe(run, emu);
    });

    it('an unreadable block is kept verbatim, and marker words inside a line are just text', async (ctx) => {
      const emu = await emulator(ctx);
      const begin = '--- qlik-talend-oauth record (kept by the GitHub Action; do not edit) ---';
      const end = '--- end of qlik-talend-oauth record ---';
      const text = `Note: the line "${begin}" below is ours.\n${begin}\n{not json, hand-edited ${MARK}\n${end}\nAfter the block.`;
      const seeded = emu.seedClient({ description: text });
      emu.setTalendPair(seeded.clientId, seeded.clientSecrets[0]!.secret);
      const run = await act(emu);
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      const after = parseDescription(emu.client(seeded.clientId)!.description);
      expect(after.state).toBe('ok');
      expect(after.userText).toBe(text);
      expect((await act(emu)).outputs.result).toBe('unchanged');
      expectSafe(run, emu);
    });

    it('a lease that claims to last until 2100 is ignored with a warning', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      const c = only(emu.clients());
      const parsed = parseDescription(c.description);
      const record = { ...parsed.record!, lease: { holder: 'someone', expiresAt: '2100-01-01T00:00:00.000Z' } };
      emu.updateClient(c.clientId, { description: renderDescription(parsed.userText, record) });
      const run = await act(emu, { rotate: 'always' });
      expect(run.code).toBe(0);
      expect(run.outputs.result).toBe('rotated');
      expect(run.stdout).toMatch(/^::warning title=Lease ignored::/m);
      expectSafe(run, emu);
    });
  });

  describe('bounded work', () => {
    it('many clients with the same name fail before any is read, listing at most ten IDs', async (ctx) => {
      const emu = await emulator(ctx);
      for (let i = 0; i < 150; i++) emu.seedClient({});
      const run = await act(emu);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/150 OAuth clients are named .*and 140 more/);
      const ids = emu.clients().map((c) => c.clientId).filter((id) => run.stdout.includes(id));
      expect(ids.length).toBeLessThanOrEqual(10);
      expect(emu.log.filter((r) => r.service === 'qlik' && r.path.startsWith('/api/v1/oauth-clients/'))).toEqual([]);
      expectSafe(run, emu);
    });

    it('Retry-After: 0 on an endless 503 still gets the action\'s own backoff', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      emu.fault({ service: 'talend', method: 'PUT', path: '/tmc/qlik-cloud-authentication', times: Infinity, action: { status: 503, headers: { 'Retry-After': '0' } } });
      const run = await act(emu, { rotate: 'always', 'timeout-seconds': '8' });
      expect(run.code).not.toBe(0);
      const puts = emu.log.filter((r) => r.method === 'PUT').length;
      // About 6 s of work at 100 ms … 800 ms per wait: tens, not thousands.
      expect(puts).toBeLessThan(60);
      expectNothingStranded(emu, 'after the hostile run');
      expectSafe(run, emu);
    });

    it('an endless answer is cut at the endpoint\'s cap and ends the run cleanly', async (ctx) => {
      const emu = await emulator(ctx);
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: Infinity, action: { endless: true } });
      const run = await act(emu, { 'timeout-seconds': '20' });
      expect(run.code).not.toBe(0);
      // Each answer is cut at the cap, and the attempts run out long before the 20-second budget
      // (a count, not a clock: a busy machine must not fail this).
      expect(run.stdout).toMatch(/larger than this request allows/);
      expect(run.stdout).toMatch(/after [1-8] attempts/);
      expect(emu.log.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/oauth-clients')).length).toBeLessThanOrEqual(8);
      expectSafe(run, emu);
    });

    it.for([
      ['of one character', 'e'],
      ['padded with spaces to look long enough', '       x'],
    ] as const)('a secret %s is refused: never registered as a mask, never delivered', async ([, secret], ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      emu.fault({
        service: 'qlik',
        method: 'POST',
        path: '/api/v1/oauth-clients/*',
        action: { rewrite: (a) => ({ ...a, body: { ...(a.body as object), clientSecret: secret } }) },
      });
      const mark = emu.log.length;
      const run = await act(emu, { rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(run.masks).not.toContain(secret);
      expect(emu.log.slice(mark).filter((r) => r.method === 'PUT')).toEqual([]);
      expect(run.outputs['client-secret'] ?? '').toBe('');
      expectNothingStranded(emu, 'after the hostile run');
      expectSafe(run, emu);
    });

    it('a creation time beyond what a Date can hold is reported, never thrown', async (ctx) => {
      const emu = await emulator(ctx);
      await act(emu);
      const c = only(emu.clients());
      const farFuture = '+275760-09-13T00:00:00.000Z';
      // The server says the held secret was made at the end of time, and the record agrees.
      const parsed = parseDescription(c.description);
      const record = { ...parsed.record!, targets: parsed.record!.targets.map((t) => ({ ...t, delivered: { ...t.delivered!, createdAt: farFuture } })) };
      emu.updateClient(c.clientId, { description: renderDescription(parsed.userText, record) });
      const rewrite = (a: { status: number; body?: unknown }) => {
        const body = structuredClone(a.body) as { data?: { clientSecrets?: { createdAt?: string }[] }[]; clientSecrets?: { createdAt?: string }[] };
        for (const item of [...(body.data ?? []), body]) for (const s of item.clientSecrets ?? []) s.createdAt = farFuture;
        return { ...a, body };
      };
      emu.fault({ service: 'qlik', method: 'GET', path: '/api/v1/oauth-clients', times: Infinity, action: { rewrite } });
      emu.fault({ service: 'qlik', method: 'GET', path: `/api/v1/oauth-clients/${c.clientId}`, times: Infinity, action: { rewrite } });
      const run = await act(emu);
      expect(run.code, run.stderr).toBe(0);
      expect(run.outputs.result).toBe('unchanged');
      expect(run.outputs['next-rotation-due']).toBe('');
      expect(run.stdout).toMatch(/^::warning title=Secret age unknown::/m);
      expectSafe(run, emu);
    });
  });

  describe('Talend connections and tasks', () => {
    const CONN = '/orchestration/connections/conn-1';
    const defineConnection = (emu: Emulator) =>
      emu.defineConnection({ id: 'conn-1', parameters: [{ name: 'client_id', value: '' }, { name: 'client_secret', value: '', encrypted: true }] });

    it('a connection answer about another connection, or one 8 MB long, stops the run in Read state with nothing changed', async (ctx) => {
      const emu = await emulator(ctx);
      defineConnection(emu);
      for (const action of [
        { rewrite: (a: { status: number; body?: unknown }) => ({ ...a, body: { ...(a.body as object), id: `conn-2\n${COMMANDS}` } }) },
        { status: 200, body: { id: 'conn-1', name: 'x', parameters: [{ name: 'pad', value: 'p'.repeat(8 * 1024 * 1024) }] } },
      ]) {
        emu.clearFaults();
        emu.fault({ service: 'talend', method: 'GET', path: CONN, times: Infinity, action });
        const run = await act(emu, { 'talend-connection-ids': 'conn-1' });
        expect(run.code).not.toBe(0);
        expect(run.stdout).toMatch(/TMC connection conn-1: /);
        expect(run.stdout).toMatch(/Nothing was changed in Qlik or Talend/);
        expect(emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
        expectSafe(run, emu);
      }
    });

    it('a parameter name with a newline and ::stop-commands:: that reads back masked is refused in one harmless line; its value is never written back', async (ctx) => {
      const emu = await emulator(ctx);
      emu.setSecretReadBack('masked');
      emu.defineConnection({
        id: 'conn-1',
        parameters: [
          { name: 'client_id', value: '' },
          { name: 'client_secret', value: '', encrypted: true },
          { name: `proxy${COMMANDS}`, value: 'proxy-password-value-0000000000000', encrypted: true },
        ],
      });
      const run = await act(emu, { 'talend-connection-ids': 'conn-1' });
      expect(run.code).not.toBe(0);
      expect(run.stdout).toMatch(/proxyx ::stop-commands::PWNED/);
      expect(emu.connection('conn-1')!.parameters[2]!.value).toBe('proxy-password-value-0000000000000');
      expect(emu.log.filter((r) => CHANGING.has(r.method))).toEqual([]);
      expectSafe(run, emu);
    });

    it('a refusal message with workflow commands and HTML, and a recorded target key a person edited into the record, reach the log, summary and outputs harmlessly', async (ctx) => {
      const emu = await emulator(ctx);
      defineConnection(emu);
      expect((await act(emu, { 'talend-connection-ids': 'conn-1' })).code).toBe(0);
      const c = only(emu.clients());
      const parsed = parseDescription(c.description);
      const forged = { key: `task:$(curl evil)${HTML}${COMMANDS}`, delivered: parsed.record!.targets[0]!.delivered, pending: [] };
      emu.updateClient(c.clientId, { description: renderDescription(parsed.userText, { ...parsed.record!, targets: [...parsed.record!.targets, forged] }) });
      emu.fault({ service: 'talend', method: 'PUT', path: CONN, times: Infinity, action: { status: 409, body: { status: 409, message: `${HTML}${COMMANDS}` } } });
      const run = await act(emu, { 'talend-connection-ids': 'conn-1', rotate: 'always' });
      expect(run.code).not.toBe(0);
      expect(JSON.parse(run.outputs.targets!).map((t: { target: string | null }) => t.target)).toContain(null);
      expect(run.summary).toContain('&lt;script&gt;');
      expectSafe(run, emu);
      expectNothingStranded(emu, 'after a refused delivery with a forged target');
    });
  });
});
