/**
 * What every journey suite shares: a journey runs the bundled action as the runner runs it
 * (scripts/action-runner.ts) against its own emulator, in the mode of the suite being defined,
 * concurrently with the others; afterwards I5 holds for every run it made and the emulator saw no
 * credential-handling violation.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { secretsAnyTargetMayHold } from '../../src/core/holdings.js';
import { parseDescription } from '../../src/core/record.js';
import { type ActionRun, baseInputs, leaksIn, runAction } from '../../scripts/action-runner.js';

export const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** What one journey works on; journeys run concurrently, each with its own. */
interface Journey {
  /** The emulator mode, fixed when the journey was defined. */
  strict: boolean;
  emu: Emulator;
  runs: ActionRun[];
  /** The emulated Qlik's clock runs this far behind, so a secret can be created "days ago". */
  clockOffsetMs: number;
}
const journeys = new AsyncLocalStorage<Journey>();
/** The journey the calling code belongs to. */
export const J = (): Journey => journeys.getStore()!;
export const DAY = 86_400_000;
/** The emulator mode of the journeys being defined (each journey keeps its own copy). */
let definingStrict = false;

/** The emulator mode of the journeys defined from now on. */
export function defining(strict: boolean): void {
  definingStrict = strict;
}

/**
 * A journey: its own emulator (in this file's mode), concurrent with the others; afterwards I5 on
 * every run it made and no credential-handling violation on the wire.
 */
export function journey(name: string, body: () => Promise<void>, timeoutMs?: number): void {
  const strict = definingStrict;
  it.concurrent(
    name,
    async () => {
      const j: Journey = { strict, emu: undefined as unknown as Emulator, runs: [], clockOffsetMs: 0 };
      j.emu = await startEmulator({ strict, now: () => Date.now() - j.clockOffsetMs });
      try {
        await journeys.run(j, body);
        for (const run of j.runs) expect(leaksIn(run, j.emu.issuedSecrets())).toEqual([]);
        expect(j.emu.violations).toEqual([]);
      } finally {
        await j.emu.close();
      }
    },
    timeoutMs,
  );
}

export async function act(extra: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction({ ...baseInputs(J().emu), ...extra }, { env });
  J().runs.push(run);
  return run;
}

export function only<T>(xs: T[]): T {
  expect(xs).toHaveLength(1);
  return xs[0]!;
}

/** I1: every secret Talend may hold exists in Qlik, and the pair Talend holds works. */
export function expectNothingStranded(clientId: string) {
  const c = J().emu.client(clientId)!;
  const record = parseDescription(c.description).record;
  const hints = c.clientSecrets.map((s) => s.hint);
  if (record) for (const ref of secretsAnyTargetMayHold(record.targets)) expect(hints).toContain(ref.hint);
  const pair = J().emu.talendPair();
  if (pair) expect(c.clientSecrets.map((s) => s.secret)).toContain(pair.clientSecret);
}

