import * as core from '@actions/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { initialOutcome } from '../../src/core/outcome.js';
import { RunFailure } from '../../src/core/failure.js';
import { planRotation } from '../../src/core/plan.js';
import { reportFailure, reportPlan, reportSuccess, targetsOutput } from '../../src/report.js';
import { registerSecret, resetSecretsForTest } from '../../src/secrets.js';
import { NOW, TMC_KEY, client, config, observed, record } from './fixtures.js';

vi.mock('@actions/core', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@actions/core')>();
  const summary = { emptyBuffer: vi.fn(), addHeading: vi.fn(), addTable: vi.fn(), addList: vi.fn(), addCodeBlock: vi.fn(), addRaw: vi.fn(), write: vi.fn(async () => undefined) };
  for (const fn of ['emptyBuffer', 'addHeading', 'addTable', 'addList', 'addCodeBlock', 'addRaw'] as const) summary[fn].mockImplementation(() => summary);
  return { ...actual, setSecret: vi.fn(), setOutput: vi.fn(), setFailed: vi.fn(), error: vi.fn(), info: vi.fn(), debug: vi.fn(), warning: vi.fn(), startGroup: vi.fn(), endGroup: vi.fn(), summary };
});

const NEW_SECRET = 'the-new-client-secret-0123456789abcdef';

function progressWithNewSecret() {
  const obs = observed(client(), record());
  const progress = initialOutcome(obs, [TMC_KEY], planRotation(config({ rotate: 'always' }), obs, NOW, 'run'));
  progress.newSecret = { value: NEW_SECRET, meta: { hint: 'nnnnn', createdAt: new Date(NOW).toISOString() } };
  return progress;
}

function order(fn: unknown, matcher: (args: unknown[]) => boolean): number {
  const mock = vi.mocked(fn as (...a: unknown[]) => unknown).mock;
  const i = mock.calls.findIndex(matcher);
  return i < 0 ? Infinity : mock.invocationCallOrder[i]!;
}

beforeEach(() => {
  resetSecretsForTest();
  vi.clearAllMocks();
});

