/**
 * The benchmark's request counts, in `npm test`: each scenario of `npm run bench` runs once (no
 * latency) against the emulator, and its requests must be exactly the ones bench/model.ts says
 * the contract requires (reasoning in bench/MODEL.md). Counts are deterministic; times are not
 * asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { runAction, type ActionRun } from '../../scripts/action-runner.js';
import { MODELS, R, type RequestLabel, compareWithModel, figures, normalise } from '../../bench/model.js';
import { SCENARIOS, type ScenarioId, scenarioInputs } from '../../bench/scenarios.js';

/**
 * Scenarios where the action sends more than the minimum today, with exactly what it sends beyond
 * it, so that the count is still pinned. When the action is fixed this test fails and says so:
 * remove the entry then.
 */
const KNOWN_MISSES: Partial<Record<ScenarioId, { extra: RequestLabel[]; why: string }>> = {};

interface Outcome {
  run: ActionRun;
  labels: RequestLabel[];
  violations: string[];
}
const outcomes = new Map<ScenarioId, Outcome>();
const emulators: Emulator[] = [];

beforeAll(async () => {
  // Concurrently: the rotation with a check waits about 6 s for its polls (timeout-seconds 300).
  await Promise.all(
    SCENARIOS.map(async (s) => {
      const emu = await startEmulator();
      emulators.push(emu);
      s.setup(emu);
      const run = await runAction(scenarioInputs(emu, s));
      const basePath = new URL(emu.talendUrl).pathname.replace(/\/$/, '');
      outcomes.set(s.id, { run, labels: emu.log.map((r) => normalise(r, basePath)), violations: [...emu.violations] });
    }),
  );
}, 30_000);

afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

describe('request counts per benchmark scenario', () => {
  for (const s of SCENARIOS) {
    it(`${s.title}: ${figures(s.id).minTotal} requests, as the contract requires`, () => {
      const o = outcomes.get(s.id) as Outcome;
      expect(o.run.code, o.run.stdout.slice(-2000)).toBe(0);
      expect(o.run.outputs.result).toBe(s.expectResult);
      expect(o.violations).toEqual([]);
      const diff = compareWithModel(
        o.labels,
        MODELS[s.id].requests.map((r) => r.label),
      );
      const known = KNOWN_MISSES[s.id];
      if (known) {
        expect(
          diff,
          `${s.id} no longer sends ${known.extra.join(', ')} beyond the minimum: remove it from KNOWN_MISSES`,
        ).toEqual({ extra: known.extra, missing: [] });
        expect(o.labels).toHaveLength(figures(s.id).minTotal + known.extra.length);
      } else {
        expect(diff).toEqual({ extra: [], missing: [] });
        expect(o.labels).toHaveLength(figures(s.id).minTotal);
      }
    });
  }

  it('the 10,000-client no-op sends as many requests as the 1-client no-op', () => {
    const small = outcomes.get('noop') as Outcome;
    const big = outcomes.get('noop-10k') as Outcome;
    expect(big.labels).toEqual(expect.arrayContaining(small.labels));
    expect(big.labels).toHaveLength(small.labels.length);
  });
});
