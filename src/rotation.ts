/**
 * The stages between Read state and Report, in one place (docs/protocol.md, the Plan and Lease
 * steps): plan on what was read; a dry run, a plan another run's lease blocks, or a plan without
 * changes stops there. Otherwise take the lease on an existing client, read it again, plan again on
 * the fresh read (what Read state saw in Talend still counts), and apply that final plan.
 */
import { type ApplyContext, type Applied, applyPlan } from './apply/apply.js';
import { RecordStore } from './apply/record-store.js';
import { RunFailure } from './core/failure.js';
import { initialOutcome } from './core/outcome.js';
import { planDecommission } from './core/decommission.js';
import { planRotation } from './core/plan.js';
import { type ObservedState, type RotationPlan, observedClient, replanned } from './core/plan-model.js';
import { configuredTargets } from './core/targets.js';
import { proveShownInClear } from './read-state.js';
import { plainText } from './untrusted-text.js';

/** How the caller shows the stages: the first plan before anything changes, and the changes as one group. */
export interface StageHooks {
  showPlan(plan: RotationPlan): void;
  applying(changes: () => Promise<Applied>): Promise<Applied>;
}

const QUIET: StageHooks = { showPlan: () => undefined, applying: (changes) => changes() };

/** What the run did, as far as it got. Never throws for a failure of the run: that is `failure`. */
export async function planAndApply(read: ObservedState, ctx: ApplyContext, hooks: StageHooks = QUIET): Promise<Applied> {
  const keys = configuredTargets(ctx.config).map((t) => t.key);
  let observed = read;
  const planner = ctx.config.operation === 'decommission' ? planDecommission : planRotation;
  const plan = (o: ObservedState) => planner(ctx.config, o, ctx.budget.now(), ctx.runId, ctx.runUrl);
  // What was found is reported also when planning stops the run.
  let outcome = initialOutcome(observed, keys);
  const store = new RecordStore(ctx);
  try {
    let first = plan(observed);
    outcome = initialOutcome(observed, keys, first);
    hooks.showPlan(first);
    if (ctx.config.dryRun || first.result === 'unchanged') return { outcome };
    if (first.needsProof.length > 0 && observed.client) {
      // Reading Qlik's verdict on a secret a target shows: changes nothing, and only when needed.
      const candidates = first.needsProof.flatMap((key) => observed.targets?.[key]?.secretValue ?? []);
      observed = { ...observed, shownInClear: await proveShownInClear(ctx.qlik, observed.client.clientId, candidates) };
      first = plan(observed);
      outcome = initialOutcome(observed, keys, first);
    }
    if (first.blockedBy) {
      throw new RunFailure(`Another run is changing this OAuth client (its lease expires at ${plainText(first.blockedBy.expiresAt, 40)}); this run changed nothing.`, {
        changedNothing: true,
        nextRun: 'Re-run after the lease expires. Use a `concurrency:` group per environment so runs do not overlap.',
      });
    }
    return await hooks.applying(async () => {
      let final = first;
      let current = observed;
      if (observed.client) {
        // An existing client: lease it, then plan again on what the read-back shows.
        current = { ...observed, ...observedClient(await store.takeLease(observed.client)) };
        final = replanned(plan(current), first);
        outcome = initialOutcome(current, keys, final);
        if (final.result === 'unchanged') {
          ctx.log('After taking the lease the client needs no change any more.');
          await store.release();
          return { outcome };
        }
      }
      return applyPlan(final, current, ctx, store);
    });
  } catch (failure) {
    await store.release();
    return { outcome, failure };
  }
}
