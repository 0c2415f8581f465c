/**
 * Carries out a RotationPlan (docs/protocol.md, the Lease step to the Retire step) and, on failure,
 * exactly the compensation the protocol prescribes. It holds no rotation rules of its own: it walks
 * the plan's steps in order, logs each as it completes, and returns what happened as an `Outcome`
 * (a failure carries the outcome so far) for the report.
 */
import type { Config } from '../config.js';
import type { RunBudget } from '../http/budget.js';
import type { JsonPatchOp, QlikApi } from '../qlik/client.js';
import type { ClientSecretMeta, OAuthClient } from '../qlik/model.js';
import type { TalendApi } from '../talend/client.js';
import { ApplyFailure, type NewSecretValue, type Outcome, type TargetState, commonHolding, initialOutcome } from './outcome.js';
import {
  type ObservedState,
  type PlanStep,
  type RotationPlan,
  type StepOf,
  deletableByHint,
  planRotation,
  secretsToRetire,
  sortedSet,
  stepOf,
  withoutHintsOf,
} from './plan.js';
import { configuredTargets, describeTarget } from './targets.js';
import { type DeliveryAnswer, settleDeliveries, withNewPending } from './deliveries.js';
import { registerSecret } from '../secrets.js';
import { plainText } from '../untrusted-text.js';
import { RunFailure } from './failure.js';
import {
  DESCRIPTION_MAX,
  EMPTY_RECORD,
  type RotationRecord,
  type SecretRef,
  parseDescription,
  recordsEqual,
  renderDescription,
  sameSecret,
} from './record.js';

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

/** Walks the plan. Resolves to what happened; rejects with an ApplyFailure that carries it. */
export async function applyPlan(plan: RotationPlan, observed: ObservedState, ctx: ApplyContext): Promise<Outcome> {
  const run = new Run(ctx, initialOutcome(observed, configuredTargets(ctx.config).map((t) => t.key), plan));
  if (plan.result === 'unchanged') return run.snapshot();
  try {
    await run.execute(plan, observed);
  } catch (err) {
    await run.releaseLease();
    throw new ApplyFailure(err, run.snapshot());
  }
  await run.releaseLease();
  return run.snapshot();
}

/** A long wait logs its progress at most this often. */
const WAIT_LOG_INTERVAL_MS = 5_000;

/** Steps that go into one JSON Patch of the client. */
const PATCH_REPAIRS = new Set<PlanStep['step']>(['repair-grant-types', 'repair-auth-methods', 'repair-scopes']);

class Run {
  private clientId = '';
  private userText = '';
  /** The record as stored in Qlik right now (null: none stored yet). */
  private stored: RotationRecord | null = null;
  private record: RotationRecord = { ...EMPTY_RECORD };
  private leaseHeld = false;
  /** The lease write had no definite answer: it may be in the record, and must not be left there. */
  private leaseUncertain = false;
  /** The verification token's revocation, overlapping the pending write (never rejects). */
  private revocation: Promise<void> = Promise.resolve();

  /** The new secret, once the create-client or create-secret step made it. */
  private newSecret: NewSecretValue | undefined;

