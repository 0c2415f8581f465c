/**
 * Most suites run the bundle in a worker thread (scripts/action-runner.ts, `as: 'thread'`) because a
 * child process costs six times the CPU. This file holds the two ways to the same results, so the
 * cheaper one is a faithful stand-in for what the runner starts: the same exit code, outputs, job
 * summary and log (with random IDs, hints, secrets and timings made equal), the same answer to a
 * kill in the middle of a run, and the same failure when an input is wrong.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { type ActionRun, type RunHandle, type RunnerKind, baseInputs, leaksIn, runAction } from '../../scripts/action-runner.js';

const KINDS: RunnerKind[] = ['process', 'thread'];
const emulators: Emulator[] = [];
afterEach(async () => {
  for (const emu of emulators.splice(0)) {
    expect(emu.violations).toEqual([]);
    await emu.close();
  }
});

async function emulator(): Promise<Emulator> {
  const emu = await startEmulator();
  emulators.push(emu);
  return emu;
}

/** The text with what differs from run to run (URLs, IDs, hints, secrets, times, counts) made equal. */
function normalised(text: string, emu: Emulator): string {
  return text
    .split(emu.qlikUrl)
    .join('<qlik>')
    .split(emu.talendUrl)
    .join('<talend>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .replace(/[0-9a-f]{5,}/g, '<id>')
    .replace(/\d+(\.\d+)?/g, '<n>');
}

async function bothWays(prepare: (emu: Emulator) => void | Promise<void>, inputs: (emu: Emulator) => Record<string, string>) {
  const results: Array<{ run: ActionRun; emu: Emulator }> = [];
  for (const as of KINDS) {
    const emu = await emulator();
    await prepare(emu);
    const run = await runAction(inputs(emu), { as });
    expect(leaksIn(run, emu.issuedSecrets())).toEqual([]);
    results.push({ run, emu });
  }
  return results;
}

describe('a run in a thread is what the runner sees of a process', () => {
  it('rotates: same exit, outputs, summary and log', async () => {
    const [first, second] = await bothWays(
      async (emu) => {
        const setup = await runAction(baseInputs(emu), { as: 'process' });
        expect(setup.outputs.result).toBe('created');
      },
      (emu) => ({ ...baseInputs(emu), rotate: 'always' }),
    );
    for (const { run } of [first!, second!]) {
      expect(run.code).toBe(0);
      expect(run.signal).toBeNull();
      expect(run.outputs.result).toBe('rotated');
    }
    const [p, t] = [first!, second!];
    expect(Object.keys(t.run.outputs)).toEqual(Object.keys(p.run.outputs));
    expect(normalised(t.run.summary, t.emu)).toBe(normalised(p.run.summary, p.emu));
    // The same log lines; in the same order, but for the debug lines of requests the action sends
    // concurrently (the token revocation overlaps the record write), whose order is the network's.
    const logOf = ({ run, emu }: { run: ActionRun; emu: Emulator }) => normalised(run.maskedLog, emu).split('\n');
    expect([...logOf(t)].sort()).toEqual([...logOf(p)].sort());
    const ordered = (lines: string[]) => lines.filter((l) => !l.startsWith('::debug::'));
    expect(ordered(logOf(t))).toEqual(ordered(logOf(p)));
    expect(t.run.masks.length).toBe(p.run.masks.length);
    expect(t.run.stderr).toBe(p.run.stderr);
  });

  it('fails the same way on a bad input: exit 1, one ::error::, result failed, no request', async () => {
    const [p, t] = await bothWays(
      () => {},
      (emu) => ({ ...baseInputs(emu), 'timeout-seconds': 'soon' }),
    );
    for (const { run, emu } of [p!, t!]) {
      expect(run.code).toBe(1);
      expect(run.outputs.result).toBe('failed');
      expect(emu.log).toEqual([]);
    }
    expect(t!.run.stdout.match(/^::error.*$/gm)).toEqual(p!.run.stdout.match(/^::error.*$/gm));
  });

  it('a thread keeps nothing of the run before it: inputs, exit code, outputs', async () => {
    const emu = await emulator();
    const refused = await runAction({ ...baseInputs(emu), 'client-name': 'Left over', 'dry-run': 'true', 'timeout-seconds': 'soon' }, { as: 'thread', freshThread: true });
    expect(refused.code).toBe(1);
    // The next runs in the same thread have none of those inputs, and exit 0 with their own outputs.
    const created = await runAction(baseInputs(emu), { as: 'thread' });
    const again = await runAction(baseInputs(emu), { as: 'thread' });
    expect([created.thread, again.thread]).toEqual([refused.thread, refused.thread]);
    expect(created.code).toBe(0);
    expect(created.outputs.result).toBe('created');
    expect(emu.clients().map((c) => c.clientName)).toEqual(['Talend Management Console']);
    expect(again.outputs.result).toBe('unchanged');
    expect(again.outputs['client-secret']).toBe('');
  });

  describe('a run that does not end by itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qto-parity-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const module = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };

    it('a top-level await that can never settle: exit 13 both ways', async () => {
      const bundle = module('unsettled.mjs', 'await new Promise(() => {});\n');
      for (const as of KINDS) {
        const run = await runAction({}, { as, bundle });
        expect(run.code, as).toBe(13);
        expect(run.stderr, as).toMatch(/unsettled top-level await/);
      }
    });

    it('a timer left running: the process never exits, and the thread run fails its test', async () => {
      const bundle = module('lingering.mjs', "setInterval(() => {}, 1000);\nconsole.log('done');\n");
      const asProcess = await runAction({}, { as: 'process', bundle, killAfterMs: 2000 });
      expect(asProcess.signal).toBe('SIGKILL');
      await expect(runAction({}, { as: 'thread', bundle, lingerLimitMs: 500 })).rejects.toThrow(/Timeout still open after 500 ms/);
    });
  });

  it('a kill mid-run stops it on the spot both ways: no more requests, the lease stays', async () => {
    for (const as of KINDS) {
      const emu = await emulator();
      expect((await runAction(baseInputs(emu), { as: 'process' })).outputs.result).toBe('created');
      // Hold the secret creation open and kill the run when the emulator has it.
      emu.fault({ service: 'qlik', method: 'POST', path: `/api/v1/oauth-clients/${emu.clients()[0]!.clientId}/client-secrets`, action: { hang: true }, times: 1 });
      let handle: RunHandle | undefined;
      let seenAt = -1;
      const off = emu.onRequest((r, phase) => {
        if (phase === 'received' && r.method === 'POST' && r.path.endsWith('/client-secrets') && seenAt < 0) {
          seenAt = emu.log.length;
          handle?.kill('SIGKILL');
        }
      });
      const run = await runAction({ ...baseInputs(emu), rotate: 'always' }, { as, onSpawn: (h) => (handle = h) });
      off();
      expect(run.signal, as).toBe('SIGKILL');
      expect(run.code, as).toBeNull();
      // What it printed before the kill is kept, and it sent nothing after it.
      expect(run.stdout, as).toContain('::add-mask::');
      await new Promise((r) => setTimeout(r, 300));
      expect(emu.log.length, as).toBe(seenAt);
      expect(emu.clients()[0]!.description, as).toMatch(/lease/i);
    }
  });
});
