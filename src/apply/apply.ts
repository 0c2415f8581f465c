/**
 * Carries out the final RotationPlan (docs/protocol.md, the Repair step to the Retire step) and, on
 * failure, exactly the compensation the protocol prescribes. It holds no rotation rules of its own:
 * what each target holds after each answer, and which secrets may go, are holdings.ts's; the record
 * and the lease are the RecordStore's. It walks the plan's steps in order, logs each change as it
 * completes, and returns what happened as an `Outcome`, with the failure that stopped it, if any.
 */
import type { Config } from '../config.js';
import { RunFailure } from '../core/failure.js';
import {
  type DeliveryAnswer,
  type TargetState,
  afterAllStored,
  answerOf,
  confirmedByCheck,
  heldNowhere,
  mayDeleteUndelivered,
  retireAfterDelivery,
  settleDeliveries,
  withNewPending,
  withoutPending,
} from '../core/holdings.js';
import { type NewSecretValue, type Outcome, initialOutcome } from '../core/outcome.js';
import type { ObservedState, PlanStep, RotationPlan, StepOf } from '../core/plan-model.js';
import { type SecretRef, sameSecret } from '../core/secret-ref.js';
import { configuredTargets, describeTarget } from '../core/targets.js';
import type { RunBudget } from '../http/budget.js';
import type { QlikApi } from '../qlik/client.js';
import type { ClientSecretMeta } from '../qlik/model.js';
import type { TalendApi } from '../talend/client.js';
import { createOwnClient } from './create-client.js';
import { detachTargets, disconnectTmc } from './decommission.js';
import { noteKeptScopes, repairClient } from './repair-client.js';
import type { RecordStore } from './record-store.js';
import { runTaskCheck } from './task-check.js';
import { verifySecret } from './verify-secret.js';

export interface ApplyContext {
  config: Config;
  qlik: QlikApi;
  talend: TalendApi;
  budget: RunBudget;
  runId: string;
  runUrl: string | undefined;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
}

/** What apply did; `failure` is what stopped it, if anything did (the outcome is as far as it got). */
export interface Applied {
  outcome: Outcome;
  failure?: unknown;
}

/**
 * Walks the final plan. `observed`: the read the plan was made on (after the lease, for an existing
 * client); `store`: the record, with the lease already taken. The lease is released at the end,
 * also on failure.
 */
export async function applyPlan(plan: RotationPlan, observed: ObservedState, ctx: ApplyContext, store: RecordStore): Promise<Applied> {
  const run = new Run(ctx, store, initialOutcome(observed, configuredTargets(ctx.config).map((t) => t.key), plan), observed.client?.clientId ?? '');
  let failure: unknown;
  try {
    await run.execute(plan.steps);
  } catch (err) {
    failure = err;
  }
  await store.release();
  return failure === undefined ? { outcome: run.snapshot() } : { outcome: run.snapshot(), failure };
}

/** Steps that go into one JSON Patch of the client. */
const PATCH_REPAIRS = new Set<PlanStep['step']>(['repair-grant-types', 'repair-auth-methods', 'repair-scopes']);

class Run {
  /** The verification token's revocation, overlapping the pending write (never rejects). */
  private revocation: Promise<void> = Promise.resolve();
  /** The new secret, once the create-client or create-secret step made it. */
  private newSecret: NewSecretValue | undefined;
  /** A decommission deleted the client: nothing of it is left to write to. */
  private clientDeleted = false;

  constructor(
    private readonly ctx: ApplyContext,
    private readonly store: RecordStore,
    /** Private to this run; the report gets snapshots. */
    private readonly outcome: Outcome,
    private clientId: string,
  ) {}

  snapshot(): Outcome {
    return { ...this.outcome, done: [...this.outcome.done], secrets: [...this.outcome.secrets], targets: [...this.outcome.targets], warnings: [...this.outcome.warnings] };
  }

  /** Logs a completed change as it happens, and keeps it for the report. */
  private done(change: string): void {
    this.outcome.done.push(change);
    this.ctx.log(`Done: ${change}`);
  }

  /** Logs a completed step that changed nothing by itself (a check, a record write). */
  private stepDone(what: string): void {
    this.ctx.log(`Done: ${what}`);
  }

  async execute(steps: PlanStep[]): Promise<void> {
    let patched = false;
    for (const step of steps) {
      if (PATCH_REPAIRS.has(step.step)) {
        // One JSON Patch for every repair of the client itself, at the first of them.
        if (!patched) await this.repair(steps);
        patched = true;
        continue;
      }
      await this.carryOut(step);
    }
  }

