import { describe, expect, it } from 'vitest';
import { parseDescription, renderDescription } from '../../src/core/record.js';
import { planRotation, scopesKept } from '../../src/core/plan.js';
import { PlanError, type RotationPlan, stepOf } from '../../src/core/plan-model.js';
import { deletableByHint, secretsToRetire } from '../../src/core/holdings.js';
import { createdAtLabel, describeAge, dueAgeDays, isoTime, nextRotationDue, secretAgeDays } from '../../src/core/secret-ref.js';
import { describeReason } from '../../src/report-words.js';
import { NOW, TMC_KEY, client, config, daysAgo, observed, record, secret } from './fixtures.js';

const RUN = 'run-1';
const hints = (xs: { hint: string }[]) => xs.map((x) => x.hint);
// What the plan's steps carry, read the way the tests ask about it.
const makeRoomOf = (p: RotationPlan) => stepOf(p, 'make-room')?.secrets ?? [];
const retireOf = (p: RotationPlan) => stepOf(p, 'retire-secrets')?.secrets ?? [];
const reasonOf = (p: RotationPlan) => {
  const step = stepOf(p, 'create-secret');
  return step ? describeReason(step.reason) : null;
};
const checkOf = (p: RotationPlan) => stepOf(p, 'check-talend-task')?.after ?? 'none';

