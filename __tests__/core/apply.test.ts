import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApplyContext } from '../../src/apply/apply.js';
import { RunFailure } from '../../src/core/failure.js';
import { commonHolding, secretsAnyTargetMayHold } from '../../src/core/holdings.js';
import { planRotation } from '../../src/core/plan.js';
import { type ObservedState, stepOf } from '../../src/core/plan-model.js';
import { describeReason } from '../../src/report-words.js';
import { parseDescription, renderDescription } from '../../src/core/record.js';
import { planAndApply } from '../../src/rotation.js';
import type { Config } from '../../src/config.js';
import { FakeQlik, FakeTalend, asQlik, asTalend, fakeBudget } from './fakes.js';
import { NOW, TMC_KEY, client, config, daysAgo, record, secret } from './fixtures.js';

// Masking goes through core.setSecret; printed for real it would be a live `::add-mask::` in CI.
vi.mock('@actions/core');

const RUN = 'run-1';
let qlik: FakeQlik;
let talend: FakeTalend;
let logs: string[];

beforeEach(() => {
  qlik = new FakeQlik();
  talend = new FakeTalend();
  logs = [];
});

function ctx(cfg: Config): ApplyContext {
  return { config: cfg, qlik: asQlik(qlik), talend: asTalend(talend), budget: fakeBudget(), runId: RUN, runUrl: 'https://github.example/o/r/actions/runs/7', sleep: async () => {}, log: (l) => logs.push(l) };
}

async function observe(id: string | null): Promise<ObservedState> {
  const c = id ? await qlik.getClient(id) : null;
  qlik.calls = [];
  if (!c) return { client: null, record: null, recordState: 'absent' };
  const p = parseDescription(c.description);
  return { client: c, record: p.record, recordState: p.state };
}

/** Plan, lease, plan again and apply, as a run does after Read state; a failure comes with what was done by then. */
async function runOnce(cfg: Config, id: string | null) {
  const observed = await observe(id);
  const { outcome: progress, failure: error } = await planAndApply(observed, ctx(cfg));
  return { plan: progress.plan, progress, error };
}

/** The stored record, with what the default config's one target (TMC's setting) holds. */
function storedRecord(id: string) {
  const r = parseDescription(qlik.get(id).description).record!;
  const tmc = r.targets.find((t) => t.key === TMC_KEY);
  return { ...r, delivered: tmc?.delivered ?? null, pending: tmc?.pending ?? [] };
}

/** I1: every secret Talend may hold still exists in Qlik. */
function assertNothingStranded(id: string) {
  const c = qlik.get(id);
  const r = parseDescription(c.description).record;
  const mayHold = r ? secretsAnyTargetMayHold(r.targets).map((s) => s.hint) : [];
  for (const hint of mayHold) expect(c.secrets.map((s) => s.hint)).toContain(hint);
  for (const held of [talend.held, ...talend.heldBy.values()]) if (held) expect([...c.values.values()]).toContain(held.clientSecret);
}

function seedHealthy(cfg = config()) {
  qlik.add(client({ description: renderDescription('Owned by the data team', record()) }), { aaaaa: 'old-secret-value-aaaaaaaaaaaaaaaaaaaa' });
  talend.held = { clientId: 'client-1', clientSecret: 'old-secret-value-aaaaaaaaaaaaaaaaaaaa' };
  return cfg;
}