  private async carryOut(step: PlanStep): Promise<void> {
    switch (step.step) {
      case 'create-client':
        return this.createClient();
      case 'repair-consent':
        await this.ctx.qlik.setConsentTrusted(this.clientId);
        return this.done(`set the consent method to trusted (was ${step.from})`);
      case 'make-room':
        return this.makeRoom(step.secrets);
      case 'create-secret':
        return this.createSecret();
      case 'verify-secret':
        return this.verify(this.requireNewSecret());
      case 'deliver-to-talend':
        return this.deliver(step, this.requireNewSecret());
      case 'check-talend-task':
        return this.check(step);
      case 'write-record':
        await this.store.save({ release: true });
        return this.stepDone('updated the record on the client');
      case 'retire-secrets':
        return this.retire(step.secrets);
      case 'retire-older-secrets':
        return this.retire(retireAfterDelivery(this.outcome.secrets, this.requireNewSecret().meta, step.keep, step.protect));
      case 'revoke-tokens':
        return this.revokeTokens(step);
      case 'detach-targets': {
        for (const state of await detachTargets(this.ctx, step)) this.setTarget(state);
        return this.done(`detached ${step.targets.map((t) => describeTarget(t.key)).join(', ')}`);
      }
      case 'disconnect-tmc':
        await disconnectTmc(this.ctx, step);
        return this.done("disconnected TMC's Qlik Cloud Authentication");
      case 'delete-client':
        return this.deleteClient();
      case 'repair-grant-types':
      case 'repair-auth-methods':
      case 'repair-scopes':
        // Carried out together by repair().
        return;
    }
  }

  private requireNewSecret(): NewSecretValue {
    if (!this.newSecret) throw new Error('The plan uses a new secret before a step creates one.');
    return this.newSecret;
  }

  // ---- steps -------------------------------------------------------------------------------

  private async createClient(): Promise<void> {
    const created = await createOwnClient(this.ctx, this.store, {
      created: (clientId) => {
        this.clientId = clientId;
        this.outcome.clientId = clientId;
      },
      done: (change) => this.done(change),
      lost: () => {
        this.outcome.clientId = undefined;
        this.outcome.done = [];
        this.outcome.newSecret = undefined;
      },
    });
    noteKeptScopes(this.ctx, this.store, created.scopes);
    this.newSecret = created.newSecret;
    this.outcome.newSecret = this.newSecret;
    this.outcome.secrets = [created.newSecret.meta];
  }

  /** The repairs of the client itself, as one JSON Patch; a secret Qlik generated meanwhile goes at once. */
  private async repair(steps: PlanStep[]): Promise<void> {
    this.outcome.secrets = await repairClient(this.ctx, this.store, { clientId: this.clientId, steps, secrets: this.outcome.secrets, done: (change) => this.done(change) });
  }

  private async makeRoom(secrets: ClientSecretMeta[]): Promise<void> {
    for (const secret of secrets) {
      await this.ctx.qlik.deleteSecret(this.clientId, secret.hint);
      this.outcome.secrets = this.outcome.secrets.filter((s) => !sameSecret(s, secret));
      this.done(`deleted secret ${secret.hint} to make room`);
    }
  }

  private async createSecret(): Promise<void> {
    const created = await this.ctx.qlik.createSecret(this.clientId);
    const meta: ClientSecretMeta = { hint: created.hint, createdAt: created.createdAt };
    this.newSecret = { value: created.secret, meta };
    this.outcome.newSecret = this.newSecret;
    this.outcome.secrets = [...this.outcome.secrets, meta];
    this.done(`created secret ${created.hint}`);
  }

  /** The Verify step: Qlik must accept the new secret at /oauth/token before Talend gets it. */
  private async verify(newSecret: NewSecretValue): Promise<void> {
    const verdict = await verifySecret(this.ctx, this.clientId, newSecret.value);
    if (verdict.accepted) {
      this.stepDone(`Qlik accepted the new secret ${newSecret.meta.hint} at /oauth/token`);
      const botUserId = verdict.botUserId;
      if (botUserId) this.store.change((r) => ({ ...r, botUserId }));
      this.revocation = verdict.revoked.then((revoked) => {
        if (!revoked) this.ctx.log('Qlik did not confirm that the verification token was revoked; it expires by itself within hours.');
      });
      return;
    }
    const deleted = await this.deleteUndelivered(newSecret);
    await this.store.save({ release: true, until: 'final' });
    throw new RunFailure(`Qlik did not accept the new secret ${newSecret.meta.hint} at /oauth/token (${verdict.why}); ${deleted}.`, {
      nextRun: 'Talend was not touched. The next run creates and verifies a new secret if one is still due, and retires any left-over one.',
    });
  }