describe('report', () => {
  it('registers the client ID and the new secret before writing them as outputs', async () => {
    await reportSuccess('rotated', config(), progressWithNewSecret(), NOW);
    const maskedId = order(core.setSecret, (a) => a[0] === 'client-1');
    const maskedSecret = order(core.setSecret, (a) => a[0] === NEW_SECRET);
    expect(maskedId).toBeLessThan(order(core.setOutput, (a) => a[0] === 'client-id'));
    expect(maskedSecret).toBeLessThan(order(core.setOutput, (a) => a[0] === 'client-secret'));
    expect(core.setOutput).toHaveBeenCalledWith('client-secret', NEW_SECRET);
    // Labels stay unmasked: masking short words would blank them across the whole log.
    for (const label of ['rotated', 'aaaaa']) expect(core.setSecret).not.toHaveBeenCalledWith(label);
  });

  it('on failure writes result=failed, the secret created in the run, and one message with the state of both systems', async () => {
    const progress = progressWithNewSecret();
    progress.delivery = 'unknown';
    progress.done.push('created secret nnnnn');
    await reportFailure(new RunFailure('Delivering the new secret nnnnn to Talend had no definite answer', { nextRun: 'The next run rotates again.' }), config(), progress, NOW);
    expect(core.setOutput).toHaveBeenCalledWith('result', 'failed');
    expect(core.setOutput).toHaveBeenCalledWith('client-secret', NEW_SECRET);
    const message = vi.mocked(core.error).mock.calls[0]![0] as string;
    expect(message).toMatch(/^Delivering the new secret nnnnn/);
    expect(message).toMatch(/Qlik: this run created secret nnnnn/);
    expect(message).toMatch(/Talend: may hold the new secret nnnnn or its previous one/);
    expect(message).toMatch(/Next run: The next run rotates again\./);
    expect(core.error).toHaveBeenCalledTimes(1);
    expect(vi.mocked(core.error).mock.calls[0]![1]).toEqual({ title: 'Rotation stopped' });
  });

  it('an error that echoes a registered secret never reaches the failure message unscrubbed', async () => {
    registerSecret(NEW_SECRET);
    await reportFailure(new Error(`boom: ${NEW_SECRET}`), config(), undefined, NOW);
    const message = vi.mocked(core.error).mock.calls[0]![0] as string;
    expect(message).toContain('boom: ***');
    expect(message).not.toContain(NEW_SECRET);
    expect(message).toMatch(/Nothing was changed in Qlik or Talend/);
    expect(core.setOutput).toHaveBeenCalledWith('result', 'failed');
  });

  it('never throws: a failing output write still leaves result=failed and one ::error:: (the exit code is the entry point\'s)', async () => {
    vi.stubEnv('GITHUB_STEP_SUMMARY', '/dev/null');
    vi.mocked(core.setOutput).mockImplementation((name) => {
      if (name !== 'result') throw new Error('disk full');
    });
    vi.mocked(core.summary.write).mockRejectedValueOnce(new Error('no summary'));
    await expect(reportFailure(new RunFailure('boom', {}), config(), progressWithNewSecret(), NOW)).resolves.toBeUndefined();
    expect(vi.mocked(core.setOutput)).toHaveBeenCalledWith('result', 'failed');
    expect(vi.mocked(core.error)).toHaveBeenCalledTimes(1);
    vi.mocked(core.setOutput).mockReset();
    vi.unstubAllEnvs();
  });

  it('escapes the failure text in the summary, code block included', async () => {
    vi.stubEnv('GITHUB_STEP_SUMMARY', '/dev/null');
    await reportFailure(new RunFailure('Talend said <script>x</script>', {}), config(), progressWithNewSecret(), NOW);
    const raw = vi.mocked(core.summary.addRaw).mock.calls.map((c) => String(c[0])).join('');
    expect(raw).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(raw).not.toContain('<script>');
    expect(vi.mocked(core.summary.addCodeBlock)).not.toHaveBeenCalled();
    vi.unstubAllEnvs();
  });

  it('targets output: keys and hints a server (or a hand-edited record) chose reach it only when shell-safe', () => {
    const output = targetsOutput([
      { key: 'connection:conn-1', status: 'delivered', holds: { hint: 'ab12c' }, evidence: 'client-id-read-back' },
      { key: 'task:$(touch /tmp/x)', status: 'not-in-inputs', holds: { hint: 'a`b`' } },
      { key: 'qlik-auth:https://api.eu.cloud.talend.example/tmc/qlik', status: 'refused', holds: null },
    ]);
    expect(output).toEqual([
      { target: 'connection:conn-1', status: 'delivered', hint: 'ab12c', confirmed: 'client-id-read-back' },
      { target: null, status: 'not-in-inputs', hint: null, confirmed: null },
      { target: 'qlik-auth:https://api.eu.cloud.talend.example/tmc/qlik', status: 'refused', hint: null, confirmed: null },
    ]);
  });

  it('a summary row per target, its name escaped like every other cell', async () => {
    vi.stubEnv('GITHUB_STEP_SUMMARY', '/dev/null');
    const progress = progressWithNewSecret();
    progress.targets = [...progress.targets, { key: 'task:<img src=x onerror=alert(1)>', status: 'not-in-inputs', holds: { hint: 'aaaaa' } }];
    await reportSuccess('rotated', config(), progress, NOW);
    const rows = vi.mocked(core.summary.addTable).mock.calls[0]![0] as unknown as string[][];
    const targetRows = rows.filter((r) => String(r[0]).startsWith('Target: '));
    expect(targetRows.map((r) => r[0])).toEqual([
      'Target: TMC&#39;s Qlik Cloud Authentication (https://api.eu.cloud.talend.example/tmc/qlik)',
      'Target: task &lt;img src=x onerror=alert(1)&gt;',
    ]);
    expect(targetRows[1]![1]).toBe('not-in-inputs: is not in this run&#39;s inputs; holds aaaaa (kept)');
    vi.unstubAllEnvs();
  });

  it('a dry run shows what each connection and task would get, the secret as ***', () => {
    const cfg = config({ dryRun: true, rotate: 'always', talendConnectionIds: ['conn-1'], talendTaskIds: ['task-1'] });
    const obs = observed(client(), record());
    reportPlan(planRotation(cfg, obs, NOW, 'run'), cfg);
    const lines = vi.mocked(core.info).mock.calls.map((c) => String(c[0]));
    expect(lines).toContain('The delivery would update TMC connection conn-1: client_id = (client ID), client_secret = *** (read first, everything else sent back as read, read back after).');
    expect(lines).toContain('The delivery would update the parameters of task task-1: QLIK_CLIENT_ID = (client ID), QLIK_CLIENT_SECRET = *** (read first, everything else sent back as read, read back after).');
    expect(lines).toContain('The delivery would send: PUT https://api.eu.cloud.talend.example/tmc/qlik');
  });
});