describe('planRotation', () => {
  it('creates the client on a fresh tenant', () => {
    const plan = planRotation(config(), observed(null, null), NOW, RUN);
    expect(plan.result).toBe('created');
    expect(stepOf(plan, 'create-client')).toBeDefined();
    expect(plan.steps.map((s) => s.step)).toEqual(['create-client', 'verify-secret', 'deliver-to-talend', 'write-record']);
  });

  it('adds the check after delivery on create when a task is configured', () => {
    const plan = planRotation(config({ talendCheckTaskId: 't1' }), observed(null, null), NOW, RUN);
    expect(checkOf(plan)).toBe('delivery');
    expect(plan.steps.map((s) => s.step)).toContain('check-talend-task');
  });

  it('leaves a healthy setup alone', () => {
    const plan = planRotation(config(), observed(client(), record()), NOW, RUN);
    expect(plan.result).toBe('unchanged');
    expect(plan.steps).toEqual([]);
    expect(reasonOf(plan)).toBeNull();
  });

  // Due from 27 days at the default 30: a tenth early, at most three days (dueGraceDays).
  it.each([
    ['a day younger than its due age', 26, 'unchanged'],
    ['a millisecond younger than its due age', 27 - 1 / 86_400_000, 'unchanged'],
    ['exactly at its due age', 27, 'rotated'],
    ['28 days old (a monthly schedule after February)', 28, 'rotated'],
    ['29.9 days old (a monthly run that starts a little earlier than the last)', 29.9, 'rotated'],
    ['at the limit', 30, 'rotated'],
    ['past the limit', 45, 'rotated'],
  ])('rotate auto: a secret %s', (_label, age, expected) => {
    const c = client({ secrets: [secret('aaaaa', age)] });
    const r = record({ delivered: { hint: 'aaaaa', createdAt: daysAgo(age) } });
    expect(planRotation(config(), observed(c, r), NOW, RUN).result).toBe(expected);
  });

  it('rotate always: rotates a young secret', () => {
    const plan = planRotation(config({ rotate: 'always' }), observed(client(), record()), NOW, RUN);
    expect(plan.result).toBe('rotated');
    expect(reasonOf(plan)).toMatch(/always/);
  });

  it('rotate never: leaves an old secret alone', () => {
    const c = client({ secrets: [secret('aaaaa', 400)] });
    const r = record({ delivered: { hint: 'aaaaa', createdAt: daysAgo(400) } });
    expect(planRotation(config({ rotate: 'never' }), observed(c, r), NOW, RUN).result).toBe('unchanged');
  });

  it.each([
    ['there is no record', null, /no record/],
    ['the delivered secret was deleted', record({ delivered: { hint: 'gone1', createdAt: daysAgo(3) } }), /no longer exists/],
    ['a delivery is pending', record({ pending: [{ hint: 'bbbbb', createdAt: daysAgo(1) }] }), /unknown outcome/],
    ['nothing was ever delivered', record({ targets: [{ key: TMC_KEY, delivered: null, pending: [] }] }), /no secret has been delivered/],
    ['the record knows no target yet', record({ delivered: null }), /is new to the record/],
  ])('rotate never still makes a new secret when %s', (_label, r, reason) => {
    const c = client({ secrets: [secret('aaaaa', 10), secret('bbbbb', 1)] });
    const plan = planRotation(config({ rotate: 'never' }), observed(c, r), NOW, RUN);
    expect(plan.result).toBe('rotated');
    expect(reasonOf(plan)).toMatch(reason);
  });

  it('an unreadable record counts as no record: Talend may hold any secret', () => {
    const plan = planRotation(config(), { client: client(), record: null, recordState: 'unreadable' }, NOW, RUN);
    expect(plan.talendMayHold).toBe('any');
    expect(plan.result).toBe('rotated');
  });

  it('a record started by a lease on a client with no record still means: Talend may hold any secret', () => {
    const five = [1, 2, 3, 4, 5].map((d) => secret(`s000${d}`, d * 10));
    const leased = record({ delivered: null, unknownHolder: true });
    const plan = () => planRotation(config(), observed(client({ secrets: five }), leased), NOW, RUN);
    expect(plan).toThrow(/no record of which one Talend holds/);
    const small = planRotation(config(), observed(client(), leased), NOW, RUN);
    expect(small.talendMayHold).toBe('any');
    expect(reasonOf(small)).toMatch(/no record/);
  });

  it('pending left by a killed run: both delivered and pending may be held, neither is deleted to make room', () => {
    const c = client({ secrets: [secret('old01', 50), secret('aaaaa', 10), secret('pend1', 1), secret('x0003', 40), secret('x0004', 45)] });
    const r = record({ pending: [{ hint: 'pend1', createdAt: daysAgo(1) }] });
    const plan = planRotation(config(), observed(c, r), NOW, RUN);
    expect(plan.result).toBe('rotated');
    expect(hints(plan.talendMayHold as never[])).toEqual(['aaaaa', 'pend1']);
    expect(hints(makeRoomOf(plan))).toEqual(['old01']);
  });

  it('a refused delivery after an unknown one: the earlier pending secret stays protected', () => {
    // Run 1 left pend1 pending (unknown outcome); run 2's delivery of pend2 was refused and pend2 deleted.
    const c = client({ secrets: [secret('aaaaa', 10), secret('pend1', 2)] });
    const r = record({ pending: [{ hint: 'pend1', createdAt: daysAgo(2) }] });
    const plan = planRotation(config(), observed(c, r), NOW, RUN);
    expect(plan.result).toBe('rotated');
    expect(hints(plan.talendMayHold as never[])).toEqual(['aaaaa', 'pend1']);
    expect(makeRoomOf(plan)).toEqual([]);
    expect(retireOf(plan)).toEqual([]);
  });

  it('retires extra secrets that Talend provably does not hold (repair)', () => {
    const c = client({ secrets: [secret('older', 20), secret('aaaaa', 10), secret('hand1', 1)] });
    const plan = planRotation(config(), observed(c, record()), NOW, RUN);
    expect(plan.result).toBe('repaired');
    expect(hints(retireOf(plan))).toEqual(['older', 'hand1']);
  });

  it('keeps the keep-previous-secrets newest older secrets', () => {
    const c = client({ secrets: [secret('old02', 40), secret('old01', 20), secret('aaaaa', 10)] });
    const plan = planRotation(config({ keepPreviousSecrets: 1 }), observed(c, record()), NOW, RUN);
    expect(hints(retireOf(plan))).toEqual(['old02']);
  });

  describe('making room when the client holds 5 secrets', () => {
    const five = [secret('s0001', 50), secret('s0002', 40), secret('s0003', 30), secret('aaaaa', 10), secret('s0005', 5)];

    it('deletes the oldest secret Talend provably does not hold', () => {
      const plan = planRotation(config({ rotate: 'always' }), observed(client({ secrets: five }), record()), NOW, RUN);
      expect(hints(makeRoomOf(plan))).toEqual(['s0001']);
      expect(plan.steps.map((s) => s.step)).toContain('make-room');
    });

    it('without a record and without reclaim: fails, listing hints with ages and naming the input', () => {
      const run = () => planRotation(config(), observed(client({ secrets: five }), null), NOW, RUN);
      expect(run).toThrow(PlanError);
      expect(run).toThrow(/s0001 \(50 days old\).*reclaim-unrecorded-secrets/s);
    });

    it('without a record and with reclaim: deletes the oldest', () => {
      const plan = planRotation(config({ reclaimUnrecordedSecrets: true }), observed(client({ secrets: five }), null), NOW, RUN);
      expect(hints(makeRoomOf(plan))).toEqual(['s0001']);
    });

    it('when the delivered secret is gone, no other secret counts as provably unused', () => {
      const r = record({ delivered: { hint: 'gone1', createdAt: daysAgo(3) } });
      const run = () => planRotation(config({ rotate: 'never' }), observed(client({ secrets: five }), r), NOW, RUN);
      expect(run).toThrow(/reclaim-unrecorded-secrets/);
    });

    it('with a record where every secret may be held: fails even with reclaim', () => {
      const r = record({ pending: ['s0001', 's0002', 's0003', 's0005'].map((h) => ({ hint: h })) });
      const run = () => planRotation(config({ reclaimUnrecordedSecrets: true }), observed(client({ secrets: five }), r), NOW, RUN);
      expect(run).toThrow(/Talend may hold every one/);
    });
  });

  describe('drift', () => {
    it('adds client_credentials and keeps the other grant types', () => {
      const c = client({ allowedGrantTypes: ['urn:qlik:oauth:user-impersonation'] });
      const plan = planRotation(config(), observed(c, record()), NOW, RUN);
      expect(plan.result).toBe('repaired');
      expect(stepOf(plan, 'repair-grant-types')?.store).toEqual(['urn:qlik:oauth:user-impersonation', 'client_credentials']);
    });

    it('replaces scopes that differ as a set, and ignores order', () => {
      expect(planRotation(config(), observed(client({ allowedScopes: ['admin_classic', 'user_default'] }), record()), NOW, RUN).result).toBe('unchanged');
      const plan = planRotation(config(), observed(client({ allowedScopes: ['user_default'] }), record()), NOW, RUN);
      expect(stepOf(plan, 'repair-scopes')?.to).toEqual(['admin_classic', 'user_default']);
    });

    it('keeps the scopes a person granted and adds only the missing ones (Talend: select all check boxes)', () => {
      const handMade = client({ allowedScopes: ['admin.apps', 'admin.spaces', 'admin_classic', 'user_default'] });
      expect(planRotation(config(), observed(handMade, record()), NOW, RUN).result).toBe('unchanged');
      const narrow = client({ allowedScopes: ['admin.apps', 'user_default'] });
      expect(stepOf(planRotation(config(), observed(narrow, record()), NOW, RUN), 'repair-scopes')).toEqual({
        step: 'repair-scopes',
        from: ['admin.apps', 'user_default'],
        to: ['admin.apps', 'admin_classic', 'user_default'],
        op: 'add',
      });
    });

    it("scopes-exact: the input exactly, by replace where Qlik shows the member, by add where it does not", () => {
      const handMade = client({ allowedScopes: ['admin.apps', 'admin_classic', 'user_default'] });
      expect(stepOf(planRotation(config({ scopesExact: true }), observed(handMade, record()), NOW, RUN), 'repair-scopes')).toMatchObject({ to: ['admin_classic', 'user_default'], op: 'replace' });
      const none = client({ allowedScopes: [], scopesShown: false });
      expect(stepOf(planRotation(config({ scopesExact: true }), observed(none, record()), NOW, RUN), 'repair-scopes')).toMatchObject({ op: 'add' });
    });

    it('records what Qlik kept only when it dropped a scope asked for (or, exact, kept more)', () => {
      expect(scopesKept(['a', 'b'], ['a', 'b', 'granted'], false)).toBeNull();
      expect(scopesKept(['a', 'b'], ['a', 'b', 'granted'], true)).toEqual({ requested: ['a', 'b'], kept: ['a', 'b', 'granted'] });
      expect(scopesKept(['a', 'b'], ['a'], false)).toEqual({ requested: ['a', 'b'], kept: ['a'] });
    });

    it('does not patch again a scope Qlik does not keep', () => {
      const cfg = config({ scopes: ['admin_classic', 'no_such_scope', 'user_default'] });
      const c = client({ allowedScopes: ['user_default', 'admin_classic'] });
      const r = record({ scopes: { requested: cfg.scopes, kept: ['admin_classic', 'user_default'] } });
      expect(planRotation(cfg, observed(c, r), NOW, RUN).result).toBe('unchanged');
      // ...but does when the request changes or the kept set drifts.
      expect(stepOf(planRotation(cfg, observed(client({ allowedScopes: ['user_default'] }), r), NOW, RUN), 'repair-scopes')?.to).toEqual(cfg.scopes);
    });

    it('sets the consent method to trusted', () => {
      const plan = planRotation(config(), observed(client({ consentMethod: 'required' }), record()), NOW, RUN);
      expect(stepOf(plan, 'repair-consent')).toEqual({ step: 'repair-consent', from: 'required' });
      expect(plan.result).toBe('repaired');
    });

    it('refuses an appType other than web', () => {
      expect(() => planRotation(config(), observed(client({ appType: 'native' }), record()), NOW, RUN)).toThrow(/appType 'native'/);
    });
  });

  it.each(['auto', 'always', 'never'] as const)(
    "refuses to touch a client whose record names another Talend target with rotate: %s; only 'retarget' takes it over",
    (rotate) => {
      const other = 'qlik-auth:https://api.us.cloud.talend.example/tmc/qlik';
      const r = record({ targets: [{ key: other, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] }] });
      expect(() => planRotation(config({ rotate }), observed(client(), r), NOW, RUN)).toThrow(/another Talend target .*'retarget: true'/);
      const moved = planRotation(config({ rotate, retarget: true }), observed(client(), r), NOW, RUN);
      expect(moved.result).toBe('rotated');
      expect(reasonOf(moved)).toMatch(/not in this run's inputs and 'retarget' is true/);
      expect(stepOf(moved, 'deliver-to-talend')?.drop).toEqual([other]);
      const same = record();
      expect(planRotation(config({ rotate: rotate === 'always' ? 'auto' : rotate }), observed(client(), same), NOW, RUN).result).toBe('unchanged');
      expect(planRotation(config({ rotate: rotate === 'always' ? 'auto' : rotate, retarget: true }), observed(client(), same), NOW, RUN).result).toBe('unchanged');
    },
  );

  it('ignores, and reports, a lease that claims to last longer than any run can', () => {
    const far = { holder: 'other', expiresAt: new Date(NOW + 2 * 3600_000).toISOString() };
    const plan = planRotation(config(), observed(client(), record({ lease: far })), NOW, RUN);
    expect(plan.foreignLease).toBeNull();
    expect(plan.ignoredLease).toEqual(far);
    const longest = { holder: 'other', expiresAt: new Date(NOW + 3600_000).toISOString() };
    expect(planRotation(config(), observed(client(), record({ lease: longest })), NOW, RUN).foreignLease).toEqual(longest);
  });

  it('repairs auth methods without client_secret, and leaves alone auth methods Qlik did not show', () => {
    const drifted = planRotation(config(), observed(client({ allowedAuthMethods: ['private_key_jwt'] }), record()), NOW, RUN);
    expect(drifted.result).toBe('repaired');
    expect(drifted.steps).toContainEqual({ step: 'repair-auth-methods', store: ['private_key_jwt', 'client_secret'] });
    expect(planRotation(config(), observed(client({ allowedAuthMethods: undefined }), record()), NOW, RUN).result).toBe('unchanged');
  });

  it('never deletes by a hint that a secret which stays also carries', () => {
    const held = secret('dup', 5);
    const twin = secret('dup', 20);
    const other = secret('bbbbb', 30);
    const c = client({ secrets: [held, twin, other] });
    const plan = planRotation(config(), observed(c, record({ delivered: held })), NOW, RUN);
    expect(hints(retireOf(plan))).toEqual(['bbbbb']);
    // Both secrets with a hint go: deleting by that hint is then meant.
    expect(deletableByHint([twin, held], [held, twin, other])).toEqual([twin, held]);
    expect(deletableByHint([twin], [held, twin, other])).toEqual([]);
  });

  it('treats a creation time in the future as unknown age, and one outside what a Date holds as no time at all', () => {
    const future = { hint: 'fffff', createdAt: new Date(NOW + 86_400_000).toISOString() };
    expect(secretAgeDays(future, NOW)).toBeNull();
    expect(describeAge(future, NOW)).toBe('created in the future (age unknown)');
    expect(planRotation(config(), observed(client({ secrets: [future] }), record({ delivered: future })), NOW, RUN).result).toBe('unchanged');
    const edge = { hint: 'eeeee', createdAt: '+275760-09-13T00:00:00.000Z' };
    expect(() => nextRotationDue(edge, 30)).not.toThrow();
    expect(nextRotationDue(edge, 30)).toBeUndefined();
    expect(createdAtLabel(edge)).toBe('+275760-09-13T00:00:00.000Z');
    expect(createdAtLabel({ hint: 'x', createdAt: 'yesterday; rm -rf /' })).toBeUndefined();
    expect(isoTime(8.64e15 + 1)).toBeUndefined();
  });

  it('repeats a failed check, and only the check', () => {
    const cfg = config({ talendCheckTaskId: 'task-1' });
    const plan = planRotation(cfg, observed(client(), record({ check: { result: 'failed', at: daysAgo(1) } })), NOW, RUN);
    expect(plan.result).toBe('repaired');
    expect(checkOf(plan)).toBe('unfinished-check');
    expect(reasonOf(plan)).toBeNull();
    expect(planRotation(cfg, observed(client(), record({ check: { result: 'passed', at: daysAgo(1) } })), NOW, RUN).result).toBe('unchanged');
  });

  it("reports another run's live lease, but not an expired one or its own", () => {
    const live = { holder: 'other', expiresAt: new Date(NOW + 60_000).toISOString() };
    expect(planRotation(config(), observed(client(), record({ lease: live })), NOW, RUN).foreignLease).toEqual(live);
    const expired = { holder: 'other', expiresAt: new Date(NOW - 1).toISOString() };
    expect(planRotation(config(), observed(client(), record({ lease: expired })), NOW, RUN).foreignLease).toBeNull();
    const own = { holder: RUN, expiresAt: new Date(NOW + 60_000).toISOString() };
    expect(planRotation(config(), observed(client(), record({ lease: own })), NOW, RUN).foreignLease).toBeNull();
  });

  it('dry run plans exactly what a real run would', () => {
    const c = client({ consentMethod: 'required', secrets: [secret('aaaaa', 40)] });
    const r = record({ delivered: { hint: 'aaaaa', createdAt: daysAgo(40) } });
    const real = planRotation(config(), observed(c, r), NOW, RUN);
    const dry = planRotation(config({ dryRun: true }), observed(c, r), NOW, RUN);
    expect(dry).toEqual(real);
  });
});

