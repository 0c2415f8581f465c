/**
 * Carries out a RotationPlan (docs/protocol.md, the Lease step to the Retire step) and, on failure, exactly the compensation the
 * contract prescribes. It holds no rotation rules of its own: what to do comes from the plan, and
 * this module records what happened in `Progress` for the report.
 */
import type { Config } from '../config.js';
import type { RunBudget } from '../http/budget.js';
import type { JsonPatchOp, QlikApi } from '../qlik/client.js';
import type { ClientSecretMeta, OAuthClient } from '../qlik/model.js';
import type { TalendApi } from '../talend/client.js';
import { type ObservedState, type RotationPlan, deletableByHint, planRotation, secretsToRetire, sortedSet } from './plan.js';
import { registerSecret } from '../secrets.js';
import { RunFailure } from './failure.js';
import { DESCRIPTION_MAX, EMPTY_RECORD, type RotationRecord, type SecretRef, parseDescription, recordsEqual, renderDescription, sameSecret } from './record.js';

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

export type DeliveryState = 'not-needed' | 'stored' | 'refused' | 'unknown';
export type CheckState = 'not-run' | 'passed' | 'failed' | 'unknown';

/** What the run has done so far; the report reads it on success and on failure alike. */
export class Progress {
  clientId: string | undefined;
  /** The secret created in this run (value already masked); `deleted` once the run deleted it again. */
  newSecret: { value: string; meta: SecretRef | undefined; deleted?: boolean } | undefined;
  /** What the run found before changing anything, for the summary. */
  found: string;
  /** The secret Talend is known to hold at the end (or now). */
  talendHolds: SecretRef | undefined;
  delivery: DeliveryState = 'not-needed';
  check: CheckState = 'not-run';
  checkDetail: string | undefined;
  /** The last check recorded before this run, for the summary of a run that did not check. */
  lastCheck: { result: string; at: string } | undefined;
  changes: string[] = [];
  secrets: ClientSecretMeta[] = [];
  /** The plan actually carried out (re-planned after the lease read-back). */
  plan: RotationPlan | undefined;

  constructor(observed: ObservedState) {
    this.clientId = observed.client?.clientId;
    this.secrets = observed.client?.secrets ?? [];
    this.lastCheck = observed.record?.check ?? undefined;
    // Only a recorded secret that still exists, with no delivery pending, is known to be in Talend.
    const record = observed.record;
    const delivered = record && !record.unknownHolder && record.pending.length === 0 ? record.delivered : null;
    this.talendHolds = delivered ? observed.client?.secrets.find((s) => sameSecret(s, delivered)) : undefined;
    this.found = describeFound(observed);
  }
}

function describeFound(observed: ObservedState): string {
  const { client, record, recordState } = observed;
  if (!client) return 'no OAuth client with that name';
  const recordText =
    recordState === 'unreadable' ? 'an unreadable record' : !record || record.unknownHolder ? 'no record of what Talend holds' : 'a record';
  const pending = record && record.pending.length > 0 ? `, ${record.pending.length} delivery(ies) with an unknown outcome` : '';
  return `the client with ${client.secrets.length} secret(s) and ${recordText}${pending}`;
}

