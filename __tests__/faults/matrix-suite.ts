/**
 * The fault matrix: every request of a rotation × {500, 503-then-success, 429 Retry-After 1, connection
 * reset, hang past the request timeout, SIGKILL before it takes effect, SIGKILL after it took effect}.
 *
 * Every run delivers to two targets, TMC's setting and a TMC connection (harness.ts), side by
 * side; the connection's own requests (its Read-state GET, its PUT, its read-back) are rows too.
 * Each cell: its own emulator; a clean run creates the client; a `rotate: always` run with
 * timeout-seconds 5 meets the fault; then I1, I7, I5 and convergence (one clean rerun heals, the next
 * run is `unchanged`). The check steps use a task-run check (talend-check-task-id); the create
 * steps (the POST and the re-list that settles a creation race) a fresh tenant.
 * At the end the matrix is printed and written to os.tmpdir().
 *
 * Every cell runs once, against one emulator mode, in a checkerboard: a cell whose row and column
 * numbers add up to an even number meets the lenient emulator, the others the strict one (answers
 * only as Qlik's OpenAPI spec allows). So every step meets every fault, every step and every fault
 * meet both modes, and the matrix costs one pass, not two. `defineMatrix(strict)` defines the
 * cells of one mode; matrix.test.ts and matrix-strict.test.ts are the two halves, run side by side.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Cell,
  FAULTS,
  type Fault,
  KILL_COLUMNS,
  type KillPoint,
  Problems,
  STEPS,
  type Step,
  act,
  actAndKill,
  closeCell,
  describeState,
  expectConvergence,
  expectHonestExit,
  expectNoLeaks,
  expectNothingStranded,
  faultedInputs,
  newCell,
  requestMatches,
  recordOf,
  ruleFor,
} from './harness.js';

/** With QTO_RUNNER=process (every run a child process) cells wait far longer for a free slot. */
const CELL_TIMEOUT_MS = process.env.QTO_RUNNER === 'process' ? 600_000 : 90_000;
const COLUMNS = [...KILL_COLUMNS.map((k) => k.id), ...FAULTS.map((f) => f.id)];

const key = (step: Step, column: string) => `${step.id}|${column}`;

type CellSpec =
  | { name: string; kind: 'fault'; step: Step; fault: Fault }
  | { name: string; kind: 'kill'; step: Step; when: KillPoint; column: string };

/** The checkerboard: which emulator mode a cell meets. */
const isStrictCell = (step: Step, column: string): boolean => (STEPS.indexOf(step) + COLUMNS.indexOf(column)) % 2 === 1;

// Kill cells wait for the killed run's lease to expire (~5 s): start them first so the slow cells
// do not end up last in the queue.
const CELLS: CellSpec[] = [
  ...STEPS.flatMap((step) => KILL_COLUMNS.map((k): CellSpec => ({ name: `${step.id} × ${k.id}`, kind: 'kill', step, when: k.when, column: k.id }))),
  ...STEPS.flatMap((step) => FAULTS.map((fault): CellSpec => ({ name: `${step.id} × ${fault.id}`, kind: 'fault', step, fault }))),
];
const columnOf = (spec: CellSpec): string => (spec.kind === 'kill' ? spec.column : spec.fault.id);