describe('when a secret is due', () => {
  it('a tenth of max-secret-age-days early, at most three days: a daily schedule with a late run still rotates daily', () => {
    expect(dueAgeDays(30)).toBe(27);
    expect(dueAgeDays(365)).toBe(362);
    expect(dueAgeDays(1)).toBeCloseTo(0.9);
    expect(nextRotationDue({ hint: 'a', createdAt: '2026-01-01T04:17:00.000Z' }, 30)).toBe('2026-01-28T04:17:00.000Z');
  });
});

describe('secretsToRetire', () => {
  const delivered = { hint: 'new01', createdAt: daysAgo(0) };
  const secrets = [secret('old03', 30), secret('old02', 20), secret('old01', 10), secret('new01', 0)];

  it('never retires the delivered secret, keeps keep-previous newest older ones', () => {
    expect(hints(secretsToRetire(secrets, delivered, 0, { retireNewer: false }))).toEqual(['old03', 'old02', 'old01']);
    expect(hints(secretsToRetire(secrets, delivered, 2, { retireNewer: false }))).toEqual(['old03']);
    expect(hints(secretsToRetire(secrets, delivered, 3, { retireNewer: false }))).toEqual([]);
  });

  it('never retires a secret newer than the delivered one after a rotation', () => {
    const withNewer = [...secrets, { hint: 'race1', createdAt: new Date(NOW + 1000).toISOString() }];
    expect(hints(secretsToRetire(withNewer, delivered, 0, { retireNewer: false }))).not.toContain('race1');
    expect(hints(secretsToRetire(withNewer, delivered, 0, { retireNewer: true }))).toContain('race1');
  });

  it('never deletes a secret that shares its hint with the delivered one (deletion goes by hint)', () => {
    const sameHint = [secret('new01', 40), { hint: 'new01', createdAt: delivered.createdAt }];
    expect(secretsToRetire(sameHint, delivered, 0, { retireNewer: false })).toEqual([]);
  });

  it('on a repair, counts every other secret against keep-previous-secrets, oldest retired first', () => {
    const withHandAdded = [secret('old01', 10), secret('new01', 0), { hint: 'hand1', createdAt: new Date(NOW + 1000).toISOString() }];
    expect(hints(secretsToRetire(withHandAdded, delivered, 3, { retireNewer: true }))).toEqual([]);
    expect(hints(secretsToRetire(withHandAdded, delivered, 1, { retireNewer: true }))).toEqual(['old01']);
    expect(hints(secretsToRetire(withHandAdded, delivered, 0, { retireNewer: true }))).toEqual(['old01', 'hand1']);
  });
});