  /**
   * The Record pending and Deliver steps: record the new secret as pending at every target, then
   * deliver it to all of them at once. Each outcome is recorded on its own target.
   */
  private async deliver(step: StepOf<'deliver-to-talend'>, newSecret: NewSecretValue): Promise<void> {
    const { meta } = newSecret;
    this.store.change((r) => withNewPending(r, step.targets, meta, this.outcome.secrets));
    await Promise.all([this.store.save({ release: false }), this.revocation]);
    const pair = { clientId: this.clientId, clientSecret: newSecret.value };
    const answers = await Promise.all(
      step.targets.map(async (target): Promise<DeliveryAnswer> => ({ target, result: await answerOf(() => this.ctx.talend.deliver(target, pair, step.shownInClear)) })),
    );
    const settled = settleDeliveries(this.store.record, answers, meta, this.outcome.targets);
    this.store.change(() => settled.record);
    for (const state of settled.states) {
      this.setTarget(state);
      if (state.status === 'delivered') this.done(`delivered secret ${meta.hint} to ${describeTarget(state.key)}`);
    }
    this.outcome.warnings.push(...settled.warnings);
    this.outcome.delivery = settled.delivery;
    const failures = settled.failures.join('; ');
    if (settled.delivery === 'stored') return this.allDelivered(step);
    if (heldNowhere(this.store.record, meta)) {
      // Every target refused: Talend still holds what it held, so the new secret is safe to delete.
      const deleted = await this.deleteUndelivered(newSecret);
      await this.store.save({ release: true, until: 'final' });
      throw new RunFailure(`Talend refused the new secret ${meta.hint} (${failures}); ${deleted}.`, {
        nextRun: 'Talend still holds its previous secret. Fix the cause in TMC; the next run tries a new secret again.',
      });
    }
    // Some target holds or may hold the new secret: it stays, and so does whatever the others may hold.
    await this.store.save({ release: true, until: 'final' });
    if (settled.delivery === 'unknown') {
      throw new RunFailure(`Delivering the new secret ${meta.hint} to Talend had no definite answer: ${failures}`, {
        nextRun:
          'Talend may hold the new secret or the one before it, so both are kept (recorded as pending). The next run rotates again and, once a delivery succeeds, retires them.',
      });
    }
    throw new RunFailure(`Not every Talend target took the new secret ${meta.hint}: ${failures}.`, {
      nextRun: 'Every secret a target holds or may hold is kept. Fix the cause; the next run delivers a new secret to every target and then retires the old ones.',
    });
  }

  /** Every target holds the new secret: record it (and drop what `retarget` drops). */
  private async allDelivered(step: StepOf<'deliver-to-talend'>): Promise<void> {
    for (const key of step.drop) this.setTarget({ key, status: 'dropped', holds: null });
    // With a check configured, the record says "check pending" until it passes: a run killed
    // during the check leaves it to be repeated, and no old secret is retired before it passes.
    const checking = this.ctx.config.talendCheckTaskId !== undefined;
    const check = checking ? { result: 'pending' as const, at: new Date(this.ctx.budget.now()).toISOString() } : null;
    this.store.change((r) => afterAllStored(r, step.drop, check));
    if (step.drop.length > 0) this.ctx.log(`Dropped from the record (retarget): ${step.drop.map(describeTarget).join(', ')}; they lose their secrets.`);
    // The task-run check can take minutes: make the delivery durable first.
    if (checking) await this.store.save({ release: false });
  }

  private setTarget(state: TargetState): void {
    const i = this.outcome.targets.findIndex((t) => t.key === state.key);
    if (i >= 0) this.outcome.targets[i] = state;
    else this.outcome.targets.push(state);
  }