  constructor(
    private readonly ctx: ApplyContext,
    /** Private to this run; the report gets snapshots. */
    private readonly outcome: Outcome,
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

  /**
   * For a long wait: returns a function that logs a line (given the seconds waited) at most every
   * few seconds, so a real runner's log shows the run is alive without one line per poll.
   */
  private waitLogger(): (line: (seconds: number) => string) => void {
    const { budget } = this.ctx;
    const started = budget.now();
    let last = started;
    return (line) => {
      const now = budget.now();
      if (now - last < WAIT_LOG_INTERVAL_MS) return;
      last = now;
      this.ctx.log(line(Math.round((now - started) / 1000)));
    };
  }

  async execute(initialPlan: RotationPlan, observed: ObservedState): Promise<void> {
    let plan = initialPlan;
    if (!stepOf(plan, 'create-client')) {
      // An existing client: lease it, then plan again on what the read-back shows.
      const client = await this.acquireLease(observed);
      // What Talend showed in Read state still counts: the lease read-back is of Qlik only.
      plan = planRotation(this.ctx.config, { ...this.observed(client), targetClientIds: observed.targetClientIds }, this.ctx.budget.now(), this.ctx.runId);
      this.outcome.plan = plan;
      if (plan.result === 'unchanged') {
        this.ctx.log('After taking the lease the client needs no change any more.');
        return;
      }
      this.outcome.secrets = client.secrets;
    }
    let patched = false;
    for (const step of plan.steps) {
      if (PATCH_REPAIRS.has(step.step)) {
        // One JSON Patch for every repair of the client itself, at the first of them.
        if (!patched) await this.repair(plan.steps);
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
        await this.writeRecord({ release: true });
        return this.stepDone('updated the record on the client');
      case 'retire-secrets':
        return this.retire(step.secrets);
      case 'retire-older-secrets':
        return this.retire(withoutHintsOf(secretsToRetire(this.outcome.secrets, this.requireNewSecret().meta, step.keep, { retireNewer: false }), step.protect));
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

  private observed(client: OAuthClient): ObservedState {
    const parsed = parseDescription(client.description);
    return { client, record: parsed.record, recordState: parsed.state };
  }

  // ---- lease -------------------------------------------------------------------------------

  /**
   * Qlik offers no compare-and-swap, so the lease is write, wait, read back: two runs that both
   * wrote a lease see the later write, and only its holder proceeds.
   */
  private async acquireLease(observed: ObservedState): Promise<OAuthClient> {
    const client = observed.client as OAuthClient;
    this.clientId = client.clientId;
    const parsed = parseDescription(client.description);
    this.userText = parsed.userText;
    this.stored = parsed.record;
    // No record yet: the lease starts one, marked so that nobody reads "nothing delivered" into it.
    this.record = { ...(parsed.record ?? { ...EMPTY_RECORD, unknownHolder: true }), lease: this.lease() };
    try {
      await this.patchDescription('taking the lease on the OAuth client');
    } catch (err) {
      this.leaseUncertain = true;
      throw err;
    }
    this.leaseHeld = true;
    await this.ctx.sleep(this.ctx.budget.leaseSettleMs);
    const fresh = await this.ctx.qlik.getClient(this.clientId);
    if (!fresh) throw new RunFailure('The OAuth client disappeared from Qlik while the run was starting.', { changedNothing: true });
    const freshParsed = parseDescription(fresh.description);
    if (freshParsed.state === 'duplicate') {
      // Another writer added a second block meanwhile: nobody can tell which record is true.
      this.leaseHeld = false;
      throw new RunFailure("The OAuth client's description now holds two record blocks (another writer?); this run changed nothing else.", {
        nextRun: "fails until only one record block is left: delete the older one in Qlik's admin page.",
      });
    }
    const holder = freshParsed.record?.lease?.holder;
    if (holder !== this.ctx.runId) {
      this.leaseHeld = false;
      throw new RunFailure(
        `Another run took the lease on the OAuth client at the same time (lease held until ${plainText(freshParsed.record?.lease?.expiresAt ?? 'unknown', 40)}); this run changed nothing.`,
        { changedNothing: true, nextRun: 'Re-run after that; use a `concurrency:` group per environment so runs do not overlap.' },
      );
    }
    this.userText = freshParsed.userText;
    this.stored = freshParsed.record;
    this.record = freshParsed.record ?? this.record;
    this.outcome.secrets = fresh.secrets;
    return fresh;
  }

  private lease() {
    return { holder: this.ctx.runId, expiresAt: new Date(this.ctx.budget.deadline).toISOString() };
  }

  /** Lets the next run proceed at once instead of waiting for the lease to expire. Never throws. */
  async releaseLease(): Promise<void> {
    if (!this.leaseHeld && !this.leaseUncertain) return;
    try {
      if (this.leaseUncertain) {
        // Release only a lease that is really ours: another run's must stay.
        const client = await this.ctx.qlik.getClient(this.clientId);
        const parsed = parseDescription(client?.description);
        if (!client || parsed.record?.lease?.holder !== this.ctx.runId) return;
        this.userText = parsed.userText;
        this.stored = parsed.record;
        this.record = parsed.record;
      }
      await this.writeRecord({ release: true, until: 'final' });
    } catch (err) {
      this.ctx.log(`Could not release the lease (it expires at ${this.record.lease?.expiresAt}): ${(err as Error).message}`);
    }
  }

  // ---- steps -------------------------------------------------------------------------------

  private async createClient(): Promise<void> {
    const { config, qlik } = this.ctx;
    this.record = { ...EMPTY_RECORD, lease: this.lease(), ...this.audit() };
    const created = await qlik.createClient({
      clientName: config.clientName,
      description: renderDescription('', this.record),
      scopes: config.scopes,
    });
    // Half of the credential pair (the Qlik client masked it too, as soon as it parsed it).
    registerSecret(created.client.clientId);
    this.clientId = created.client.clientId;
    this.outcome.clientId = created.client.clientId;
    this.stored = this.record;
    this.leaseHeld = true;
    this.done('created the OAuth client');
    await this.settleCreationRace(created.client);
    if (created.client.consentMethod !== 'trusted') {
      // Qlik may ignore the consent asked for at creation (its own example answer shows
      // "required"); a client that asks for consent is never delivered.
      await qlik.setConsentTrusted(this.clientId);
      this.done(`set the consent method to trusted (Qlik created the client with ${created.client.consentMethod ?? 'an unknown one'})`);
    }
    let meta = created.secretMeta;
    if (!meta) {
      // Qlik's spec does not list the initial secret's hint in the create answer: read it back.
      const client = await qlik.getClient(this.clientId);
      const only = client?.secrets.length === 1 ? client.secrets[0] : undefined;
      if (!only) throw new RunFailure('Qlik created the OAuth client but did not show its initial secret.', {});
      meta = only;
      this.noteKeptScopes(client?.allowedScopes ?? []);
    } else {
      this.noteKeptScopes(created.client.allowedScopes);
    }
    this.newSecret = { value: created.secret, meta: meta as ClientSecretMeta };
    this.outcome.newSecret = this.newSecret;
    this.outcome.secrets = [meta as ClientSecretMeta];
  }

  /**
   * No lease can guard a client that does not exist yet, so two runs may both create one. After
   * creating, list the name again: of several, the oldest (then the smallest ID) wins, the same
   * verdict in every run. A loser deletes its own client before anything used it (no token was
   * asked for it, so Qlik made no bot user), leaving the tenant as the winner alone would.
   */
  private async settleCreationRace(mine: OAuthClient): Promise<void> {
    const { qlik, config } = this.ctx;
    // The same wait as a lease write: a racing run's create lands before the re-list.
    await this.ctx.sleep(this.ctx.budget.leaseSettleMs);
    const named = await qlik.findClientsByName(config.clientName);
    if (!named.some((c) => c.clientId === mine.clientId)) {
      // The next run would not find it either and create yet another client, every run.
      await this.deleteOwnClient(mine.clientId, "Qlik's name lookup does not find the OAuth client this run just created");
      throw new RunFailure(
        "Qlik's name lookup does not find the OAuth client this run created, so every run would create another one: the run stopped and deleted it (nothing used it yet).",
        { changedNothing: true, nextRun: "fails the same way. Create the client by hand in Qlik's admin page and pin it with 'client-id'." },
      );
    }
    const key = (c: { createdAt: string | undefined; clientId: string }) => [Date.parse(c.createdAt ?? '') || 0, c.clientId] as const;
    const winner = [...named, { clientId: mine.clientId, createdAt: mine.createdAt }].sort((a, b) => {
      const [ta, ia] = key(a);
      const [tb, ib] = key(b);
      return ta - tb || (ia < ib ? -1 : ia > ib ? 1 : 0);
    })[0]!;
    if (winner.clientId === mine.clientId) return;
    await this.deleteOwnClient(mine.clientId, 'Another run created an OAuth client with the same name at the same time');
    throw new RunFailure(
      'Another run created the OAuth client at the same time; this run deleted its own copy and changed nothing.',
      { changedNothing: true, nextRun: 'Re-run after the other run ends. Use a `concurrency:` group per environment so runs do not overlap.' },
    );
  }

  /** Deletes the client this run created before anything used it (no token: no bot user in Qlik). */
  private async deleteOwnClient(clientId: string, why: string): Promise<void> {
    const { qlik } = this.ctx;
    this.leaseHeld = false;
    try {
      await qlik.deleteClient(clientId);
    } catch (err) {
      throw new RunFailure(`${why}, and deleting this run's client failed: ${(err as Error).message}`, {
        nextRun: "Delete the newer client in Qlik's admin page (Talend holds none of its secrets).",
      });
    }
    this.outcome.clientId = undefined;
    this.outcome.done = [];
    this.outcome.newSecret = undefined;
  }

  private noteKeptScopes(kept: string[]): void {
    const requested = this.ctx.config.scopes;
    const keptSet = sortedSet(kept);
    const same = keptSet.length === requested.length && keptSet.every((s, i) => s === requested[i]);
    this.record = { ...this.record, scopes: same ? null : { requested, kept: keptSet } };
    if (!same) this.ctx.log(`Qlik kept only these scopes of the ones asked for: ${keptSet.join(' ') || '(none)'}.`);
  }

  /** The repairs of the client itself, as one JSON Patch. */
  private async repair(steps: PlanStep[]): Promise<void> {
    const { qlik } = this.ctx;
    // `add`, not `replace`: a member Qlik left out may not exist, and `replace` needs it to.
    const ops: JsonPatchOp[] = [];
    const changes: string[] = [];
    let scopes: string[] | undefined;
    for (const step of steps) {
      if (step.step === 'repair-grant-types') {
        ops.push({ op: 'add', path: '/allowedGrantTypes', value: step.store });
        changes.push('added client_credentials to the grant types');
      } else if (step.step === 'repair-auth-methods') {
        ops.push({ op: 'add', path: '/allowedAuthMethods', value: step.store });
        changes.push('added client_secret to the auth methods');
      } else if (step.step === 'repair-scopes') {
        ops.push({ op: 'add', path: '/allowedScopes', value: step.to });
        changes.push(`set the scopes to ${step.to.join(' ')}`);
        scopes = step.to;
      }
    }
    // A 202 answer carries a secret Qlik generated (adding client_secret does that); the Qlik
    // client masked it the moment it was parsed.
    const { generatedSecret } = await qlik.patchClient(this.clientId, ops, 'repairing the OAuth client');
    for (const change of changes) this.done(change);
    if (scopes || generatedSecret) {
      const after = await qlik.getClient(this.clientId);
      if (!after) throw new RunFailure('The OAuth client disappeared from Qlik while the run repaired it.', {});
      // Qlik may drop scopes it does not offer: remember what it kept, so the next run does not patch again.
      if (scopes) this.noteKeptScopes(after.allowedScopes);
      if (generatedSecret) await this.dropGeneratedSecrets(this.outcome.secrets, after.secrets);
    }
  }

  /**
   * A secret Qlik generated during a repair takes a slot, and nobody holds it: it is deleted at
   * once, unless its hint is shared (deletion goes by hint), in which case a later run retires it.
   */
  private async dropGeneratedSecrets(before: ClientSecretMeta[], after: ClientSecretMeta[]): Promise<void> {
    const generated = after.filter((s) => !before.some((b) => sameSecret(b, s)));
    let remaining = after;
    for (const secret of generated) {
      if (deletableByHint([secret], remaining).length === 0) {
        this.ctx.log(`Qlik generated secret ${secret.hint} while repairing the client; another secret has the same hint, so a later run retires it.`);
        continue;
      }
      await this.ctx.qlik.deleteSecret(this.clientId, secret.hint);
      remaining = remaining.filter((s) => s !== secret);
      this.done(`deleted secret ${secret.hint}, which Qlik generated while repairing the client`);
    }
    this.outcome.secrets = remaining;
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
  private async verify(newSecret: { value: string; meta: SecretRef }): Promise<void> {
    const { qlik, budget } = this.ctx;
    const windowEnds = Math.min(budget.workDeadline, budget.now() + budget.verifyWindowMs);
    const waiting = this.waitLogger();
    let wait = budget.backoffBaseMs;
    let why: string;
    for (;;) {
      try {
        const answer = await qlik.exchangeToken(this.clientId, newSecret.value);
        if (answer.accepted) {
          this.stepDone(`Qlik accepted the new secret ${newSecret.meta.hint} at /oauth/token`);
          this.revocation = answer.revoked.then((revoked) => {
            if (!revoked) this.ctx.log('Qlik did not confirm that the verification token was revoked; it expires by itself within hours.');
          });
          return;
        }
        why = `HTTP ${answer.status}`;
      } catch (err) {
        // No verdict from Qlik (5xx, timeouts): the secret is not proven, so it is not delivered.
        why = (err as Error).message;
        break;
      }
      if (budget.now() + wait >= windowEnds) break;
      waiting((seconds) => `Qlik does not accept the new secret yet (${why}) after ${seconds} s; trying again.`);
      await this.ctx.sleep(wait);
      wait = Math.min(wait * 2, budget.backoffCapMs);
    }
    const deleted = await this.deleteUndelivered(newSecret);
    await this.writeRecord({ release: true, until: 'final' });
    throw new RunFailure(`Qlik did not accept the new secret ${newSecret.meta.hint} at /oauth/token (${why}); ${deleted}.`, {
      nextRun: 'Talend was not touched. The next run creates and verifies a new secret if one is still due, and retires any left-over one.',
    });
  }

  /**
   * The Record pending and Deliver steps: record the new secret as pending at every target, then
   * deliver it to all of them at once. Each outcome is recorded on its own target.
   */
  private async deliver(step: StepOf<'deliver-to-talend'>, newSecret: { value: string; meta: SecretRef }): Promise<void> {
    const meta = newSecret.meta;
    this.record = withNewPending(this.record, step.targets, meta, this.outcome.secrets);
    await Promise.all([this.writeRecord({ release: false }), this.revocation]);
    const pair = { clientId: this.clientId, clientSecret: newSecret.value };
    const answers = await Promise.all(
      step.targets.map(async (target): Promise<DeliveryAnswer> => {
        try {
          return { target, delivery: await this.ctx.talend.deliver(target, pair) };
        } catch (err) {
          return { target, error: (err as Error).message };
        }
      }),
    );
    const settled = settleDeliveries(this.record, answers, meta, this.outcome.targets);
    this.record = settled.record;
    for (const state of settled.states) {
      this.setTarget(state);
      if (state.status === 'delivered') this.done(`delivered secret ${meta.hint} to ${describeTarget(state.key)}`);
    }
    this.outcome.warnings.push(...settled.warnings);
    this.outcome.talendHolds = commonHolding(this.outcome.targets);
    this.outcome.delivery = settled.delivery;
    const failures = settled.failures.join('; ');
    switch (settled.delivery) {
      case 'stored':
        return this.allDelivered(step);
      case 'refused': {
        // Every target refused: Talend still holds what it held, so the new secret is safe to delete.
        const deleted = await this.deleteUndelivered(newSecret);
        await this.writeRecord({ release: true, until: 'final' });
        throw new RunFailure(`Talend refused the new secret ${meta.hint} (${failures}); ${deleted}.`, {
          nextRun: 'Talend still holds its previous secret. Fix the cause in TMC; the next run tries a new secret again.',
        });
      }
      case 'unknown':
        await this.writeRecord({ release: true, until: 'final' });
        throw new RunFailure(`Delivering the new secret ${meta.hint} to Talend had no definite answer: ${failures}`, {
          nextRun:
            'Talend may hold the new secret or the one before it, so both are kept (recorded as pending). The next run rotates again and, once a delivery succeeds, retires them.',
        });
      case 'partial':
        // Some targets hold the new secret: it stays, and so does whatever the others may hold.
        await this.writeRecord({ release: true, until: 'final' });
        throw new RunFailure(`Not every Talend target took the new secret ${meta.hint}: ${failures}.`, {
          nextRun: 'Every secret a target holds or may hold is kept. Fix the cause; the next run delivers a new secret to every target and then retires the old ones.',
        });
    }
  }

  /** Every target holds the new secret: record it (and drop what `retarget` drops). */
  private async allDelivered(step: StepOf<'deliver-to-talend'>): Promise<void> {
    this.outcome.delivery = 'stored';
    for (const key of step.drop) this.setTarget({ key, status: 'dropped', holds: null });
    // With a check configured, the record says "check pending" until it passes: a run killed
    // during the check leaves it to be repeated, and no old secret is retired before it passes.
    const check = this.ctx.config.talendCheckTaskId ? { result: 'pending' as const, at: new Date(this.ctx.budget.now()).toISOString() } : null;
    const targets = this.record.targets.filter((t) => !step.drop.includes(t.key));
    this.record = { ...this.record, targets, check, unknownHolder: false };
    if (step.drop.length > 0) this.ctx.log(`Dropped from the record (retarget): ${step.drop.map(describeTarget).join(', ')}; they lose their secrets.`);
    if (this.ctx.config.talendCheckTaskId) {
      // The task-run check can take minutes: make the delivery durable first.
      await this.writeRecord({ release: false });
    }
  }

  private setTarget(state: TargetState): void {
    const i = this.outcome.targets.findIndex((t) => t.key === state.key);
    if (i >= 0) this.outcome.targets[i] = state;
    else this.outcome.targets.push(state);
  }

  /**
   * Deletes a secret Talend provably does not hold (Qlik rejected it, or TMC refused it) and takes
   * it out of `pending` whether or not the deletion succeeds: the record must not claim Talend may
   * hold it. Says what happened, for the failure message.
   */
  private async deleteUndelivered(newSecret: { value: string; meta: SecretRef }): Promise<string> {
    this.record = { ...this.record, targets: this.record.targets.map((t) => ({ ...t, pending: t.pending.filter((p) => !sameSecret(p, newSecret.meta)) })) };
    const others = this.outcome.secrets.filter((s) => s !== newSecret.meta);
    if (others.some((s) => s.hint === newSecret.meta.hint)) {
      // Deletion goes by hint: it could hit the secret Talend holds. Talend does not hold this one.
      return 'it was left in Qlik because another secret has the same hint and Qlik deletes by hint (Talend does not hold it; a later run retires it)';
    }
    try {
      // Bounded by the work deadline: the record write after it needs the reserve.
      await this.ctx.qlik.deleteSecret(this.clientId, newSecret.meta.hint);
      this.outcome.secrets = this.outcome.secrets.filter((s) => !sameSecret(s, newSecret.meta));
      if (this.outcome.newSecret) this.outcome.newSecret.deleted = true;
      return 'it was deleted from Qlik again';
    } catch (err) {
      // Leaving it is safe: Talend does not hold it. The next run retires it as an extra secret.
      this.ctx.log(`Could not delete the undelivered secret ${newSecret.meta.hint}: ${(err as Error).message}`);
      return `deleting it from Qlik failed too (Talend does not hold it; the next run retires it)`;
    }
  }

  /** The Check step. */
  private async check(step: StepOf<'check-talend-task'>): Promise<void> {
    const { taskId } = step;
    const { talend, budget } = this.ctx;
    const at = () => new Date(budget.now()).toISOString();
    const waiting = this.waitLogger();
    let executionId: string;
    try {
      executionId = await talend.startExecution(taskId);
      let wait = budget.pollStartMs;
      for (;;) {
        const state = await talend.getExecution(executionId);
        waiting((seconds) => `The Talend task run is ${state.status} after ${seconds} s.`);
        if (state.passed !== undefined) {
          this.outcome.check = state.passed ? 'passed' : 'failed';
          this.outcome.checkDetail = state.passed ? state.status : `${state.status}${state.errorMessage ? `: ${state.errorMessage}` : ''}`;
          break;
        }
        // Not worth sleeping when no poll would fit after the wait: say what the task was doing.
        if (budget.now() + wait + budget.minRequestMs >= budget.workDeadline) {
          this.outcome.check = 'unknown';
          this.outcome.checkDetail = `still ${state.status} when the time budget ran out`;
          break;
        }
        await this.ctx.sleep(wait);
        wait = Math.min(Math.round(wait * 1.5), budget.pollCapMs);
      }
    } catch (err) {
      this.outcome.check = 'unknown';
      this.outcome.checkDetail = (err as Error).message;
    }
    const passed = this.outcome.check === 'passed';
    this.record = { ...this.record, check: { result: passed ? 'passed' : 'failed', at: at() } };
    if (passed) {
      this.done(step.after === 'unfinished-check' ? 'repeated the Talend task-run check: passed' : 'Talend task-run check passed');
      return;
    }
    await this.writeRecord({ release: true, until: 'final' });
    throw new RunFailure(`The Talend task-run check of task ${taskId} did not pass (${this.outcome.checkDetail}).`, {
      nextRun: 'Nothing was deleted. The next run repeats the check (fix the task or the TMC connection first).',
    });
  }

  /** The Retire step: a failed deletion fails the run; the next run retires and reports `repaired`. */
  private async retire(secrets: ClientSecretMeta[]): Promise<void> {
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

  // ---- record ------------------------------------------------------------------------------

  private audit(): Pick<RotationRecord, 'changedAt' | 'changedBy'> {
    return { changedAt: new Date(this.ctx.budget.now()).toISOString(), changedBy: this.ctx.runUrl ?? null };
  }

  private async writeRecord(opts: { release: boolean; until?: 'work' | 'final' }): Promise<void> {
    const next: RotationRecord = { ...this.record, ...this.audit(), lease: opts.release ? null : this.record.lease };
    if (this.stored && recordsEqual({ ...next, changedAt: null, changedBy: null }, { ...this.stored, changedAt: null, changedBy: null })) {
      this.record = this.stored;
      if (opts.release) this.leaseHeld = false;
      return;
    }
    this.record = next;
    await this.patchDescription('writing the record on the OAuth client', opts.until);
    if (opts.release) this.leaseHeld = false;
  }

  private async patchDescription(doing: string, until?: 'work' | 'final'): Promise<void> {
    const description = renderDescription(this.userText, this.record);
    if (description.length > DESCRIPTION_MAX) {
      const own = this.userText.trimEnd().length;
      throw new RunFailure(
        `The OAuth client's description is too long to hold the action's record: Qlik allows ${DESCRIPTION_MAX} characters, the record needs ${description.length - own} ` +
          `and the description's own text has ${own}. Shorten the description's own text in Qlik, or name fewer Talend targets.`,
        {},
      );
    }
    await this.ctx.qlik.patchClient(this.clientId, [{ op: 'add', path: '/description', value: description }], doing, until);
    this.stored = this.record;
  }
}
