/**
 * The decommission's Talend steps: detach every connection and task (their pair emptied, all else
 * kept), and disconnect TMC's setting with the user's request. Any target that did not say it
 * took the change stops the run before the client is deleted: a deleted client cannot be
 * detached from again, and TMC would keep a pair that no longer works.
 */
import type { Config } from '../config.js';
import { RunFailure } from '../core/failure.js';
import { type DeliveryResult, type TargetState, answerOf, describeRefusal } from '../core/holdings.js';
import type { StepOf } from '../core/plan-model.js';
import { describeTarget } from '../core/targets.js';
import type { TalendApi } from '../talend/client.js';

const NEXT_RUN = 'detaches again (a detached target stays detached) and, once every Talend target took it, deletes the client.';

/** Detaches each target at once; resolves to their states, or throws naming each that did not take it. */
export async function detachTargets(deps: { talend: TalendApi }, step: StepOf<'detach-targets'>): Promise<TargetState[]> {
  const results = await Promise.all(step.targets.map(async (target) => ({ target, result: await answerOf(() => deps.talend.detach(target, step.shownInClear)) })));
  const failures = results.flatMap(({ target, result }) => (result.outcome === 'stored' ? [] : [`${describeTarget(target.key)}: ${describe(result)}`]));
  if (failures.length > 0) {
    throw new RunFailure(`Not every Talend target could be detached, so the OAuth client was not deleted: ${failures.join('; ')}.`, { nextRun: NEXT_RUN });
  }
  return results.map(({ target }) => ({ key: target.key, status: 'detached', holds: null }));
}

/** Disconnects TMC's Qlik Cloud Authentication, or throws: the client is not deleted while TMC may still use it. */
export async function disconnectTmc(deps: { talend: TalendApi; config: Config }, step: StepOf<'disconnect-tmc'>): Promise<void> {
  const request = deps.config.talendQlikAuthDisconnect;
  if (!request) throw new Error('The plan disconnects TMC without a talend-qlik-auth-disconnect-request.');
  const result = await answerOf(() => deps.talend.disconnectQlikAuth(request, step.url));
  if (result.outcome !== 'stored') {
    throw new RunFailure(`TMC's Qlik Cloud Authentication was not disconnected (${describe(result)}), so the OAuth client was not deleted.`, { nextRun: NEXT_RUN });
  }
}

function describe(result: Exclude<DeliveryResult, { outcome: 'stored' }>): string {
  return result.outcome === 'unknown' ? result.detail : describeRefusal(result);
}