export async function applyPlan(plan: RotationPlan, observed: ObservedState, ctx: ApplyContext, progress: Progress): Promise<void> {
  progress.plan = plan;
  if (plan.result === 'unchanged') return;
  const run = new Run(ctx, progress);
  try {
    await run.execute(plan, observed);
  } finally {
    await run.releaseLease();
  }
}

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

  constructor(
    private readonly ctx: ApplyContext,
    private readonly progress: Progress,
  ) {}

  async execute(initialPlan: RotationPlan, observed: ObservedState): Promise<void> {
    const { config } = this.ctx;
    let plan = initialPlan;
    let secrets: ClientSecretMeta[];
    let newSecret: { value: string; meta: SecretRef };

    if (plan.createClient) {
      newSecret = await this.createClient();
      secrets = [newSecret.meta as ClientSecretMeta];
    } else {
      const client = await this.acquireLease(observed);
      plan = planRotation(config, this.observed(client), this.ctx.budget.now(), this.ctx.runId);
      this.progress.plan = plan;
      if (plan.result === 'unchanged') {
        this.ctx.log('After taking the lease the client needs no change any more.');
        return;
      }
      secrets = await this.makeRoom(plan, await this.repair(plan, client));
      if (plan.newSecretReason === null) {
        await this.runCheckIfPlanned(plan);
        await this.writeRecord({ release: true });
        await this.retire(plan.retire);
        return;
      }
      newSecret = await this.createSecret();
      secrets = [...secrets, newSecret.meta as ClientSecretMeta];
    }
    this.progress.secrets = secrets;

    await this.verify(newSecret);
    await this.deliver(newSecret);
    await this.runCheckIfPlanned(plan);
    await this.writeRecord({ release: true });
    await this.retire(secretsToRetire(secrets, newSecret.meta, config.keepPreviousSecrets, { retireNewer: false }));
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
        `Another run took the lease on the OAuth client at the same time (lease held until ${freshParsed.record?.lease?.expiresAt ?? 'unknown'}); this run changed nothing.`,
        { changedNothing: true, nextRun: 'Re-run after that; use a `concurrency:` group per environment so runs do not overlap.' },
      );
    }
    this.userText = freshParsed.userText;
    this.stored = freshParsed.record;
    this.record = freshParsed.record ?? this.record;
    this.progress.secrets = fresh.secrets;
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

  private async createClient(): Promise<{ value: string; meta: SecretRef }> {
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
    this.progress.clientId = created.client.clientId;
    this.stored = this.record;
    this.leaseHeld = true;
    this.progress.changes.push('created the OAuth client');
    await this.settleCreationRace(created.client);
    if (created.client.consentMethod !== 'trusted') {
      // Qlik may ignore the consent asked for at creation (its own example answer shows
      // "required"); a client that asks for consent is never delivered.
      await qlik.setConsentTrusted(this.clientId);
      this.progress.changes.push(`set the consent method to trusted (Qlik created the client with ${created.client.consentMethod ?? 'an unknown one'})`);
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
    const newSecret = { value: created.secret, meta };
    this.progress.newSecret = newSecret;
    return newSecret;
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
    this.progress.clientId = undefined;
    this.progress.changes = [];
    this.progress.newSecret = undefined;
  }

  private noteKeptScopes(kept: string[]): void {
    const requested = this.ctx.config.scopes;
    const keptSet = sortedSet(kept);
    const same = keptSet.length === requested.length && keptSet.every((s, i) => s === requested[i]);
    this.record = { ...this.record, scopes: same ? null : { requested, kept: keptSet } };
    if (!same) this.ctx.log(`Qlik kept only these scopes of the ones asked for: ${keptSet.join(' ') || '(none)'}.`);
  }

  /** Repairs drift; returns the client's secrets afterwards. */
  private async repair(plan: RotationPlan, client: OAuthClient): Promise<ClientSecretMeta[]> {
    const { qlik } = this.ctx;
    let secrets = client.secrets;
    // `add`, not `replace`: a member Qlik left out may not exist, and `replace` needs it to.
    const ops: JsonPatchOp[] = [];
    if (plan.repairs.grantTypes) ops.push({ op: 'add', path: '/allowedGrantTypes', value: plan.repairs.grantTypes });
    if (plan.repairs.authMethods) ops.push({ op: 'add', path: '/allowedAuthMethods', value: plan.repairs.authMethods });
    if (plan.repairs.scopes) ops.push({ op: 'add', path: '/allowedScopes', value: plan.repairs.scopes });
    if (ops.length > 0) {
      // A 202 answer carries a secret Qlik generated (adding client_secret does that); the Qlik
      // client masked it the moment it was parsed.
      const { generatedSecret } = await qlik.patchClient(this.clientId, ops, 'repairing the OAuth client');
      if (plan.repairs.grantTypes) this.progress.changes.push('added client_credentials to the grant types');
      if (plan.repairs.authMethods) this.progress.changes.push('added client_secret to the auth methods');
      if (plan.repairs.scopes) this.progress.changes.push(`set the scopes to ${plan.repairs.scopes.join(' ')}`);
      if (plan.repairs.scopes || generatedSecret) {
        const after = await qlik.getClient(this.clientId);
        if (!after) throw new RunFailure('The OAuth client disappeared from Qlik while the run repaired it.', {});
        // Qlik may drop scopes it does not offer: remember what it kept, so the next run does not patch again.
        if (plan.repairs.scopes) this.noteKeptScopes(after.allowedScopes);
        secrets = generatedSecret ? await this.dropGeneratedSecrets(secrets, after.secrets) : secrets;
      }
    }
    if (plan.repairs.consent) {
      await qlik.setConsentTrusted(this.clientId);
      this.progress.changes.push(`set the consent method to trusted (was ${client.consentMethod ?? 'unknown'})`);
    }
    return secrets;
  }

  /**
   * A secret Qlik generated during a repair takes a slot, and nobody holds it: it is deleted at
   * once, unless its hint is shared (deletion goes by hint), in which case a later run retires it.
   */
  private async dropGeneratedSecrets(before: ClientSecretMeta[], after: ClientSecretMeta[]): Promise<ClientSecretMeta[]> {
    const generated = after.filter((s) => !before.some((b) => sameSecret(b, s)));
    let remaining = after;
    for (const secret of generated) {
      if (deletableByHint([secret], remaining).length === 0) {
        this.ctx.log(`Qlik generated secret ${secret.hint} while repairing the client; another secret has the same hint, so a later run retires it.`);
        continue;
      }
      await this.ctx.qlik.deleteSecret(this.clientId, secret.hint);
      remaining = remaining.filter((s) => s !== secret);
      this.progress.changes.push(`deleted secret ${secret.hint}, which Qlik generated while repairing the client`);
    }
    this.progress.secrets = remaining;
    return remaining;
  }

  private async makeRoom(plan: RotationPlan, secrets: ClientSecretMeta[]): Promise<ClientSecretMeta[]> {
    for (const secret of plan.makeRoom) {
      await this.ctx.qlik.deleteSecret(this.clientId, secret.hint);
      this.progress.changes.push(`deleted secret ${secret.hint} to make room`);
    }
    return secrets.filter((s) => !plan.makeRoom.includes(s));
  }

  private async createSecret(): Promise<{ value: string; meta: SecretRef }> {
    const created = await this.ctx.qlik.createSecret(this.clientId);
    const newSecret = { value: created.secret, meta: { hint: created.hint, createdAt: created.createdAt } };
    this.progress.newSecret = newSecret;
    this.progress.changes.push(`created secret ${created.hint}`);
    return newSecret;
  }

  /** The Verify step: Qlik must accept the new secret at /oauth/token before Talend gets it. */
  private async verify(newSecret: { value: string; meta: SecretRef }): Promise<void> {
    const { qlik, budget } = this.ctx;
    const windowEnds = Math.min(budget.workDeadline, budget.now() + budget.verifyWindowMs);
    let wait = budget.backoffBaseMs;
    let why: string;
    for (;;) {
      try {
        const answer = await qlik.exchangeToken(this.clientId, newSecret.value);
        if (answer.accepted) {
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
      await this.ctx.sleep(wait);
      wait = Math.min(wait * 2, budget.backoffCapMs);
    }
    const deleted = await this.deleteUndelivered(newSecret);
    await this.writeRecord({ release: true, until: 'final' });
    throw new RunFailure(`Qlik did not accept the new secret ${newSecret.meta.hint} at /oauth/token (${why}); ${deleted}.`, {
      nextRun: 'Talend was not touched. The next run creates and verifies a new secret if one is still due, and retires any left-over one.',
    });
  }

  /** The Record pending and Deliver steps: record the new secret as pending, then deliver it. */
  private async deliver(newSecret: { value: string; meta: SecretRef }): Promise<void> {
    this.record = { ...this.record, pending: [...this.record.pending, newSecret.meta] };
    await Promise.all([this.writeRecord({ release: false }), this.revocation]);
    let outcome;
    try {
      outcome = await this.ctx.talend.deliverQlikCredentials(this.clientId, newSecret.value);
    } catch (err) {
      this.progress.delivery = 'unknown';
      throw new RunFailure(
        `Delivering the new secret ${newSecret.meta.hint} to Talend had no definite answer: ${(err as Error).message}`,
        {
          nextRun:
            'Talend may hold the new secret or the one before it, so both are kept (recorded as pending). The next run rotates again and, once a delivery succeeds, retires them.',
        },
      );
    }
    if (!outcome.stored) {
      this.progress.delivery = 'refused';
      // A definite refusal: Talend still holds what it held, so the new secret is safe to delete.
      const deleted = await this.deleteUndelivered(newSecret);
      await this.writeRecord({ release: true, until: 'final' });
      throw new RunFailure(
        `Talend refused the new secret ${newSecret.meta.hint} (HTTP ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}); ${deleted}.`,
        { nextRun: 'Talend still holds its previous secret. Fix the cause in TMC; the next run tries a new secret again.' },
      );
    }
    this.progress.delivery = 'stored';
    this.progress.talendHolds = newSecret.meta;
    this.progress.changes.push(`delivered secret ${newSecret.meta.hint} to Talend`);
    // With a check configured, the record says "check pending" until it passes: a run killed
    // during the check leaves it to be repeated, and no old secret is retired before it passes.
    const check = this.ctx.config.talendCheckTaskId ? { result: 'pending' as const, at: new Date(this.ctx.budget.now()).toISOString() } : null;
    this.record = { ...this.record, delivered: newSecret.meta, pending: [], check, unknownHolder: false };
    if (this.ctx.config.talendCheckTaskId) {
      // The task-run check can take minutes: make the delivery durable first.
      await this.writeRecord({ release: false });
    }
  }

  /**
   * Deletes a secret Talend provably does not hold (Qlik rejected it, or TMC refused it) and takes
   * it out of `pending` whether or not the deletion succeeds: the record must not claim Talend may
   * hold it. Says what happened, for the failure message.
   */
  private async deleteUndelivered(newSecret: { value: string; meta: SecretRef }): Promise<string> {
    this.record = { ...this.record, pending: this.record.pending.filter((p) => !sameSecret(p, newSecret.meta)) };
    const others = this.progress.secrets.filter((s) => s !== newSecret.meta);
    if (others.some((s) => s.hint === newSecret.meta.hint)) {
      // Deletion goes by hint: it could hit the secret Talend holds. Talend does not hold this one.
      return 'it was left in Qlik because another secret has the same hint and Qlik deletes by hint (Talend does not hold it; a later run retires it)';
    }
    try {
      // Bounded by the work deadline: the record write after it needs the reserve.
      await this.ctx.qlik.deleteSecret(this.clientId, newSecret.meta.hint);
      this.progress.secrets = this.progress.secrets.filter((s) => !sameSecret(s, newSecret.meta));
      if (this.progress.newSecret) this.progress.newSecret.deleted = true;
      return 'it was deleted from Qlik again';
    } catch (err) {
      // Leaving it is safe: Talend does not hold it. The next run retires it as an extra secret.
      this.ctx.log(`Could not delete the undelivered secret ${newSecret.meta.hint}: ${(err as Error).message}`);
      return `deleting it from Qlik failed too (Talend does not hold it; the next run retires it)`;
    }
  }

  /** The Check step. */
  private async runCheckIfPlanned(plan: RotationPlan): Promise<void> {
    const taskId = this.ctx.config.talendCheckTaskId;
    if (plan.check === 'none' || !taskId) return;
    const { talend, budget } = this.ctx;
    const at = () => new Date(budget.now()).toISOString();
    let executionId: string;
    try {
      executionId = await talend.startExecution(taskId);
      let wait = budget.pollStartMs;
      for (;;) {
        const state = await talend.getExecution(executionId);
        if (state.passed !== undefined) {
          this.progress.check = state.passed ? 'passed' : 'failed';
          this.progress.checkDetail = state.passed ? state.status : `${state.status}${state.errorMessage ? `: ${state.errorMessage}` : ''}`;
          break;
        }
        // Not worth sleeping when no poll would fit after the wait: say what the task was doing.
        if (budget.now() + wait + budget.minRequestMs >= budget.workDeadline) {
          this.progress.check = 'unknown';
          this.progress.checkDetail = `still ${state.status} when the time budget ran out`;
          break;
        }
        await this.ctx.sleep(wait);
        wait = Math.min(Math.round(wait * 1.5), budget.pollCapMs);
      }
    } catch (err) {
      this.progress.check = 'unknown';
      this.progress.checkDetail = (err as Error).message;
    }
    const passed = this.progress.check === 'passed';
    this.record = { ...this.record, check: { result: passed ? 'passed' : 'failed', at: at() } };
    if (passed) {
      this.progress.changes.push(plan.check === 'repeat' ? 'repeated the Talend task-run check: passed' : 'Talend task-run check passed');
      return;
    }
    await this.writeRecord({ release: true, until: 'final' });
    throw new RunFailure(`The Talend task-run check of task ${taskId} did not pass (${this.progress.checkDetail}).`, {
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
      this.progress.secrets = this.progress.secrets.filter((s) => !sameSecret(s, secret));
      this.progress.changes.push(`retired secret ${secret.hint}`);
    }
  }

  // ---- record ------------------------------------------------------------------------------

  private audit(): Pick<RotationRecord, 'changedAt' | 'changedBy' | 'talendTarget'> {
    return {
      changedAt: new Date(this.ctx.budget.now()).toISOString(),
      changedBy: this.ctx.runUrl ?? null,
      talendTarget: this.ctx.config.talendQlikAuthUrl,
    };
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
      throw new RunFailure(
        `The OAuth client's description is too long to hold the action's record (Qlik allows ${DESCRIPTION_MAX} characters). Shorten the description in Qlik.`,
        {},
      );
    }
    await this.ctx.qlik.patchClient(this.clientId, [{ op: 'add', path: '/description', value: description }], doing, until);
    this.stored = this.record;
  }
}
