import { describe, expect, it } from 'vitest';
import { planDecommission } from '../../src/core/decommission.js';
import { PlanError } from '../../src/core/plan-model.js';
import { DEFAULT_QLIK_AUTH_REQUEST } from '../../src/talend/qlik-auth-request.js';
import { NOW, TMC_KEY, client, config, daysAgo, observed, record } from './fixtures.js';

const RUN = 'run-1';
const inspection = { clientId: 'client-1', hidden: [], idHidden: false, secretValue: undefined };
const held = (key: string) => ({ key, delivered: { hint: 'aaaaa', createdAt: daysAgo(10) }, pending: [] });
const decommission = config({ operation: 'decommission', confirmDecommission: 'client-1', talendConnectionIds: ['c1'] });
const withTargets = (r = record({ targets: [held(TMC_KEY), held('connection:c1'), held('task:t-old')], botUserId: 'bot-1' })) => ({
  ...observed(client(), r),
  targets: { 'connection:c1': inspection, 'task:t-old': inspection },
});

describe('planDecommission', () => {
  it('detaches every target the inputs or the record name, revokes the bot user\'s tokens around the deletion, and leaves TMC to a person without a disconnect request', () => {
    const plan = planDecommission(decommission, withTargets(), NOW, RUN);
    expect(plan.result).toBe('decommissioned');
    expect(plan.steps.map((s) => s.step)).toEqual(['detach-targets', 'revoke-tokens', 'delete-client', 'revoke-tokens']);
    const detach = plan.steps[0] as Extract<(typeof plan.steps)[number], { step: 'detach-targets' }>;
    expect(detach.targets.map((t) => t.key)).toEqual(['connection:c1', 'task:t-old']);
    expect(plan.warnings).toContainEqual({ kind: 'press-disconnect', targets: [TMC_KEY] });
    expect(plan.warnings).toContainEqual({ kind: 'bot-user-stays', botUserId: 'bot-1' });
  });

  it('disconnects TMC with the request when it names the recorded setting; a recorded connection Talend no longer has is not detached', () => {
    const url = 'https://api.eu.cloud.talend.example/tmc/qlik';
    const cfg = config({ ...decommission, talendQlikAuthDisconnect: { ...DEFAULT_QLIK_AUTH_REQUEST, method: 'DELETE', body: undefined, url } });
    const plan = planDecommission(cfg, { ...withTargets(), targets: { 'connection:c1': inspection } }, NOW, RUN);
    expect(plan.steps.map((s) => s.step)).toEqual(['detach-targets', 'disconnect-tmc', 'revoke-tokens', 'delete-client', 'revoke-tokens']);
    expect(plan.warnings.filter((w) => w.kind === 'press-disconnect')).toEqual([]);
  });

  it('stops before any change when confirm-decommission is not the client found', () => {
    expect(() => planDecommission(config({ ...decommission, confirmDecommission: 'client-2' }), withTargets(), NOW, RUN)).toThrow(PlanError);
    expect(() => planDecommission(config({ ...decommission, confirmDecommission: 'client-2' }), withTargets(), NOW, RUN)).toThrow(/does not name the OAuth client found/);
  });

  it('finds nothing to do once the client is gone: a rerun changes nothing', () => {
    expect(planDecommission(decommission, observed(null, null), NOW, RUN)).toMatchObject({ result: 'unchanged', steps: [] });
  });

  it('without the bot user in the record, deletes the client and says how to find the bot user', () => {
    const plan = planDecommission(decommission, withTargets(record({ targets: [held(TMC_KEY)] })), NOW, RUN);
    expect(plan.steps.map((s) => s.step)).toEqual(['detach-targets', 'delete-client']);
    expect(plan.warnings).toContainEqual({ kind: 'bot-user-stays', botUserId: null });
  });
});
