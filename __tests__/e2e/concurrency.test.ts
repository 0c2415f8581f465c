/**
 * Two runs started together on the same tenant. Qlik has no compare-and-swap, so the README
 * requires a `concurrency:` group; this shows what the lease (and the creation-race check) add:
 * one run proceeds, the other fails without changing anything, nothing is stranded, and one clean
 * rerun converges.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { secretsAnyTargetMayHold } from '../../src/core/holdings.js';
import { parseDescription } from '../../src/core/record.js';
import { type ActionRun, baseInputs, leaksIn, runAction } from '../../scripts/action-runner.js';

let emu: Emulator;
beforeEach(async () => {
  emu = await startEmulator();
});
afterEach(async () => {
  expect(emu.violations).toEqual([]);
  await emu.close();
});

function expectNothingStranded() {
  for (const c of emu.clients()) {
    const record = parseDescription(c.description).record;
    const hints = c.clientSecrets.map((s) => s.hint);
    if (record) for (const ref of secretsAnyTargetMayHold(record.targets)) expect(hints).toContain(ref.hint);
  }
  const pair = emu.talendPair();
  if (pair) expect(emu.client(pair.clientId)?.clientSecrets.map((s) => s.secret)).toContain(pair.clientSecret);
}

async function together(extra: Record<string, string>): Promise<ActionRun[]> {
  const inputs = { ...baseInputs(emu), ...extra };
  const runs = await Promise.all([runAction(inputs), runAction(inputs)]);
  for (const run of runs) {
    expect(leaksIn(run, emu.issuedSecrets())).toEqual([]);
    if (run.code !== 0) {
      expect(run.outputs.result).toBe('failed');
      expect(run.stdout).toMatch(/changed nothing|Nothing was changed/);
    }
  }
  return runs;
}

describe('two runs at once', () => {
  it.each([1, 2, 3])('on a fresh tenant: one client survives, Talend holds a working pair (round %i)', async () => {
    const runs = await together({});
    expect(runs.filter((r) => r.outputs.result === 'created').length).toBeLessThanOrEqual(1);
    expect(runs.some((r) => r.code === 0)).toBe(true);
    expect(emu.clients()).toHaveLength(1);
    expectNothingStranded();
    const rerun = await runAction(baseInputs(emu));
    expect(rerun.code).toBe(0);
    expect(['unchanged', 'rotated']).toContain(rerun.outputs.result);
    expect((await runAction(baseInputs(emu))).outputs.result).toBe('unchanged');
    expect(emu.talendPair()?.clientId).toBe(emu.clients()[0]!.clientId);
  });

  it.each([1, 2, 3])('forcing a rotation: the lease lets one proceed at a time (round %i)', async () => {
    expect((await runAction(baseInputs(emu))).outputs.result).toBe('created');
    const runs = await together({ rotate: 'always' });
    const results = runs.map((r) => r.outputs.result).sort();
    expect([['failed', 'rotated'], ['rotated', 'rotated']]).toContainEqual(results);
    expectNothingStranded();
    const rerun = await runAction(baseInputs(emu));
    expect(rerun.code).toBe(0);
    expectNothingStranded();
    expect(emu.clients()[0]!.clientSecrets).toHaveLength(1);
    expect((await runAction(baseInputs(emu))).outputs.result).toBe('unchanged');
  });
});
