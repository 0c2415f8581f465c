/**
 * Two targets, two outcomes: one target takes the new secret while the other refuses it, or gives
 * no answer until the deadline. After the run: an honest failure (I7), nothing any target may hold
 * deleted (I1), the accepting target recorded as holding the new secret, and convergence (one clean
 * rerun delivers to both, the next is `unchanged`). The matrix (matrix-suite.ts) covers every
 * request with two targets; these are the outcomes a matrix fault never produces, since its faults
 * end (times: 1) before the deadline.
 */
import { describe, expect, it } from 'vitest';
import type { FaultAction } from '../../emulator/index.js';
import {
  CONNECTION,
  Problems,
  act,
  closeCell,
  expectConvergence,
  expectHonestExit,
  expectNoLeaks,
  expectNothingStranded,
  faultedInputs,
  heldPairs,
  newCell,
  recordOf,
} from './harness.js';

const TMC_PATH = '/tmc/qlik-cloud-authentication';
const CONNECTION_PATH = `/orchestration/connections/${CONNECTION}`;
const refuse = (status: number): FaultAction => ({ status, body: { status, message: 'refused by the test' } });

const CASES: { name: string; faults: { path: string; action: FaultAction }[]; takes: ('tmc' | 'connection')[]; strict: boolean }[] = [
  { name: "TMC's setting refuses (400), the connection takes it", faults: [{ path: TMC_PATH, action: refuse(400) }], takes: ['connection'], strict: false },
  { name: "the connection refuses (409), TMC's setting takes it", faults: [{ path: CONNECTION_PATH, action: refuse(409) }], takes: ['tmc'], strict: true },
  { name: "the connection hangs to the deadline, TMC's setting takes it", faults: [{ path: CONNECTION_PATH, action: { hang: true } }], takes: ['tmc'], strict: false },
  { name: "TMC's setting hangs to the deadline, the connection takes it", faults: [{ path: TMC_PATH, action: { hang: true } }], takes: ['connection'], strict: true },
  { name: 'both refuse', faults: [{ path: TMC_PATH, action: refuse(400) }, { path: CONNECTION_PATH, action: refuse(409) }], takes: [], strict: false },
];

describe.concurrent('two targets, one takes the secret and the other does not', () => {
  it.each(CASES)('$name', async ({ faults, takes, strict }) => {
    const cell = await newCell('rotate', strict);
    const problems = new Problems();
    try {
      const before = recordOf(cell.emu, cell.clientId)!.targets.map((t) => t.delivered?.hint);
      for (const f of faults) cell.emu.fault({ service: 'talend', method: 'PUT', path: f.path, times: Number.POSITIVE_INFINITY, action: f.action });
      const run = await act(cell, faultedInputs(cell));
      expect(run.code, 'the run must fail: not every target took the new secret').not.toBe(0);
      await problems.check('I7', () => expectHonestExit(cell, run, 'rotated'));
      await problems.check('I1', () => expectNothingStranded(cell.emu, 'after the mixed outcome'));
      await problems.check('record', () => {
        const fresh = run.outputs['client-secret'];
        const hintOf = (secret: string | undefined) => cell.emu.client(cell.clientId)!.clientSecrets.find((s) => s.secret === secret)?.hint;
        const record = recordOf(cell.emu, cell.clientId)!;
        const at = (kind: string) => record.targets.find((t) => t.key.startsWith(kind));
        const held = Object.fromEntries(heldPairs(cell.emu).map((h) => [h.target.startsWith('connection') ? 'connection' : 'tmc', h.pair?.clientSecret]));
        for (const kind of ['tmc', 'connection'] as const) {
          const entry = at(kind === 'tmc' ? 'qlik-auth:' : 'connection:')!;
          if (takes.includes(kind)) {
            expect(held[kind], `${kind} holds the new secret`).toBe(fresh);
            expect(entry.delivered?.hint, `${kind} is recorded as holding the new secret`).toBe(hintOf(fresh));
          } else {
            // It holds what it held, and the record still says so.
            expect(entry.delivered?.hint, `${kind} is recorded as holding its old secret`).toBe(before[0]);
            expect(hintOf(held[kind]), `${kind}'s old secret still exists`).toBe(before[0]);
          }
        }
        // The new secret is kept while any target holds (or may hold) it; deleted when all refused.
        expect(Boolean(hintOf(fresh)), 'the new secret exists exactly when some target may hold it').toBe(takes.length > 0 || faults.some((f) => 'hang' in f.action));
      });
      await problems.check('convergence', () => expectConvergence(cell, run.startedAt));
      await problems.check('I5', () => expectNoLeaks(cell));
      problems.throwIfAny();
    } finally {
      await closeCell(cell);
    }
  }, process.env.QTO_RUNNER === 'process' ? 600_000 : 90_000);
});
