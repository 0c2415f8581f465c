/**
 * Chains of failed rotations, each run with timeout-seconds 5 against the state the previous one
 * left: unknown delivery outcomes (Talend may or may not hold the new secret), refused deliveries,
 * and failed compensation (the delete of an undelivered secret). After every run: I1 (never delete a
 * secret Talend may hold), I7 and I5; at the end one clean run converges and the next is `unchanged`.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../emulator/index.js';
import {
  type Cell,
  FAULT_TIMEOUT_SECONDS,
  Problems,
  act,
  closeCell,
  describeState,
  errorText,
  expectConvergence,
  expectHonestExit,
  expectNoLeaks,
  expectNothingStranded,
  faultedInputs,
  newCell,
  recordOf,
  waitForLeaseExpiry,
} from './harness.js';

const CHAIN_TIMEOUT_MS = 90_000;
const PUT = '/tmc/qlik-cloud-authentication';
const verdicts = new Map<string, 'held' | 'BROKEN'>();
let suiteStartedAt = 0;

type Link = 'unknown(stored)' | 'unknown(not stored)' | 'refused' | 'refused, cleanup DELETE took effect unanswered' | 'refused, cleanup DELETE failed' | 'verify rejected, cleanup DELETE failed';

const secretsPath = (cell: Cell) => `/api/v1/oauth-clients/${cell.clientId}/client-secrets/*`;

function rulesFor(cell: Cell, link: Link): FaultRule[] {
  const refuse: FaultRule = { service: 'talend', method: 'PUT', path: PUT, times: Infinity, action: { status: 400, body: { status: 400, message: 'Qlik Cloud connection failed' } } };
  switch (link) {
    case 'unknown(stored)':
      // TMC stores the pair on every attempt, but no answer arrives before the deadline.
      return [{ service: 'talend', method: 'PUT', path: PUT, when: 'after', times: Infinity, action: { hang: true } }];
    case 'unknown(not stored)':
      return [{ service: 'talend', method: 'PUT', path: PUT, when: 'before', times: Infinity, action: { hang: true } }];
    case 'refused':
      return [refuse];
    case 'refused, cleanup DELETE took effect unanswered':
      return [refuse, { service: 'qlik', method: 'DELETE', path: secretsPath(cell), when: 'after', times: Infinity, action: { hang: true } }];
    case 'refused, cleanup DELETE failed':
      return [refuse, { service: 'qlik', method: 'DELETE', path: secretsPath(cell), times: Infinity, action: { status: 500 } }];
    case 'verify rejected, cleanup DELETE failed':
      return [
        { service: 'qlik', method: 'POST', path: '/oauth/token', times: Infinity, action: { status: 401, body: { error: 'invalid_client' } } },
        { service: 'qlik', method: 'DELETE', path: secretsPath(cell), times: Infinity, action: { status: 500 } },
      ];
  }
}

/** What each kind of failed run must leave behind, beyond nothing stranded (I1) and honest exit (I7): the Verify, Deliver and Check steps of docs/protocol.md. */
async function expectLinkOutcome(
  problems: Problems,
  where: string,
  cell: Cell,
  link: Link,
  run: Awaited<ReturnType<typeof act>>,
  before: { pair: ReturnType<Cell['emu']['talendPair']>; hints: string[] },
): Promise<void> {
  const { emu } = cell;
  const state = describeState(emu);
  const client = emu.client(cell.clientId)!;
  // client-secret is empty when the run deleted its new secret again, so creation is read from the log.
  const newSecret = run.outputs['client-secret'];
  const created = emu.log.filter((r) => r.method === 'POST' && r.path.split('?')[0]!.endsWith('/client-secrets') && r.status === 201 && r.at >= run.startedAt);
  await problems.check(`new secret ${where}`, () => expect(created, `the run created no new secret (result ${run.outputs.result}). State: ${state}`).toHaveLength(1));
  if (!newSecret) {
    await problems.check(`client-secret output ${where}`, () => {
      expect(errorText(run), `client-secret is empty, so the run must say it deleted the new secret. State: ${state}`).toMatch(/was deleted/);
      expect(client.clientSecrets.map((x) => x.hint).filter((h) => !before.hints.includes(h)), `client-secret is empty but a new secret is still in Qlik. State: ${state}`).toEqual([]);
    });
  }
  const meta = newSecret ? client.clientSecrets.find((s) => s.secret === newSecret) : undefined;
  const pending = recordOf(emu, cell.clientId)?.targets.flatMap((t) => t.pending.map((p) => p.hint)) ?? [];
  const errors = errorText(run);
  await problems.check(`I7 ${where}`, () => expect(run.code, `a ${link} run must fail (I7). State: ${state}`).not.toBe(0));
  if (link === 'unknown(stored)' || link === 'unknown(not stored)') {
    await problems.check(`step 6 ${where}`, () => {
      // No definite answer by the deadline: delete nothing, leave it in pending.
      expect(meta, `step 6: the new secret of an unknown delivery was deleted. State: ${state}`).toBeDefined();
      expect(pending, `step 6: the new secret ${meta!.hint} of an unknown delivery is not recorded as pending. State: ${state}`).toContain(meta!.hint);
      if (link === 'unknown(stored)') expect(emu.talendPair()?.clientSecret, 'the emulated TMC stored the pair').toBe(newSecret);
      else expect(emu.talendPair(), 'TMC did not store the pair').toEqual(before.pair);
    });
    return;
  }
  // Talend refused (or never got) the pair: it holds what it held.
  await problems.check(`Talend unchanged ${where}`, () => expect(emu.talendPair(), `Talend's pair changed on a ${link} run. State: ${state}`).toEqual(before.pair));
  if (meta) {
    // The compensating delete failed and the secret still exists: the error must not claim it was deleted.
    await problems.check(`step 9 / I7 honest report ${where}`, () =>
      expect(errors, `the new secret ${meta.hint} still exists in Qlik, but the ::error:: says it was deleted: "${errors.split('\n')[0]}". State: ${state}`).not.toMatch(/was deleted/),
    );
  }
  if (link !== 'verify rejected, cleanup DELETE failed') {
    // A definite refusal: Talend does not hold the new secret, so it is not pending any more (pending
    // is for deliveries whose outcome is unknown); only hints older than this run may be.
    const added = pending.filter((h) => !before.hints.includes(h));
    await problems.check(`step 6 ${where}`, () =>
      expect(added, `after Talend refused it, the new secret is still recorded as pending ("Talend may hold it"). State: ${state}`).toEqual([]),
    );
  }
}

