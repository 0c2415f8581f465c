import { describe, expect, it } from 'vitest';
import {
  type DeliveryAnswer,
  type DeliveryResult,
  type TargetState,
  afterAllStored,
  afterDelivery,
  commonHolding,
  confirmedByCheck,
  deletableByHint,
  generatedDuringRepair,
  heldNowhere,
  knownHeld,
  knownHolding,
  mayDeleteUndelivered,
  retireAfterDelivery,
  secretsAnyTargetMayHold,
  secretsToMakeRoom,
  settleDeliveries,
  talendMayHold,
  targetsBefore,
  withNewPending,
  withoutPending,
} from '../../src/core/holdings.js';
import type { SecretRef } from '../../src/core/secret-ref.js';
import type { Target } from '../../src/core/targets.js';
import { TMC_KEY, daysAgo, record, secret } from './fixtures.js';

const tmc: Target = { kind: 'qlik-auth', key: TMC_KEY, url: 'https://api.eu.cloud.talend.example/tmc/qlik' };
const conn: Target = { kind: 'connection', key: 'connection:c1', id: 'c1', names: { clientId: 'client_id', clientSecret: 'client_secret' } };
const task: Target = { kind: 'task', key: 'task:t1', id: 't1', names: { clientId: 'ID', clientSecret: 'SECRET' } };
const OLD = { hint: 'aaaaa', createdAt: daysAgo(10) };
const NEW = { hint: 'nnnnn', createdAt: daysAgo(0) };
const GONE = { hint: 'ggggg', createdAt: daysAgo(5) };

describe('withNewPending (the Record pending step)', () => {
  it('puts the new secret pending at every target, a new one included, and drops pending secrets gone from Qlik', () => {
    const r = withNewPending(record({ pending: [GONE] }), [tmc, conn], NEW, [OLD, NEW]);
    expect(r.targets).toEqual([
      { key: 'connection:c1', delivered: null, pending: [NEW] },
      { key: TMC_KEY, delivered: OLD, pending: [NEW] },
    ]);
  });
});

describe('settleDeliveries (the Deliver step, several targets)', () => {
  const pending = withNewPending(record(), [tmc, conn, task], NEW, [OLD, NEW]);
  const before = [
    { key: TMC_KEY, status: 'holds' as const, holds: OLD },
    { key: 'connection:c1', status: 'unknown' as const, holds: null },
    { key: 'task:t1', status: 'unknown' as const, holds: null },
  ];

  it('stored, refused and unanswered: each target recorded on its own, the delivery partial, each failure named', () => {
    const settled = settleDeliveries(
      pending,
      [
        { target: tmc, result: { outcome: 'refused', status: 400, message: 'no' } },
        { target: conn, result: { outcome: 'stored', evidence: 'answer-only', warnings: ['w'] } },
        { target: task, result: { outcome: 'unknown', detail: 'timeout' } },
      ],
      NEW,
      before,
    );
    expect(settled.delivery).toBe('partial');
    expect(settled.record.targets).toEqual([
      { key: 'connection:c1', delivered: NEW, pending: [] },
      { key: TMC_KEY, delivered: OLD, pending: [] },
      { key: 'task:t1', delivered: null, pending: [NEW] },
    ]);
    expect(settled.states.map((s) => [s.key, s.status, s.holds?.hint ?? null])).toEqual([
      [TMC_KEY, 'refused', 'aaaaa'],
      ['connection:c1', 'delivered', 'nnnnn'],
      ['task:t1', 'unknown', null],
    ]);
    expect(settled.failures).toEqual([
      "TMC's Qlik Cloud Authentication (https://api.eu.cloud.talend.example/tmc/qlik): HTTP 400: no",
      'task t1: no definite answer (timeout)',
    ]);
    expect(settled.warnings).toEqual(['w']);
  });

  const stored: DeliveryResult = { outcome: 'stored', evidence: 'answer-only', warnings: [] };
  const cases: [string, DeliveryResult[]][] = [
    ['stored', [stored, stored]],
    ['refused', [{ outcome: 'refused', status: 409 }, { outcome: 'refused', message: 'nothing was sent' }]],
    ['unknown', [{ outcome: 'refused', status: 409 }, { outcome: 'unknown', detail: 'reset' }]],
  ];
  it.each(cases)('every answer alike, or refusals with no answer: %s', (kind, results) => {
    const answers = [tmc, conn].map((target, i): DeliveryAnswer => ({ target, result: results[i]! }));
    expect(settleDeliveries(pending, answers, NEW, before).delivery).toBe(kind);
  });

  it('one target: its failure is not prefixed with its name', () => {
    expect(settleDeliveries(pending, [{ target: tmc, result: { outcome: 'unknown', detail: 'no answer' } }], NEW, before).failures).toEqual(['no answer']);
  });
});

/**
 * Each rule of "Nothing stranded (I1)" in docs/protocol.md that decides what a target holds or which
 * secret may go, by the words the protocol uses.
 */
