/**
 * The Repair step (docs/protocol.md): the client's own settings as one JSON Patch (`add`, since a
 * member Qlik left out may not exist; `replace` only for exact scopes Qlik shows), then what Qlik
 * kept of the scopes, and at once the deletion of a secret Qlik generated while adding
 * `client_secret` (it takes a slot, and nobody holds it).
 */
import type { Config } from '../config.js';
import { RunFailure } from '../core/failure.js';
import { generatedDuringRepair } from '../core/holdings.js';
import { scopesKept } from '../core/plan.js';
import type { PlanStep } from '../core/plan-model.js';
import type { JsonPatchOp, QlikApi } from '../qlik/client.js';
import type { ClientSecretMeta } from '../qlik/model.js';
import type { RecordStore } from './record-store.js';

type Deps = { config: Config; qlik: QlikApi; log: (line: string) => void };

/** Repairs the client; resolves to its secrets afterwards. `done` hears each change as it happens. */
export async function repairClient(
  deps: Deps,
  store: RecordStore,
  run: { clientId: string; steps: PlanStep[]; secrets: ClientSecretMeta[]; done: (change: string) => void },
): Promise<ClientSecretMeta[]> {
  const { qlik } = deps;
  const ops: JsonPatchOp[] = [];
  const changes: string[] = [];
  let scopes: string[] | undefined;
  for (const step of run.steps) {
    if (step.step === 'repair-grant-types') {
      ops.push({ op: 'add', path: '/allowedGrantTypes', value: step.store });
      changes.push('added client_credentials to the grant types');
    } else if (step.step === 'repair-auth-methods') {
      ops.push({ op: 'add', path: '/allowedAuthMethods', value: step.store });
      changes.push('added client_secret to the auth methods');
    } else if (step.step === 'repair-scopes') {
      ops.push({ op: step.op, path: '/allowedScopes', value: step.to });
      changes.push(`set the scopes to ${step.to.join(' ')}`);
      scopes = step.to;
    }
  }
  // A 202 answer carries a secret Qlik generated (adding client_secret does that); the Qlik
  // client masked it the moment it was parsed.
  const { generatedSecret } = await qlik.patchClient(run.clientId, ops, 'repairing the OAuth client');
  for (const change of changes) run.done(change);
  if (!scopes && !generatedSecret) return run.secrets;
  const after = await qlik.getClient(run.clientId);
  if (!after) throw new RunFailure('The OAuth client disappeared from Qlik while the run repaired it.', {});
  // Qlik may drop scopes it does not offer: remember what it kept, so the next run does not patch again.
  if (scopes) noteKeptScopes(deps, store, after.allowedScopes);
  if (!generatedSecret) return run.secrets;
  const { deletable, shared } = generatedDuringRepair(run.secrets, after.secrets);
  for (const secret of shared) {
    deps.log(`Qlik generated secret ${secret.hint} while repairing the client; another secret has the same hint, so a later run retires it.`);
  }
  let remaining = after.secrets;
  for (const secret of deletable) {
    await qlik.deleteSecret(run.clientId, secret.hint);
    remaining = remaining.filter((s) => s !== secret);
    run.done(`deleted secret ${secret.hint}, which Qlik generated while repairing the client`);
  }
  return remaining;
}

/** What Qlik kept of the scopes asked for, read back: it may drop scopes it does not offer, or merge instead of replace. */
export function noteKeptScopes(deps: Pick<Deps, 'config' | 'log'>, store: RecordStore, kept: string[]): void {
  const { scopes: requested, scopesExact } = deps.config;
  const scopes = scopesKept(requested, kept, scopesExact);
  store.change((r) => ({ ...r, scopes }));
  if (scopes) deps.log(`Qlik did not keep the scopes as asked: the client has ${scopes.kept.join(' ') || '(none)'}.`);
}
