import { describe, expect, it } from 'vitest';
import { RecordStore } from '../../src/apply/record-store.js';
import { parseDescription, renderDescription } from '../../src/core/record.js';
import { FakeQlik, asQlik, fakeBudget } from './fakes.js';
import { client, daysAgo, record } from './fixtures.js';

function store(qlik: FakeQlik, logs: string[] = []) {
  return new RecordStore({ qlik: asQlik(qlik), budget: fakeBudget(), runId: 'run-1', runUrl: undefined, sleep: async () => {}, log: (l) => logs.push(l) });
}

describe('RecordStore', () => {
  it('takes the lease, writes only what changed, and releases it', async () => {
    const qlik = new FakeQlik();
    qlik.add(client({ description: renderDescription('Owned by the data team', record()) }));
    const s = store(qlik);
    await s.takeLease(qlik.get('client-1'));
    expect(parseDescription(qlik.get('client-1').description).record?.lease?.holder).toBe('run-1');
    qlik.calls = [];
    await s.release();
    expect(parseDescription(qlik.get('client-1').description).record?.lease).toBeNull();
    expect(parseDescription(qlik.get('client-1').description).userText).toBe('Owned by the data team');
    await s.release();
    expect(qlik.calls).toEqual(['PATCH /description']);
  });

  it('a lease release never fails for want of room: what Qlik holds, without the lease, is written instead', async () => {
    const qlik = new FakeQlik();
    qlik.add(client({ description: renderDescription('x'.repeat(3500), record()) }));
    const logs: string[] = [];
    const s = store(qlik, logs);
    await s.takeLease(qlik.get('client-1'));
    // A record grown past the description's limit since (the plan refuses such runs; this is the safety net).
    const pending = Array.from({ length: 20 }, (_, i) => ({ hint: `p${i}`.padEnd(5, '0'), createdAt: daysAgo(i) }));
    s.change((r) => ({ ...r, targets: r.targets.map((t) => ({ ...t, pending })) }));
    await s.release();
    const after = parseDescription(qlik.get('client-1').description);
    expect(after.record?.lease).toBeNull();
    expect(after.record?.targets[0]?.pending).toEqual([]);
    expect(logs.filter((l) => l.startsWith('Could not release'))).toEqual([]);
  });
});