describe('planRotation with several Talend targets', () => {
  const CONN = 'connection:c0ffee';
  const TASK = 'task:7a5k';
  const three = config({ talendConnectionIds: ['c0ffee'], talendTaskIds: ['7a5k'] });
  const held = (key: string, hint = 'aaaaa', ageDays = 10, pending: { hint: string; createdAt: string }[] = []) => ({
    key,
    delivered: { hint, createdAt: daysAgo(ageDays) },
    pending,
  });
  const all = (...extra: ReturnType<typeof held>[]) => record({ targets: [held(TMC_KEY), held(CONN), held(TASK), ...extra] });

  it('changes nothing while every target holds the recorded secret, and delivers to all three when one is due', () => {
    expect(planRotation(three, observed(client(), all()), NOW, RUN).result).toBe('unchanged');
    const due = planRotation(config({ ...three, rotate: 'always' }), observed(client(), all()), NOW, RUN);
    expect(due.result).toBe('rotated');
    expect(stepOf(due, 'deliver-to-talend')?.targets.map((t) => t.key)).toEqual([TMC_KEY, CONN, TASK]);
  });

  it('a target new to the record gets a new secret, and until then Talend may hold any secret', () => {
    const plan = planRotation(three, observed(client(), record({ targets: [held(TMC_KEY), held(TASK)] })), NOW, RUN);
    expect(stepOf(plan, 'create-secret')?.reason).toEqual({ why: 'new-target', target: CONN });
    expect(plan.talendMayHold).toBe('any');
  });

  it('targets holding different secrets, or one with a delivery of unknown outcome, get a new secret; both secrets stay protected', () => {
    const c = client({ secrets: [secret('aaaaa', 10), secret('bbbbb', 5)] });
    const differ = planRotation(three, observed(c, record({ targets: [held(TMC_KEY), held(CONN, 'bbbbb', 5), held(TASK)] })), NOW, RUN);
    expect(stepOf(differ, 'create-secret')?.reason).toEqual({ why: 'targets-differ' });
    expect(differ.talendMayHold).toEqual(c.secrets);
    const pending = planRotation(three, observed(c, record({ targets: [held(TMC_KEY), held(CONN, 'aaaaa', 10, [{ hint: 'bbbbb', createdAt: daysAgo(5) }]), held(TASK)] })), NOW, RUN);
    expect(stepOf(pending, 'create-secret')?.reason).toEqual({ why: 'pending-delivery' });
    expect(pending.talendMayHold).toEqual(c.secrets);
  });

  it('a recorded target the inputs no longer name keeps its secret: never retired, never deleted to make room, named in notInInputs', () => {
    const old = 'connection:gone';
    const c = client({ secrets: [secret('ooooo', 50), secret('xxxxx', 40), secret('aaaaa', 10)] });
    const r = record({ targets: [held(TMC_KEY), held(CONN), held(TASK), held(old, 'ooooo', 50)] });
    const repair = planRotation(three, observed(c, r), NOW, RUN);
    expect(repair.notInInputs).toEqual([old]);
    expect(retireOf(repair).map((s) => s.hint)).toEqual(['xxxxx']);
    const rotation = planRotation(config({ ...three, rotate: 'always' }), observed(c, r), NOW, RUN);
    expect(stepOf(rotation, 'retire-older-secrets')?.protect.map((s) => s.hint)).toEqual(['ooooo']);
    expect(stepOf(rotation, 'deliver-to-talend')?.drop).toEqual([]);
    const full = client({ secrets: [secret('ooooo', 50), secret('x1', 40), secret('x2', 30), secret('x3', 20), secret('aaaaa', 10)] });
    expect(makeRoomOf(planRotation(config({ ...three, rotate: 'always' }), observed(full, r), NOW, RUN)).map((s) => s.hint)).toEqual(['x1']);
  });

  it("with 'retarget: true' a recorded target outside the inputs is dropped once every named target holds a new secret", () => {
    const r = record({ targets: [held(TMC_KEY), held(CONN), held(TASK), held('task:old', 'aaaaa')] });
    const plan = planRotation(config({ ...three, retarget: true }), observed(client(), r), NOW, RUN);
    expect(stepOf(plan, 'create-secret')?.reason).toEqual({ why: 'retarget' });
    expect(stepOf(plan, 'deliver-to-talend')?.drop).toEqual(['task:old']);
    expect(stepOf(plan, 'retire-older-secrets')?.protect).toEqual([]);
    expect(plan.notInInputs).toEqual([]);
  });

  it("a recorded TMC setting is not 'another TMC' when this run names no TMC setting: its secret is kept", () => {
    const onlyConnections = config({ talendQlikAuthUrl: undefined, talendConnectionIds: ['c0ffee'] });
    const plan = planRotation(onlyConnections, observed(client(), record({ targets: [held(TMC_KEY), held(CONN)] })), NOW, RUN);
    expect(plan.result).toBe('unchanged');
    expect(plan.notInInputs).toEqual([TMC_KEY]);
  });
});