async function chain(name: string, links: Link[]): Promise<void> {
  verdicts.set(name, 'BROKEN');
  const cell = await newCell('rotate');
  const problems = new Problems();
  try {
    let lastStart = Date.now();
    for (const [i, link] of links.entries()) {
      const { emu } = cell;
      emu.clearFaults();
      await waitForLeaseExpiry(cell, lastStart, FAULT_TIMEOUT_SECONDS);
      const before = { pair: emu.talendPair(), hints: emu.client(cell.clientId)!.clientSecrets.map((x) => x.hint) };
      for (const rule of rulesFor(cell, link)) emu.fault(rule);
      const run = await act(cell, faultedInputs(cell));
      lastStart = run.startedAt;
      const where = `after run ${i + 1} (${link})`;
      await problems.check(`I1 ${where}`, () => expectNothingStranded(emu, where));
      await problems.check(`I7 ${where}`, () => expectHonestExit(cell, run, 'rotated'));
      await expectLinkOutcome(problems, where, cell, link, run, before);
    }
    await problems.check('convergence', () => expectConvergence(cell, lastStart));
    await problems.check('I5', () => expectNoLeaks(cell));
    problems.throwIfAny();
    verdicts.set(name, 'held');
  } finally {
    await closeCell(cell);
  }
}

// Names stay short: vitest cuts long test names in its summary.
const CHAINS: { name: string; links: Link[] }[] = [
  // The brief's chain: TMC stored the pair but no answer came; then TMC refuses; then a clean run.
  { name: 'unknown(stored) → refused → clean', links: ['unknown(stored)', 'refused'] },
  { name: 'unknown(not stored) → refused → clean', links: ['unknown(not stored)', 'refused'] },
  { name: 'unknown(stored) ×2 → refused → clean', links: ['unknown(stored)', 'unknown(stored)', 'refused'] },
  // Compensation faults: the delete of the undelivered secret took effect unanswered, or failed.
  { name: 'refused, DELETE lost answer → clean', links: ['refused, cleanup DELETE took effect unanswered'] },
  { name: 'refused, DELETE 500 → clean', links: ['refused, cleanup DELETE failed'] },
  { name: 'verify 401, DELETE 500 → clean', links: ['verify rejected, cleanup DELETE failed'] },
];

beforeAll(() => {
  suiteStartedAt = Date.now();
});

afterAll(() => {
  const seconds = ((Date.now() - suiteStartedAt) / 1000).toFixed(1);
  const text = ['Fault chains:', ...CHAINS.map((c) => `  ${(verdicts.get(c.name) ?? 'not run').padEnd(8)} ${c.name}`), `chains: ${CHAINS.length}; duration ${seconds} s`].join('\n');
  const file = join(tmpdir(), 'qlik-talend-oauth-fault-chains.txt');
  writeFileSync(file, `${text}\n`);
  console.log(`${text}\nwritten to ${file}`);
});

describe.concurrent('fault chains', () => {
  it.each(CHAINS)('$name', async ({ name, links }) => {
    await chain(name, links);
  }, CHAIN_TIMEOUT_MS);
});