describe('I1 nothing stranded: what Talend may hold', () => {
  const CONN = 'connection:c1';
  const secrets = [secret('aaaaa', 10), secret('bbbbb', 5), secret('ccccc', 1)];
  const byHint = (hint: string) => secrets.find((x) => x.hint === hint) ?? secret(hint, 3);
  const held = (key: string, hint: string, pending: SecretRef[] = []) => ({ key, delivered: byHint(hint), pending });

  it('with a readable record: every target\'s delivered plus every pending, targets the inputs no longer name included', () => {
    const r = record({ targets: [held(TMC_KEY, 'aaaaa', [secrets[2]!]), held('connection:gone', 'bbbbb')] });
    expect(talendMayHold(r, secrets, [TMC_KEY])).toEqual(secrets);
    expect(secretsAnyTargetMayHold(r.targets).map((s) => s.hint)).toEqual(['aaaaa', 'ccccc', 'bbbbb']);
  });

  it('with no record, or one started on an unknown holder: any secret', () => {
    expect(talendMayHold(null, secrets, [TMC_KEY])).toBe('any');
    expect(talendMayHold(record({ unknownHolder: true }), secrets, [TMC_KEY])).toBe('any');
  });

  it('a configured target the record does not know yet: any secret', () => {
    expect(talendMayHold(record(), secrets, [TMC_KEY, CONN])).toBe('any');
  });

  it('a recorded target with nothing delivered: any secret', () => {
    expect(talendMayHold(record({ targets: [held(TMC_KEY, 'aaaaa'), { key: CONN, delivered: null, pending: [] }] }), secrets, [TMC_KEY])).toBe('any');
  });

  it('a delivered secret that is gone from Qlik: any secret', () => {
    expect(talendMayHold(record({ targets: [held(TMC_KEY, 'zzzzz')] }), secrets, [TMC_KEY])).toBe('any');
  });

  it('a target is known to hold its delivered secret only while it exists in Qlik and nothing is pending', () => {
    expect(knownHolding(record(), secrets, TMC_KEY)?.hint).toBe('aaaaa');
    expect(knownHolding(record({ pending: [secrets[1]!] }), secrets, TMC_KEY)).toBeNull();
    expect(knownHolding(record({ delivered: secret('zzzzz', 3) }), secrets, TMC_KEY)).toBeNull();
    expect(knownHolding(record({ unknownHolder: true }), secrets, TMC_KEY)).toBeNull();
    const before = targetsBefore(record({ targets: [held(TMC_KEY, 'aaaaa'), held('task:old', 'bbbbb')] }), secrets, [TMC_KEY, CONN]);
    expect(before.map((t) => [t.key, t.status, t.holds?.hint ?? null])).toEqual([
      [TMC_KEY, 'holds', 'aaaaa'],
      [CONN, 'unknown', null],
      ['task:old', 'not-in-inputs', 'bbbbb'],
    ]);
  });

  it('Talend as a whole holds a secret only when every configured target holds the same one, and nothing while a delivery is unknown', () => {
    const a = secrets[0]!;
    const states = (...s: TargetState[]) => s;
    expect(commonHolding(states({ key: TMC_KEY, status: 'holds', holds: a }, { key: CONN, status: 'refused', holds: a }))).toBe(a);
    expect(commonHolding(states({ key: TMC_KEY, status: 'holds', holds: a }, { key: CONN, status: 'unknown', holds: a }))).toBeUndefined();
    expect(commonHolding(states({ key: TMC_KEY, status: 'holds', holds: a }, { key: 'x:y', status: 'not-in-inputs', holds: null }))).toBe(a);
    expect(knownHeld(states({ key: TMC_KEY, status: 'holds', holds: a }), 'unknown')).toBeUndefined();
  });
});

describe('I1 nothing stranded: which secrets may go', () => {
  const s = (hint: string, age: number) => secret(hint, age);

  it('never delete by a hint that a secret which stays also carries', () => {
    const twin = [s('aaaaa', 30), s('aaaaa', 1), s('bbbbb', 20)];
    expect(deletableByHint([twin[0]!], twin)).toEqual([]);
    expect(deletableByHint([twin[0]!, twin[1]!], twin)).toEqual([twin[0], twin[1]]);
  });

  it('make room: secrets Talend provably does not hold, oldest first', () => {
    const all = [s('s1', 50), s('s2', 40), s('s3', 30), s('s4', 20), s('s5', 10)];
    expect(secretsToMakeRoom(all, [all[4]!, all[0]!], [], 1, false)).toEqual([all[1]]);
    expect(secretsToMakeRoom(all, all, [], 1, false)).toBeNull();
  });

  it('make room when Talend may hold any secret: only with reclaim-unrecorded-secrets, and never a secret the record names', () => {
    const all = [s('s1', 50), s('s2', 40), s('s3', 30), s('s4', 20), s('s5', 10)];
    expect(secretsToMakeRoom(all, 'any', [all[0]!], 1, false)).toBeNull();
    expect(secretsToMakeRoom(all, 'any', [all[0]!], 1, true)).toEqual([all[1]]);
  });

  it('retire after a delivery: older than the new secret beyond keep-previous-secrets, never a newer one, never one a target outside the inputs may hold', () => {
    const all = [s('old1', 30), s('old2', 20), s('keep', 15), s('new', 1), s('newer', 0)];
    expect(retireAfterDelivery(all, all[3]!, 1, []).map((x) => x.hint)).toEqual(['old1', 'old2']);
    expect(retireAfterDelivery(all, all[3]!, 0, [all[0]!]).map((x) => x.hint)).toEqual(['old2', 'keep']);
  });

  it('a secret Qlik generated during a repair goes at once, unless another secret carries its hint', () => {
    const before = [s('aaaaa', 10)];
    const gen = s('ggggg', 0);
    expect(generatedDuringRepair(before, [...before, gen])).toEqual({ deletable: [gen], shared: [] });
    const twin = s('aaaaa', 0);
    expect(generatedDuringRepair(before, [...before, twin])).toEqual({ deletable: [], shared: [twin] });
  });

  it('an undelivered new secret is deleted again only when no other secret carries its hint', () => {
    const mine = s('nnnnn', 0);
    expect(mayDeleteUndelivered(mine, [s('aaaaa', 10), mine])).toBe(true);
    expect(mayDeleteUndelivered(mine, [s('nnnnn', 10), mine])).toBe(false);
  });
});