describe('planRotation: the TMC setting with and without a trailing slash', () => {
  it('is one target: a record written for one form is not "another TMC" for the other', () => {
    const slashed = parseDescription(renderDescription('', record({ targets: [{ key: `${TMC_KEY}/`, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] }] }))).record!;
    expect(slashed.targets.map((t) => t.key)).toEqual([TMC_KEY]);
    expect(planRotation(config(), observed(client(), slashed), NOW, RUN).result).toBe('unchanged');
    expect(planRotation(config({ talendQlikAuthUrl: 'https://api.eu.cloud.talend.example/tmc/qlik/' }), observed(client(), record()), NOW, RUN).result).toBe('unchanged');
  });
});

describe("planRotation: the record must fit in the client's description all through the run", () => {
  const six = config({ talendConnectionIds: ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'], rotate: 'always' });
  const held = (key: string) => ({ key, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] });
  const r = record({ targets: [TMC_KEY, ...['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => `connection:${id}`)].map(held) });
  const withText = (n: number) => ({ ...observed(client(), r), userText: 'x'.repeat(n) });

  it('3,300 characters of the user\'s own text and six connections: refused before any change, saying how long each part is', () => {
    expect(() => planRotation(six, withText(3300), NOW, RUN, 'https://github.example/o/r/actions/runs/7')).toThrow(
      /Qlik allows 4096 characters, the record needs \d+ and the description's own text has 3300 .*delivers to 7/,
    );
  });

  it('the same text with one target fits; a plan that changes nothing is never refused for it', () => {
    expect(planRotation(config({ rotate: 'always' }), { ...observed(client(), record()), userText: 'x'.repeat(3300) }, NOW, RUN).result).toBe('rotated');
    expect(planRotation(config({ ...six, rotate: 'auto' }), withText(3900), NOW, RUN).result).toBe('unchanged');
  });
});

describe('planRotation after a leak (revoke-tokens)', () => {
  it('revokes the bot user\'s tokens after retiring the old secrets', () => {
    const plan = planRotation(config({ rotate: 'always', revokeTokens: true }), observed(client(), record()), NOW, RUN);
    expect(plan.steps.map((s) => s.step).slice(-2)).toEqual(['retire-older-secrets', 'revoke-tokens']);
  });

  it('a recorded target the inputs do not name would keep the leaked secret valid: refused before any change, naming retarget', () => {
    const r = record({ targets: [{ key: TMC_KEY, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] }, { key: 'connection:left', delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] }] });
    expect(() => planRotation(config({ rotate: 'always', revokeTokens: true }), observed(client(), r), NOW, RUN)).toThrow(/TMC connection left still hold\(s\) an older secret .*'retarget: true'/);
    expect(stepOf(planRotation(config({ rotate: 'always', revokeTokens: true, retarget: true }), observed(client(), r), NOW, RUN), 'revoke-tokens')).toBeDefined();
  });

  it('a run that makes no new secret revokes nothing, and says so', () => {
    const plan = planRotation(config({ revokeTokens: true }), observed(client(), record()), NOW, RUN);
    expect(plan.result).toBe('unchanged');
    expect(plan.warnings).toContainEqual({ kind: 'revoke-without-rotation' });
  });
});

describe('planRotation without any Talend target', () => {
  it('refuses to plan: a rotation would retire what every target holds', () => {
    expect(() => planRotation(config({ talendQlikAuthUrl: undefined }), observed(client(), record()), NOW, RUN)).toThrow(/No Talend target/);
  });
});

describe('make room with several targets: what the record names is never deleted', () => {
  const full = client({ secrets: [secret('s1111', 50), secret('s2222', 40), secret('s3333', 30), secret('s4444', 20), secret('s5555', 10)] });
  const held = (key: string, hint: string, ageDays: number) => ({ key, delivered: { hint, createdAt: daysAgo(ageDays) }, pending: [] });

  it("reclaim-unrecorded-secrets deletes the oldest secret no target is recorded to hold, never one a target outside the inputs holds", () => {
    // A target is new (so Talend may hold anything), and the connection the inputs no longer name holds the oldest secret.
    const r = record({ targets: [held(TMC_KEY, 's5555', 10), held('connection:c0ffee', 's1111', 50)] });
    const cfg = config({ talendConnectionIds: ['beef'], reclaimUnrecordedSecrets: true });
    const plan = planRotation(cfg, observed(full, r), NOW, RUN);
    expect(plan.talendMayHold).toBe('any');
    expect(makeRoomOf(plan).map((s) => s.hint)).toEqual(['s2222']);
    expect(() => planRotation(config({ talendConnectionIds: ['beef'] }), observed(full, r), NOW, RUN)).toThrow(
      /The record does not say what every Talend target holds .* the ones it names are never deleted/,
    );
  });

  it('a target whose first delivery was refused still holds something unknown: nothing is deleted to make room', () => {
    // Run 1 added connection c0ffee (a secret pasted by hand in it) and it refused: the record knows the key, not what it holds.
    const r = record({ targets: [held(TMC_KEY, 's4444', 20), { key: 'connection:c0ffee', delivered: null, pending: [] }] });
    const cfg = config({ talendConnectionIds: ['c0ffee'] });
    const plan = () => planRotation(cfg, observed(full, r), NOW, RUN);
    expect(plan).toThrow(/none can be deleted safely/);
    const reclaim = planRotation(config({ ...cfg, reclaimUnrecordedSecrets: true }), observed(full, r), NOW, RUN);
    expect(makeRoomOf(reclaim).map((s) => s.hint)).toEqual(['s1111']);
  });
});

describe('planRotation: a connection or task that names another client', () => {
  const CONN = 'connection:c0ffee';
  const cfg = config({ talendConnectionIds: ['c0ffee'] });
  const r = record({ targets: [{ key: TMC_KEY, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] }, { key: CONN, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] }] });

  it('gets a new secret, whatever rotate says; the same client ID, or one Talend does not show, changes nothing', () => {
    const names = (clientId: string | undefined) => ({ [CONN]: { clientId, hidden: [], idHidden: clientId === undefined, secretValue: undefined } });
    const drifted = { ...observed(client(), r), targets: names('someone-elses-client') };
    for (const rotate of ['auto', 'never'] as const) {
      expect(stepOf(planRotation(config({ ...cfg, rotate }), drifted, NOW, RUN), 'create-secret')?.reason).toEqual({ why: 'target-drifted', target: CONN });
    }
    expect(planRotation(cfg, { ...observed(client(), r), targets: names('client-1') }, NOW, RUN).result).toBe('unchanged');
    expect(planRotation(cfg, { ...observed(client(), r), targets: names(undefined) }, NOW, RUN).result).toBe('unchanged');
  });
});
