/**
 * The record on the OAuth client as the run changes it: the one place that writes the client's
 * description. It keeps the user's own text as it is, knows what Qlik stores right now, takes and
 * releases the lease (the Lease step of docs/protocol.md), and writes only when the content changes.
 */
import type { RunBudget } from '../http/budget.js';
import type { QlikApi } from '../qlik/client.js';
import type { OAuthClient } from '../qlik/model.js';
import { RunFailure } from '../core/failure.js';
import { DESCRIPTION_MAX, EMPTY_RECORD, type RotationRecord, parseDescription, recordsEqual, renderDescription } from '../core/record.js';
import { plainText } from '../untrusted-text.js';

export interface RecordStoreDeps {
  qlik: QlikApi;
  budget: RunBudget;
  runId: string;
  /** The workflow run, for the audit trail. */
  runUrl: string | undefined;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
}

export class RecordStore {
  private clientId = '';
  private userText = '';
  /** The record as stored in Qlik right now (null: none stored yet). */
  private stored: RotationRecord | null = null;
  /** The record as the run means it to be; `save` writes it. */
  private current: RotationRecord = { ...EMPTY_RECORD };
  /** The lease this run holds, if any. */
  private lease: RotationRecord['lease'] = null;
  /** The lease write had no definite answer: it may be in the record, and must not be left there. */
  private leaseUncertain = false;

  constructor(private readonly deps: RecordStoreDeps) {}

  get record(): RotationRecord {
    return this.current;
  }

  /** Changes the record the run means to store (nothing is written until `save`). */
  change(update: (record: RotationRecord) => RotationRecord): void {
    this.current = update(this.current);
  }

  /** The description a new client is created with: an empty record holding this run's lease. */
  descriptionForNewClient(): string {
    this.current = { ...EMPTY_RECORD, lease: this.newLease(), ...this.audit() };
    return renderDescription('', this.current);
  }

  /** The client this run created, with the description it was created with. */
  created(clientId: string): void {
    this.clientId = clientId;
    this.stored = this.current;
    this.lease = this.current.lease;
  }

  /** The client this run created is gone again (a lost creation race): there is no lease to release. */
  forgetClient(): void {
    this.lease = null;
  }

  /**
   * Qlik offers no compare-and-swap, so the lease is write, wait, read back: two runs that both
   * wrote a lease see the later write, and only its holder proceeds. Resolves to the fresh read.
   */
  async takeLease(client: OAuthClient): Promise<OAuthClient> {
    this.clientId = client.clientId;
    const parsed = parseDescription(client.description);
    this.userText = parsed.userText;
    this.stored = parsed.record;
    const lease = this.newLease();
    // No record yet: the lease starts one, marked so that nobody reads "nothing delivered" into it.
    this.current = { ...(parsed.record ?? { ...EMPTY_RECORD, unknownHolder: true }), lease };
    try {
      await this.write('taking the lease on the OAuth client');
    } catch (err) {
      this.leaseUncertain = true;
      throw err;
    }
    this.lease = lease;
    await this.deps.sleep(this.deps.budget.leaseSettleMs);
    const fresh = await this.deps.qlik.getClient(this.clientId);
    if (!fresh) throw new RunFailure('The OAuth client disappeared from Qlik while the run was starting.', { changedNothing: true });
    const freshParsed = parseDescription(fresh.description);
    if (freshParsed.state === 'duplicate') {
      // Another writer added a second block meanwhile: nobody can tell which record is true, so
      // neither is written over (releasing the lease would).
      this.lease = null;
      throw new RunFailure("The OAuth client's description now holds two record blocks (another writer?); this run changed nothing else.", {
        nextRun: "fails until only one record block is left: delete the older one in Qlik's admin page.",
      });
    }
    if (freshParsed.record?.lease?.holder !== this.deps.runId) {
      this.lease = null;
      throw new RunFailure(
        `Another run took the lease on the OAuth client at the same time (lease held until ${plainText(freshParsed.record?.lease?.expiresAt ?? 'unknown', 40)}); this run changed nothing.`,
        { changedNothing: true, nextRun: 'Re-run after that; use a `concurrency:` group per environment so runs do not overlap.' },
      );
    }
    this.userText = freshParsed.userText;
    this.stored = freshParsed.record;
    this.current = freshParsed.record ?? this.current;
    return fresh;
  }

  /**
   * Writes the record when its content changed (the audit trail alone is no change). `release`:
   * without the lease, so the next run may proceed at once.
   */
  async save(opts: { release: boolean; until?: 'work' | 'final' }): Promise<void> {
    const next: RotationRecord = { ...this.current, ...this.audit(), lease: opts.release ? null : this.current.lease };
    const unchanged = this.stored && recordsEqual({ ...next, changedAt: null, changedBy: null }, { ...this.stored, changedAt: null, changedBy: null });
    if (unchanged) {
      this.current = this.stored as RotationRecord;
    } else {
      this.current = next;
      await this.write('writing the record on the OAuth client', opts.until);
    }
    if (opts.release) this.lease = null;
  }

  /** Lets the next run proceed at once instead of waiting for the lease to expire. Never throws. */
  async release(): Promise<void> {
    if (!this.lease && !this.leaseUncertain) return;
    const expiresAt = this.lease?.expiresAt ?? 'its deadline';
    try {
      if (this.leaseUncertain) {
        // Release only a lease that is really ours: another run's must stay.
        const client = await this.deps.qlik.getClient(this.clientId);
        const parsed = parseDescription(client?.description);
        if (!client || parsed.record?.lease?.holder !== this.deps.runId) return;
        this.userText = parsed.userText;
        this.stored = parsed.record;
        this.current = parsed.record;
        this.leaseUncertain = false;
      }
      if (!this.fits({ ...this.current, lease: null }) && this.stored) {
        // The record as the run means it does not fit (the plan checks this, so only a record
        // changed meanwhile gets here): what Qlik holds now, without the lease, is shorter than
        // what fitted before. Pending deliveries stay pending there, so nothing is stranded.
        this.current = { ...this.stored, lease: null };
      }
      await this.save({ release: true, until: 'final' });
    } catch (err) {
      this.deps.log(`Could not release the lease (it expires at ${expiresAt}): ${(err as Error).message}`);
    }
  }

  private fits(record: RotationRecord): boolean {
    return renderDescription(this.userText, { ...record, ...this.audit() }).length <= DESCRIPTION_MAX;
  }

  private newLease(): NonNullable<RotationRecord['lease']> {
    return { holder: this.deps.runId, expiresAt: new Date(this.deps.budget.deadline).toISOString() };
  }

  private audit(): Pick<RotationRecord, 'changedAt' | 'changedBy'> {
    return { changedAt: new Date(this.deps.budget.now()).toISOString(), changedBy: this.deps.runUrl ?? null };
  }

  private async write(doing: string, until?: 'work' | 'final'): Promise<void> {
    const description = renderDescription(this.userText, this.current);
    if (description.length > DESCRIPTION_MAX) {
      const own = this.userText.trimEnd().length;
      throw new RunFailure(
        `The OAuth client's description is too long to hold the action's record: Qlik allows ${DESCRIPTION_MAX} characters, the record needs ${description.length - own} ` +
          `and the description's own text has ${own}. Shorten the description's own text in Qlik, or name fewer Talend targets.`,
        {},
      );
    }
    await this.deps.qlik.patchClient(this.clientId, [{ op: 'add', path: '/description', value: description }], doing, until);
    this.stored = this.current;
  }
}