describe('applyPlan', () => {
  it('creates the client, verifies and delivers its first secret, records it and releases the lease', async () => {
    const { progress, error } = await runOnce(config(), null);
    expect(error).toBeUndefined();
    const id = progress.clientId!;
    expect(talend.held?.clientSecret).toBe(progress.newSecret?.value);
    const r = storedRecord(id);
    expect(r.delivered?.hint).toBe(qlik.hints(id)[0]);
    expect(r.pending).toEqual([]);
    expect(r.lease).toBeNull();
    expect(r.changedBy).toBe('https://github.example/o/r/actions/runs/7');
    expect(qlik.calls).toEqual(['CREATE client', 'LIST', 'GET client-1', 'TOKEN', 'PATCH /description', 'PATCH /description']);
    assertNothingStranded(id);
  });

  it('loses a creation race: deletes its own new client before any token exists, and changes nothing', async () => {
    const observed = await observe(null);
    // Another run created the same name a moment earlier.
    qlik.add(client({ clientId: 'zz-other', createdAt: daysAgo(0.001), description: '' }));
    const cfg = config();
    const applied = await planAndApply(observed, ctx(cfg));
    const err = applied.failure as RunFailure;
    const progress = applied.outcome;
    expect(err.message).toMatch(/Another run created the OAuth client at the same time/);
    expect(err.detail.changedNothing).toBe(true);
    expect([...qlik.clients.keys()]).toEqual(['zz-other']);
    expect(qlik.calls).not.toContain('TOKEN');
    expect(talend.calls).toEqual([]);
    expect(progress.newSecret).toBeUndefined();
  });

  it('wins a creation race against a younger client and carries on', async () => {
    const observed = await observe(null);
    qlik.add(client({ clientId: 'aa-other', createdAt: new Date(NOW + 60_000).toISOString(), description: '' }));
    const cfg = config();
    await planAndApply(observed, ctx(cfg));
    expect(talend.held?.clientId).not.toBe('aa-other');
  });

  it('rotates: new secret verified before delivery, recorded pending before the PUT, old one retired after', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    const order: string[] = [];
    qlik.afterDescriptionPatch = (c) => order.push(`record pending=${parseDescription(c.description).record?.targets[0]?.pending.length}`);
    talend.answer = () => (order.push('PUT'), 'store');
    const { progress, error } = await runOnce(cfg, 'client-1');
    expect(error).toBeUndefined();
    const newHint = progress.newSecret!.meta!.hint;
    expect(qlik.hints('client-1')).toEqual([newHint]);
    expect(storedRecord('client-1').delivered?.hint).toBe(newHint);
    expect(order).toEqual(['record pending=0', 'record pending=1', 'PUT', 'record pending=0']);
    expect(qlik.calls.indexOf('TOKEN')).toBeLessThan(qlik.calls.lastIndexOf('PATCH /description'));
    expect(parseDescription(qlik.get('client-1').description).userText).toBe('Owned by the data team');
    assertNothingStranded('client-1');
  });

  it('keeps keep-previous-secrets older secrets after a rotation', async () => {
    const cfg = seedHealthy(config({ rotate: 'always', keepPreviousSecrets: 1 }));
    const { progress } = await runOnce(cfg, 'client-1');
    expect(qlik.hints('client-1')).toEqual(['aaaaa', progress.newSecret!.meta!.hint]);
  });

  it('a refused delivery deletes the new secret, keeps the old one and fails', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    talend.answer = 'refuse';
    const { progress, error } = await runOnce(cfg, 'client-1');
    expect(error).toBeInstanceOf(RunFailure);
    expect((error as Error).message).toMatch(/Talend refused the new secret .* \(HTTP 400: Qlik Cloud connection failed\)/);
    expect(progress.delivery).toBe('refused');
    expect(qlik.hints('client-1')).toEqual(['aaaaa']);
    const r = storedRecord('client-1');
    expect(r.delivered?.hint).toBe('aaaaa');
    expect(r.pending).toEqual([]);
    expect(r.lease).toBeNull();
    assertNothingStranded('client-1');
  });

  it('an unknown delivery outcome deletes nothing and leaves the new secret pending', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    talend.answer = 'unknown';
    const { progress, error } = await runOnce(cfg, 'client-1');
    expect(error).toBeInstanceOf(RunFailure);
    const newHint = progress.newSecret!.meta!.hint;
    expect(qlik.hints('client-1')).toEqual(['aaaaa', newHint]);
    const r = storedRecord('client-1');
    expect(r.pending.map((p) => p.hint)).toEqual([newHint]);
    expect(r.lease).toBeNull();
    assertNothingStranded('client-1');
  });

  it('an unknown outcome, then a refusal, then a clean run never deletes what Talend may hold', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    // Run 1: Talend stores the pair but the answer is lost.
    talend.answer = (secret) => ((talend.held = { clientId: 'client-1', clientSecret: secret }), 'unknown');
    await runOnce(cfg, 'client-1');
    assertNothingStranded('client-1');
    const pendingHint = storedRecord('client-1').pending[0]!.hint;
    // Run 2: refused.
    talend.answer = 'refuse';
    const second = await runOnce(config(), 'client-1');
    expect(describeReason(stepOf(second.plan, 'create-secret')!.reason)).toMatch(/unknown outcome/);
    expect(qlik.hints('client-1')).toContain(pendingHint);
    expect(qlik.hints('client-1')).toContain('aaaaa');
    assertNothingStranded('client-1');
    // Run 3: clean; converges to one secret.
    talend.answer = 'store';
    const third = await runOnce(config(), 'client-1');
    expect(third.error).toBeUndefined();
    expect(qlik.hints('client-1')).toEqual([third.progress.newSecret!.meta!.hint]);
    assertNothingStranded('client-1');
    // Run 4: nothing left to do.
    expect((await runOnce(config(), 'client-1')).plan.result).toBe('unchanged');
  });

  it('a secret Qlik does not accept is deleted and nothing reaches Talend', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    qlik.rejectToken = true;
    const budget = fakeBudget(5);
    let t = NOW;
    const c = { ...ctx(cfg), budget: { ...budget, now: () => t }, sleep: async (ms: number) => void (t += ms) };
    const observed = await observe('client-1');
    await expect(planAndApply(observed, c).then((applied) => Promise.reject(applied.failure))).rejects.toThrow(/did not accept the new secret/);
    expect(qlik.calls.filter((x) => x === 'TOKEN').length).toBeGreaterThan(1);
    expect(talend.calls).not.toContain('PUT');
    expect(qlik.hints('client-1')).toEqual(['aaaaa']);
    expect(storedRecord('client-1').lease).toBeNull();
  });

  it('a failed check fails the run, deletes nothing and records the failure; the next run repeats only the check', async () => {
    const cfg = seedHealthy(config({ rotate: 'always', talendCheckTaskId: 'task-1' }));
    talend.checkStatuses = ['dispatching', 'execution_failed'];
    const first = await runOnce(cfg, 'client-1');
    expect((first.error as Error).message).toMatch(/check of task task-1 did not pass \(execution_failed\)/);
    expect(qlik.hints('client-1')).toHaveLength(2);
    const r = storedRecord('client-1');
    expect(r.check?.result).toBe('failed');
    expect(r.delivered?.hint).toBe(first.progress.newSecret!.meta!.hint);
    talend.checkStatuses = ['execution_successful'];
    talend.calls = [];
    const second = await runOnce(config({ talendCheckTaskId: 'task-1' }), 'client-1');
    expect(second.error).toBeUndefined();
    expect(second.plan.result).toBe('repaired');
    expect(talend.calls).toEqual(['RUN', 'POLL']);
    expect(qlik.calls).not.toContain('CREATE secret');
    expect(qlik.hints('client-1')).toHaveLength(1);
    expect(storedRecord('client-1').check?.result).toBe('passed');
  });

  it('a refusal whose cleanup delete fails still clears pending and says the secret was not deleted', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    talend.answer = 'refuse';
    qlik.failures.deleteSecret = () => new Error('Qlik: deleting: HTTP 500');
    const { error, progress } = await runOnce(cfg, 'client-1');
    expect((error as Error).message).toMatch(/deleting it from Qlik failed too \(Talend does not hold it; the next run retires it\)/);
    expect(storedRecord('client-1').pending).toEqual([]);
    qlik.failures.deleteSecret = undefined;
    talend.answer = 'store';
    const next = await runOnce(config(), 'client-1');
    expect(next.plan.result).toBe('repaired');
    expect(qlik.hints('client-1')).not.toContain(progress.newSecret!.meta!.hint);
  });

  it('a run killed during the check leaves it pending: the next run repeats it before retiring anything', async () => {
    const cfg = seedHealthy(config({ rotate: 'always', talendCheckTaskId: 'task-1' }));
    talend.checkStatuses = ['execution_successful'];
    // The run dies right after the record says "delivered, check pending".
    qlik.afterDescriptionPatch = (c) => {
      const r = parseDescription(c.description).record;
      if (r?.check?.result === 'pending') throw new Error('SIGKILL');
    };
    const first = await runOnce(cfg, 'client-1');
    expect((first.error as Error).message).toBe('SIGKILL');
    qlik.afterDescriptionPatch = undefined;
    const r = storedRecord('client-1');
    expect(r.check?.result).toBe('pending');
    expect(qlik.hints('client-1')).toContain('aaaaa');
    expect(talend.calls).not.toContain('RUN');
    // The killed run's lease is still in the record; the next run here is the same run ID, as if it had expired.
    const second = await runOnce(config({ talendCheckTaskId: 'task-1' }), 'client-1');
    expect(stepOf(second.plan, 'check-talend-task')?.after).toBe('unfinished-check');
    expect(second.error).toBeUndefined();
    expect(talend.calls.filter((c) => c === 'RUN')).toHaveLength(1);
    expect(qlik.hints('client-1')).toEqual([first.progress.newSecret!.meta!.hint]);
  });

  it('a failed retirement fails the run after the record names the new secret; the next run repairs', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    qlik.failures.deleteSecret = () => new Error('Qlik: deleting: HTTP 500');
    const { error, progress } = await runOnce(cfg, 'client-1');
    expect((error as Error).message).toMatch(/Retiring the old secret aaaaa failed/);
    expect(storedRecord('client-1').delivered?.hint).toBe(progress.newSecret!.meta!.hint);
    qlik.failures.deleteSecret = undefined;
    const next = await runOnce(config(), 'client-1');
    expect(next.plan.result).toBe('repaired');
    expect(qlik.hints('client-1')).toEqual([progress.newSecret!.meta!.hint]);
  });

  it('loses the lease to a racing run and changes nothing else', async () => {
    const cfg = seedHealthy(config({ rotate: 'always' }));
    qlik.afterDescriptionPatch = (c) => {
      const p = parseDescription(c.description);
      c.description = renderDescription(p.userText, { ...p.record!, lease: { holder: 'other-run', expiresAt: daysAgo(-1) } });
    };
    const { error } = await runOnce(cfg, 'client-1');
    expect((error as Error).message).toMatch(/Another run took the lease/);
    expect(qlik.calls).toEqual(['PATCH /description', 'GET client-1']);
    expect(qlik.hints('client-1')).toEqual(['aaaaa']);
  });

  it('repairs drift and retires a hand-added secret without rotating', async () => {
    seedHealthy();
    const c = qlik.get('client-1');
    c.consentMethod = 'required';
    c.allowedGrantTypes = [];
    c.secrets.push(secret('hand1', 0));
    const { plan, error, progress } = await runOnce(config(), 'client-1');
    expect(error).toBeUndefined();
    expect(plan.result).toBe('repaired');
    expect(qlik.calls).not.toContain('CREATE secret');
    expect(c.consentMethod).toBe('trusted');
    expect(c.allowedGrantTypes).toEqual(['client_credentials']);
    expect(qlik.hints('client-1')).toEqual(['aaaaa']);
    expect(progress.done.join('; ')).toMatch(/retired secret hand1/);
    expect((await runOnce(config(), 'client-1')).plan.result).toBe('unchanged');
  });

  it('patches with add, never replace: a member Qlik left out may not exist (RFC 6902 §4.3)', async () => {
    seedHealthy();
    const c = qlik.get('client-1');
    c.allowedGrantTypes = [];
    c.allowedAuthMethods = ['private_key_jwt'];
    const { plan, error } = await runOnce(config(), 'client-1');
    expect(error).toBeUndefined();
    expect(plan.result).toBe('repaired');
    const ops = qlik.patches.flat();
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(
      expect.arrayContaining(['add /allowedGrantTypes', 'add /allowedAuthMethods', 'add /description']),
    );
    expect(ops.filter((o) => o.op !== 'add')).toEqual([]);
    expect(c.allowedAuthMethods).toEqual(['private_key_jwt', 'client_secret']);
  });

  it('adopts a hand-made client: rotates once and retires the hand-pasted secret after delivery', async () => {
    qlik.add(client({ description: 'made by hand' }), { aaaaa: 'hand-pasted-secret-aaaaaaaaaaaaaaaaaa' });
    talend.held = { clientId: 'client-1', clientSecret: 'hand-pasted-secret-aaaaaaaaaaaaaaaaaa' };
    const { plan, error, progress } = await runOnce(config(), 'client-1');
    expect(error).toBeUndefined();
    expect(plan.result).toBe('rotated');
    expect(qlik.hints('client-1')).toEqual([progress.newSecret!.meta!.hint]);
    expect(parseDescription(qlik.get('client-1').description).userText).toBe('made by hand');
    expect((await runOnce(config(), 'client-1')).plan.result).toBe('unchanged');
  });

  it('a run killed right after leasing a hand-made client leaves every secret protected', async () => {
    qlik.add(client({ description: 'made by hand' }), { aaaaa: 'hand-pasted-secret-aaaaaaaaaaaaaaaaaa' });
    qlik.afterDescriptionPatch = () => {
      throw new Error('SIGKILL');
    };
    const first = await runOnce(config(), 'client-1');
    expect((first.error as Error).message).toBe('SIGKILL');
    qlik.afterDescriptionPatch = undefined;
    expect(storedRecord('client-1').unknownHolder).toBe(true);
    const again = planRotation(config(), await observe('client-1'), NOW, 'next-run');
    expect(again.talendMayHold).toBe('any');
  });

  it('an unchanged plan sends nothing', async () => {
    seedHealthy();
    const { plan } = await runOnce(config(), 'client-1');
    expect(plan.result).toBe('unchanged');
    expect(qlik.calls).toEqual([]);
    expect(talend.calls).toEqual([]);
  });
});