export function defineMatrix(strict: boolean): void {
  const verdicts = new Map<string, 'held' | 'BROKEN'>();
  const outcomes = new Map<string, string>();
  let suiteStartedAt = 0;

  /** Runs a cell on its own emulator; every check is collected, so a failure lists all broken invariants. */
  async function inCell(step: Step, column: string, body: (cell: Cell, problems: Problems) => Promise<void>): Promise<void> {
    verdicts.set(key(step, column), 'BROKEN');
    const cell = await newCell(step.scenario, strict);
    const problems = new Problems();
    try {
      await problems.check('cell', () => body(cell, problems));
      await problems.check('I5', () => expectNoLeaks(cell));
      problems.throwIfAny();
      verdicts.set(key(step, column), 'held');
    } finally {
      await closeCell(cell);
    }
  }

  /** The fault hit the step's request: enough matching requests reached the emulator. */
  function expectFaultFired(cell: Cell, step: Step, mark: number): void {
    const hits = cell.emu.log.slice(mark).filter((r) => requestMatches(cell.emu, step, cell.clientId, r));
    expect(hits.length, `the ${step.label} request (occurrence ${step.occurrence}) was never sent, so the fault never fired`).toBeGreaterThanOrEqual(step.occurrence);
  }

  async function faultCell(step: Step, fault: Fault): Promise<void> {
    await inCell(step, fault.id, async (cell, problems) => {
      cell.emu.fault(ruleFor(step, cell.clientId, fault.action, { times: fault.times }));
      const mark = cell.emu.log.length;
      const run = await act(cell, faultedInputs(cell));
      const clientId = cell.clientId || cell.emu.clients()[0]?.clientId;
      const lease = clientId ? recordOf(cell.emu, clientId)?.lease : null;
      const leaseLeft = lease && Date.parse(lease.expiresAt) > Date.now() ? ' +lease' : '';
      outcomes.set(key(step, fault.id), `${run.code === 0 ? (run.outputs.result ?? '?') : 'failed'}${leaseLeft}`);
      await problems.check('fault fired', () => expectFaultFired(cell, step, mark));
      await problems.check('I1', () => expectNothingStranded(cell.emu, `after ${step.id} × ${fault.id}`));
      await problems.check('I7', () => expectHonestExit(cell, run, step.scenario === 'create' ? 'created' : 'rotated'));
      await problems.check('convergence', () => expectConvergence(cell, run.startedAt));
    });
  }

  async function killCell(step: Step, when: KillPoint, column: string): Promise<void> {
    await inCell(step, column, async (cell, problems) => {
      // The request is held open: `before` it has no effect, `after` it took effect. The kill comes
      // when the emulator sees it ('received') or has carried it out ('done').
      cell.emu.fault(ruleFor(step, cell.clientId, { hang: true }, { when, times: 1 }));
      const run = await actAndKill(cell, step, when, faultedInputs(cell));
      outcomes.set(key(step, column), run.signal === 'SIGKILL' ? 'killed' : `exit ${run.code}`);
      expect(run.signal, `the run was not killed at ${step.label}: it ended with ${run.code} (${run.outputs.result}). State: ${describeState(cell.emu)}`).toBe('SIGKILL');
      await problems.check('I1', () => expectNothingStranded(cell.emu, `after SIGKILL ${when} ${step.id}`));
      await problems.check('convergence', () => expectConvergence(cell, run.startedAt));
    });
  }

  beforeAll(() => {
    suiteStartedAt = Date.now();
  });

  afterAll(() => {
    const seconds = ((Date.now() - suiteStartedAt) / 1000).toFixed(1);
    const width = Math.max(...STEPS.map((s) => s.id.length)) + 2;
    const col = (s: string) => s.padEnd(13);
    const table = (title: string, cellOf: (step: Step, column: string) => string) =>
      [
        title,
        `${''.padEnd(width)}${COLUMNS.map(col).join('')}`,
        ...STEPS.map((step) => `${step.id.padEnd(width)}${COLUMNS.map((c) => col(cellOf(step, c))).join('')}`),
      ].join('\n');
    const all = [...verdicts.values()];
    const other = strict ? '(lenient)' : '(strict)';
    const text = [
      table(
        `Fault matrix, the ${strict ? 'strict' : 'lenient'} half of the checkerboard (held = I1, I7, I5, no violations and convergence all passed):`,
        (s, c) => verdicts.get(key(s, c)) ?? (isStrictCell(s, c) === strict ? 'not run' : other),
      ),
      '',
      table('Exit of the faulted run (informational; +lease = a live lease was left behind):', (s, c) => outcomes.get(key(s, c)) ?? '-'),
      '',
      `cells: ${all.length} (held ${all.filter((v) => v === 'held').length}, BROKEN ${all.filter((v) => v === 'BROKEN').length}); ` +
        `of ${STEPS.length * COLUMNS.length} in the whole matrix; duration ${seconds} s`,
    ].join('\n');
    const file = join(tmpdir(), `qlik-talend-oauth-fault-matrix${strict ? '-strict' : ''}.txt`);
    writeFileSync(file, `${text}\n`);
    console.log(`${text}\nwritten to ${file}`);
  });

  describe.concurrent(`fault matrix (${strict ? 'strict' : 'lenient'} Qlik)`, () => {
    it.each(CELLS.filter((spec) => isStrictCell(spec.step, columnOf(spec)) === strict))('$name', async (spec) => {
      if (spec.kind === 'fault') await faultCell(spec.step, spec.fault);
      else await killCell(spec.step, spec.when, spec.column);
    }, CELL_TIMEOUT_MS);
  });
}