  /**
   * Deletes a secret Talend provably does not hold (Qlik rejected it, or every target refused it)
   * and takes it out of `pending` whether or not the deletion succeeds: the record must not claim
   * Talend may hold it. Says what happened, for the failure message.
   */
  private async deleteUndelivered(newSecret: NewSecretValue): Promise<string> {
    this.store.change((r) => withoutPending(r, newSecret.meta));
    if (!mayDeleteUndelivered(newSecret.meta, this.outcome.secrets)) {
      // Deletion goes by hint: it could hit the secret Talend holds. Talend does not hold this one.
      return 'it was left in Qlik because another secret has the same hint and Qlik deletes by hint (Talend does not hold it; a later run retires it)';
    }
    try {
      // Bounded by the work deadline: the record write after it needs the reserve.
      await this.ctx.qlik.deleteSecret(this.clientId, newSecret.meta.hint);
      this.outcome.secrets = this.outcome.secrets.filter((s) => !sameSecret(s, newSecret.meta));
      newSecret.deleted = true;
      return 'it was deleted from Qlik again';
    } catch (err) {
      // Leaving it is safe: Talend does not hold it. The next run retires it as an extra secret.
      this.ctx.log(`Could not delete the undelivered secret ${newSecret.meta.hint}: ${(err as Error).message}`);
      return `deleting it from Qlik failed too (Talend does not hold it; the next run retires it)`;
    }
  }

  /** The Check step. */
  private async check(step: StepOf<'check-talend-task'>): Promise<void> {
    const { check, detail } = await runTaskCheck(this.ctx, step.taskId);
    this.outcome.check = check;
    this.outcome.checkDetail = detail;
    const passed = check === 'passed';
    this.store.change((r) => ({ ...r, check: { result: passed ? 'passed' : 'failed', at: new Date(this.ctx.budget.now()).toISOString() } }));
    if (passed) {
      this.outcome.targets = confirmedByCheck(this.outcome.targets);
      this.done(step.after === 'unfinished-check' ? 'repeated the Talend task-run check: passed' : 'Talend task-run check passed');
      return;
    }
    await this.store.save({ release: true, until: 'final' });
    throw new RunFailure(`The Talend task-run check of task ${step.taskId} did not pass (${detail}).`, {
      nextRun: 'Nothing was deleted. The next run repeats the check (fix the task or the TMC connection first).',
    });
  }

  /**
   * After a leak: every OAuth token of the client's bot user (they outlive the retired secrets for
   * hours). A failure fails the run and undoes nothing: the rotation stands.
   */
  private async revokeTokens(step: StepOf<'revoke-tokens'>): Promise<void> {
    const botUserId = this.store.record.botUserId;
    const nextRun =
      step.after === 'rotation'
        ? "The rotation stands: Talend holds the new secret and the old ones are retired. Run again with 'rotate: always' and 'revoke-tokens: true', " +
          "or revoke the bot user's tokens in Qlik's Management Console."
        : !this.clientDeleted
          ? 'repeats the decommission (the targets stay detached) and revokes the tokens before it deletes the client.'
          : "finds no client and changes nothing: revoke the bot user's tokens in Qlik's Management Console (they expire within hours anyway).";
    if (!botUserId) {
      throw new RunFailure("Could not revoke the OAuth tokens of the client's bot user: the token Qlik gave to verify the new secret does not name its user.", { nextRun });
    }
    let revoked: number;
    try {
      revoked = await this.ctx.qlik.revokeTokensOf(botUserId);
    } catch (err) {
      throw new RunFailure(`Revoking the OAuth tokens of the client's bot user ${botUserId} failed: ${(err as Error).message}`, { nextRun });
    }
    // The output counts every revocation of the run; each change says what it did itself.
    this.outcome.tokensRevoked = (this.outcome.tokensRevoked ?? 0) + revoked;
    this.done(`revoked ${revoked} OAuth token(s) of the client's bot user ${botUserId}`);
  }

  /** The decommission's end: the client, its secrets and its record (the lease with it). */
  private async deleteClient(): Promise<void> {
    await this.ctx.qlik.deleteClient(this.clientId, 'deleting the OAuth client (decommission)');
    this.store.forgetClient();
    this.clientDeleted = true;
    this.outcome.secrets = [];
    this.done('deleted the OAuth client (Qlik keeps its bot user)');
  }

  /** The Retire step: a failed deletion fails the run; the next run retires and reports `repaired`. */
  private async retire(secrets: SecretRef[]): Promise<void> {
    for (const secret of secrets) {
      try {
        await this.ctx.qlik.deleteSecret(this.clientId, secret.hint);
      } catch (err) {
        throw new RunFailure(`Retiring the old secret ${secret.hint} failed: ${(err as Error).message}`, {
          nextRun: 'Talend holds the new secret; the next run retires the old ones and reports `repaired`.',
        });
      }
      this.outcome.secrets = this.outcome.secrets.filter((s) => !sameSecret(s, secret));
      this.done(`retired secret ${secret.hint}`);
    }
  }
}
