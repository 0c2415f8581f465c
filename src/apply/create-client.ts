/**
 * The create-client step: the client, made with this run's lease in its description, its consent
 * made trusted, and its initial secret (the run's new secret).
 *
 * The creation race (the Lease step of docs/protocol.md): no lease can guard a client that does not
 * exist yet, so two runs may both create one. After creating, the run lists the name again: of
 * several, the oldest (then the smallest ID) wins, the same verdict in every run. A loser deletes
 * its own client before anything used it (no token was asked for it, so Qlik made no bot user),
 * leaving the tenant as the winner alone would.
 */
import type { Config } from '../config.js';
import { RunFailure } from '../core/failure.js';
import type { NewSecretValue } from '../core/outcome.js';
import type { RunBudget } from '../http/budget.js';
import type { ListedClient, QlikApi } from '../qlik/client.js';
import type { ClientSecretMeta } from '../qlik/model.js';
import { registerSecret } from '../secrets.js';
import type { RecordStore } from './record-store.js';

type Deps = { qlik: QlikApi; config: Config; budget: RunBudget; sleep: (ms: number) => Promise<void> };

export interface CreatedOwnClient {
  clientId: string;
  newSecret: NewSecretValue & { meta: ClientSecretMeta };
  /** The scopes Qlik gave the client. */
  scopes: string[];
}

/**
 * Creates the client and settles the creation race. `done` hears each change as it happens; when
 * the run loses the race, `lost` runs once its client is deleted again, and the RunFailure follows.
 */
export async function createOwnClient(
  deps: Deps,
  store: RecordStore,
  hooks: { created: (clientId: string) => void; done: (change: string) => void; lost: () => void },
): Promise<CreatedOwnClient> {
  const { config, qlik } = deps;
  const created = await qlik.createClient({ clientName: config.clientName, description: store.descriptionForNewClient(), scopes: config.scopes });
  // Half of the credential pair (the Qlik client masked it too, as soon as it parsed it).
  registerSecret(created.client.clientId);
  const clientId = created.client.clientId;
  store.created(clientId);
  hooks.created(clientId);
  hooks.done('created the OAuth client');
  await settleCreationRace(deps, store, created.client, hooks.lost);
  if (created.client.consentMethod !== 'trusted') {
    // Qlik may ignore the consent asked for at creation (its own example answer shows
    // "required"); a client that asks for consent is never delivered.
    await qlik.setConsentTrusted(clientId);
    hooks.done(`set the consent method to trusted (Qlik created the client with ${created.client.consentMethod ?? 'an unknown one'})`);
  }
  if (created.secretMeta) return { clientId, newSecret: { value: created.secret, meta: created.secretMeta }, scopes: created.client.allowedScopes };
  // Qlik's spec does not list the initial secret's hint in the create answer: read it back.
  const client = await qlik.getClient(clientId);
  const only = client?.secrets.length === 1 ? client.secrets[0] : undefined;
  if (!only) throw new RunFailure('Qlik created the OAuth client but did not show its initial secret.', {});
  return { clientId, newSecret: { value: created.secret, meta: only }, scopes: client?.allowedScopes ?? [] };
}

type Created = { clientId: string; createdAt: string | undefined };

/** The winner among the clients of one name: the oldest, then the smallest ID. Pure. */
export function raceWinner(clients: Created[]): Created | undefined {
  const key = (c: Created) => [Date.parse(c.createdAt ?? '') || 0, c.clientId] as const;
  return [...clients].sort((a, b) => {
    const [ta, ia] = key(a);
    const [tb, ib] = key(b);
    return ta - tb || (ia < ib ? -1 : ia > ib ? 1 : 0);
  })[0];
}

/**
 * Resolves when this run's client stands; otherwise deletes it (its lease goes with it, and
 * `onDeleted` runs once it is gone) and throws a RunFailure that says why.
 */
async function settleCreationRace(
  deps: Deps,
  store: RecordStore,
  mine: Created,
  onDeleted: () => void,
): Promise<void> {
  const { qlik } = deps;
  // The same wait as a lease write: a racing run's create lands before the re-list.
  await deps.sleep(deps.budget.leaseSettleMs);
  const named: ListedClient[] = await qlik.findClientsByName(deps.config.clientName);
  const deleteMine = async (why: string) => {
    store.forgetClient();
    try {
      await qlik.deleteClient(mine.clientId);
    } catch (err) {
      throw new RunFailure(`${why}, and deleting this run's client failed: ${(err as Error).message}`, {
        nextRun: "Delete the newer client in Qlik's admin page (Talend holds none of its secrets).",
      });
    }
    onDeleted();
  };
  if (!named.some((c) => c.clientId === mine.clientId)) {
    // The next run would not find it either and create yet another client, every run.
    await deleteMine("Qlik's name lookup does not find the OAuth client this run just created");
    throw new RunFailure(
      "Qlik's name lookup does not find the OAuth client this run created, so every run would create another one: the run stopped and deleted it (nothing used it yet).",
      { changedNothing: true, nextRun: "fails the same way. Create the client by hand in Qlik's admin page and pin it with 'client-id'." },
    );
  }
  if (raceWinner([...named, mine])?.clientId === mine.clientId) return;
  await deleteMine('Another run created an OAuth client with the same name at the same time');
  throw new RunFailure('Another run created the OAuth client at the same time; this run deleted its own copy and changed nothing.', {
    changedNothing: true,
    nextRun: 'Re-run after the other run ends. Use a `concurrency:` group per environment so runs do not overlap.',
  });
}
