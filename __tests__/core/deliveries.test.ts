import { describe, expect, it } from 'vitest';
import { type DeliveryAnswer, settleDeliveries, withNewPending } from '../../src/core/deliveries.js';
import type { TargetDelivery } from '../../src/talend/client.js';
import type { Target } from '../../src/core/targets.js';
import { TMC_KEY, daysAgo, record } from './fixtures.js';

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
        { target: tmc, delivery: { stored: false, status: 400, message: 'no' } },
        { target: conn, delivery: { stored: true, warnings: ['w'] } },
        { target: task, error: 'timeout' },
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

  const cases: [string, (TargetDelivery | undefined)[]][] = [
    ['stored', [{ stored: true, warnings: [] }, { stored: true, warnings: [] }]],
    ['refused', [{ stored: false, status: 409, message: undefined }, { stored: false, status: undefined, message: 'nothing was sent' }]],
    ['unknown', [{ stored: false, status: 409, message: undefined }, undefined]],
  ];
  it.each(cases)('every answer alike, or refusals with no answer: %s', (kind, deliveries) => {
    const answers = [tmc, conn].map((target, i): DeliveryAnswer => {
      const delivery = deliveries[i];
      return delivery ? { target, delivery } : { target, error: 'reset' };
    });
    expect(settleDeliveries(pending, answers, NEW, before).delivery).toBe(kind);
  });

  it('one target: its failure is not prefixed with its name', () => {
    expect(settleDeliveries(pending, [{ target: tmc, error: 'no answer' }], NEW, before).failures).toEqual(['no answer']);
  });
});