describe('applyPlan with several Talend targets', () => {
  const CONN = 'connection:c0ffee';
  const TASK = 'task:7a5k';
  const three = () => config({ rotate: 'always', talendConnectionIds: ['c0ffee'], talendTaskIds: ['7a5k'] });
  const OLD = 'old-secret-value-aaaaaaaaaaaaaaaaaaaa';
  const holds = (key: string, hint = 'aaaaa') => ({ key, delivered: { hint, createdAt: daysAgo(10) }, pending: [] });

  function seedThree(extra: ReturnType<typeof holds>[] = [], secrets = [secret('aaaaa', 10)], values: Record<string, string> = { aaaaa: OLD }) {
    qlik.add(client({ secrets, description: renderDescription('', record({ targets: [holds(TMC_KEY), holds(CONN), holds(TASK), ...extra] })) }), values);
    for (const key of [TMC_KEY, CONN, TASK]) talend.heldBy.set(key, { clientId: 'client-1', clientSecret: OLD });
  }
  const stored = () => parseDescription(qlik.get('client-1').description).record!;
  const hintAt = (key: string) => stored().targets.find((t) => t.key === key)?.delivered?.hint;

  it('delivers one new secret to every target at once, records each, then retires the old one', async () => {
    seedThree();
    let inFlight = 0;
    let most = 0;
    talend.answer = () => {
      most = Math.max(most, ++inFlight);
      queueMicrotask(() => inFlight--);
      return 'store';
    };
    const { progress, error } = await runOnce(three(), 'client-1');
    expect(error).toBeUndefined();
    const hint = progress.newSecret!.meta.hint;
    expect([TMC_KEY, CONN, TASK].map(hintAt)).toEqual([hint, hint, hint]);
    expect(stored().targets.every((t) => t.pending.length === 0)).toBe(true);
    expect(qlik.hints('client-1')).toEqual([hint]);
    expect(progress.targets.map((t) => [t.key, t.status])).toEqual([[TMC_KEY, 'delivered'], [CONN, 'delivered'], [TASK, 'delivered']]);
    expect(commonHolding(progress.targets)?.hint).toBe(hint);
    expect(most).toBe(3);
    expect(logs.filter((l) => l.startsWith(`Done: delivered secret ${hint} to `))).toHaveLength(3);
    assertNothingStranded('client-1');
  });

  it('one target refusing after others took the secret: the new secret stays, the refusing one keeps its old secret, the run fails naming both; the next run converges', async () => {
    seedThree();
    talend.byTarget = { [TASK]: 'refuse' };
    const first = await runOnce(three(), 'client-1');
    const hint = first.progress.newSecret!.meta.hint;
    expect((first.error as Error).message).toMatch(new RegExp(`Not every Talend target took the new secret ${hint}: task 7a5k: HTTP 400: Qlik Cloud connection failed`));
    expect(first.progress.delivery).toBe('partial');
    expect(qlik.hints('client-1')).toEqual(['aaaaa', hint]);
    expect([TMC_KEY, CONN, TASK].map(hintAt)).toEqual([hint, hint, 'aaaaa']);
    expect(first.progress.targets.find((t) => t.key === TASK)).toMatchObject({ status: 'refused', holds: { hint: 'aaaaa' } });
    expect(stored().lease).toBeNull();
    assertNothingStranded('client-1');

    talend.byTarget = {};
    const second = await runOnce(config({ ...three(), rotate: 'auto' }), 'client-1');
    expect(second.error).toBeUndefined();
    expect(describeReason(stepOf(second.plan, 'create-secret')!.reason)).toMatch(/hold different secrets/);
    const next = second.progress.newSecret!.meta.hint;
    expect([TMC_KEY, CONN, TASK].map(hintAt)).toEqual([next, next, next]);
    expect(qlik.hints('client-1')).toEqual([next]);
  });

  it('one target without a definite answer: its delivery stays pending, nothing is deleted, and the next run settles it', async () => {
    seedThree();
    talend.byTarget = { [CONN]: 'unknown' };
    const first = await runOnce(three(), 'client-1');
    const hint = first.progress.newSecret!.meta.hint;
    expect((first.error as Error).message).toMatch(/TMC connection c0ffee: no definite answer/);
    const conn = stored().targets.find((t) => t.key === CONN)!;
    expect(conn.delivered?.hint).toBe('aaaaa');
    expect(conn.pending.map((p) => p.hint)).toEqual([hint]);
    expect(qlik.hints('client-1')).toEqual(['aaaaa', hint]);
    // Whatever the connection holds now, it is still in Qlik.
    talend.heldBy.set(CONN, { clientId: 'client-1', clientSecret: first.progress.newSecret!.value });
    assertNothingStranded('client-1');
    talend.byTarget = {};
    const second = await runOnce(config({ ...three(), rotate: 'auto' }), 'client-1');
    expect(second.error).toBeUndefined();
    expect(qlik.hints('client-1')).toEqual([second.progress.newSecret!.meta.hint]);
  });

  it('every target refusing deletes the new secret again, as with one target', async () => {
    seedThree();
    talend.answer = 'refuse';
    const { error, progress } = await runOnce(three(), 'client-1');
    expect((error as Error).message).toMatch(/^Talend refused the new secret \w+ \(TMC's Qlik Cloud Authentication .*; TMC connection c0ffee: HTTP 400.*; task 7a5k: HTTP 400.*\); it was deleted from Qlik again\.$/);
    expect(progress.delivery).toBe('refused');
    expect(qlik.hints('client-1')).toEqual(['aaaaa']);
    expect([TMC_KEY, CONN, TASK].map(hintAt)).toEqual(['aaaaa', 'aaaaa', 'aaaaa']);
  });

  it("a recorded target outside the inputs keeps its secret after a rotation; with 'retarget: true' it is dropped and its secret retired", async () => {
    const gone = 'connection:gone';
    seedThree([holds(gone, 'ooooo')], [secret('ooooo', 50), secret('aaaaa', 10)], { ooooo: 'gone-secret-value-oooooooooooooooooo', aaaaa: OLD });
    talend.heldBy.set(gone, { clientId: 'client-1', clientSecret: 'gone-secret-value-oooooooooooooooooo' });
    const kept = await runOnce(three(), 'client-1');
    expect(kept.error).toBeUndefined();
    const hint = kept.progress.newSecret!.meta.hint;
    expect(qlik.hints('client-1')).toEqual(['ooooo', hint]);
    expect(hintAt(gone)).toBe('ooooo');
    expect(kept.progress.targets.find((t) => t.key === gone)?.status).toBe('not-in-inputs');
    assertNothingStranded('client-1');

    talend.heldBy.delete(gone);
    const dropped = await runOnce(config({ ...three(), rotate: 'auto', retarget: true }), 'client-1');
    expect(dropped.error).toBeUndefined();
    const next = dropped.progress.newSecret!.meta.hint;
    expect(stored().targets.map((t) => t.key)).toEqual([CONN, TMC_KEY, TASK].sort());
    expect(qlik.hints('client-1')).toEqual([next]);
    expect(dropped.progress.targets.find((t) => t.key === gone)?.status).toBe('dropped');
  });
});

describe('applyPlan keeps the record small', () => {
  it('a pending secret that no longer exists in Qlik is dropped when the next delivery is recorded pending', async () => {
    const gone = { hint: 'ggggg', createdAt: daysAgo(3) };
    qlik.add(client({ description: renderDescription('', record({ pending: [gone] })) }), { aaaaa: 'old-secret-value-aaaaaaaaaaaaaaaaaaaa' });
    let pendingAtDelivery: string[] = [];
    talend.answer = () => {
      pendingAtDelivery = storedRecord('client-1').pending.map((p) => p.hint);
      return 'store';
    };
    const { progress, error } = await runOnce(config(), 'client-1');
    expect(error).toBeUndefined();
    expect(pendingAtDelivery).toEqual([progress.newSecret!.meta.hint]);
  });

  it('a record that does not fit in the description fails before anything changes, saying how long each part is', async () => {
    qlik.add(client({ description: renderDescription('x'.repeat(4000), record()) }), { aaaaa: 'old-secret-value-aaaaaaaaaaaaaaaaaaaa' });
    const { error } = await runOnce(config({ rotate: 'always' }), 'client-1');
    expect((error as Error).message).toMatch(/Qlik allows 4096 characters, the record needs \d+ and the description's own text has 4000/);
    expect(qlik.hints('client-1')).toEqual(['aaaaa']);
  });
});

describe('applyPlan after a leak (revoke-tokens)', () => {
  it('revokes every token of the bot user once the old secrets are retired, counts them, and records the bot user', async () => {
    const cfg = seedHealthy(config({ rotate: 'always', revokeTokens: true }));
    qlik.tokens.set('bot-client-1', 3);
    const { progress, error } = await runOnce(cfg, 'client-1');
    expect(error).toBeUndefined();
    expect(progress.tokensRevoked).toBe(3);
    expect(qlik.calls.indexOf('REVOKE tokens of bot-client-1')).toBeGreaterThan(qlik.calls.indexOf('DELETE aaaaa'));
    expect(qlik.hints('client-1')).toEqual([progress.newSecret!.meta.hint]);
    expect(storedRecord('client-1').botUserId).toBe('bot-client-1');
  });

  it('a decommission revokes before and after deleting the client, each change saying what that revocation did', async () => {
    qlik.add(client({ description: renderDescription('', record({ botUserId: 'bot-client-1' })) }), { aaaaa: 'old-secret-value-aaaaaaaaaaaaaaaaaaaa' });
    qlik.tokens.set('bot-client-1', 3);
    const { progress, error } = await runOnce(config({ operation: 'decommission', confirmDecommission: 'client-1' }), 'client-1');
    expect(error).toBeUndefined();
    expect(progress.tokensRevoked).toBe(3);
    expect(progress.done.filter((change) => change.startsWith('revoked'))).toEqual([
      "revoked 3 OAuth token(s) of the client's bot user bot-client-1",
      "revoked 0 OAuth token(s) of the client's bot user bot-client-1",
    ]);
  });

  it('a failed revocation fails the run and undoes nothing: the rotation stands', async () => {
    const cfg = seedHealthy(config({ rotate: 'always', revokeTokens: true }));
    qlik.revokeFails = true;
    const { progress, error } = await runOnce(cfg, 'client-1');
    expect((error as Error).message).toMatch(/Revoking the OAuth tokens of the client's bot user bot-client-1 failed/);
    expect((error as RunFailure).detail.nextRun).toMatch(/The rotation stands/);
    expect(qlik.hints('client-1')).toEqual([progress.newSecret!.meta.hint]);
    expect(talend.held?.clientSecret).toBe(progress.newSecret!.value);
  });
});