describe('I1 nothing stranded: how a delivery changes holdings', () => {
  const pending = withNewPending(record(), [tmc, conn], NEW, [OLD, NEW]);
  const stored: DeliveryResult = { outcome: 'stored', evidence: 'answer-only', warnings: [] };

  it('stored: the target holds the new secret and nothing is pending there', () => {
    expect(afterDelivery(pending, TMC_KEY, NEW, stored).targets.find((t) => t.key === TMC_KEY)).toEqual({ key: TMC_KEY, delivered: NEW, pending: [] });
  });

  it('a definite refusal: the target holds what it held, and the new secret leaves its pending', () => {
    expect(afterDelivery(pending, TMC_KEY, NEW, { outcome: 'refused', status: 400 }).targets.find((t) => t.key === TMC_KEY)).toEqual({
      key: TMC_KEY,
      delivered: OLD,
      pending: [],
    });
  });

  it('a first delivery refused leaves no holding: the target counts as new again, and binds the client to nothing', () => {
    const first = withNewPending(record(), [tmc, conn], NEW, [OLD, NEW]);
    const after = afterDelivery(first, 'connection:c1', NEW, { outcome: 'refused', status: 404 });
    expect(after.targets.map((t) => t.key)).toEqual([TMC_KEY]);
    const known = afterDelivery(withNewPending(record({ pending: [GONE] }), [tmc], NEW, [OLD, NEW, GONE]), TMC_KEY, NEW, { outcome: 'refused', status: 400 });
    expect(known.targets).toEqual([{ key: TMC_KEY, delivered: OLD, pending: [GONE] }]);
  });

  it('no definite answer: the new secret stays pending, so it stays protected', () => {
    const after = afterDelivery(pending, TMC_KEY, NEW, { outcome: 'unknown', detail: 'timeout' });
    expect(after).toEqual(pending);
    expect(secretsAnyTargetMayHold(after.targets)).toContainEqual(NEW);
  });

  it('the new secret may be deleted only when no target may hold it: every target refused', () => {
    const settle = (results: DeliveryResult[]) => settleDeliveries(pending, [tmc, conn].map((target, i) => ({ target, result: results[i]! })), NEW, []).record;
    expect(heldNowhere(settle([{ outcome: 'refused', status: 400 }, { outcome: 'refused' }]), NEW)).toBe(true);
    expect(heldNowhere(settle([{ outcome: 'refused', status: 400 }, { outcome: 'unknown', detail: 'timeout' }]), NEW)).toBe(false);
    expect(heldNowhere(settle([{ outcome: 'refused', status: 400 }, stored]), NEW)).toBe(false);
  });

  it('a new secret deleted because no target holds it leaves every pending list', () => {
    expect(secretsAnyTargetMayHold(withoutPending(pending, NEW).targets)).not.toContainEqual(NEW);
  });

  it('retarget drops recorded targets outside the inputs only once every configured target stored the new secret', () => {
    const r = afterAllStored(record({ targets: [{ key: TMC_KEY, delivered: NEW, pending: [] }, { key: 'task:old', delivered: OLD, pending: [] }], unknownHolder: true }), ['task:old'], null);
    expect(r.targets.map((t) => t.key)).toEqual([TMC_KEY]);
    expect(r.unknownHolder).toBe(false);
  });
});

describe('evidence', () => {
  it('a passed check confirms what a hidden secret or a bare answer could not; a secret read back stays its own proof', () => {
    const states: TargetState[] = [
      { key: TMC_KEY, status: 'delivered', holds: NEW, evidence: 'answer-only' },
      { key: 'connection:c1', status: 'delivered', holds: NEW, evidence: 'client-id-read-back' },
      { key: 'task:t1', status: 'delivered', holds: NEW, evidence: 'secret-read-back' },
      { key: 'task:old', status: 'not-in-inputs', holds: OLD },
    ];
    expect(confirmedByCheck(states).map((t) => t.evidence)).toEqual(['check-task', 'check-task', 'secret-read-back', undefined]);
  });
});
