/**
 * The Read state step (docs/protocol.md): the OAuth client (by ID, else by exact name), its record,
 * and, side by side, the Talend token and every connection and task target. Reads that do not
 * depend on each other overlap. Stops the run before anything changes when what it finds cannot be
 * worked with (several clients of the name, two record blocks, a target that cannot take the pair).
 */
import type { Config } from './config.js';
import { RunFailure } from './core/failure.js';
import { type ObservedState, observedClient } from './core/plan-model.js';
import type { RotationRecord } from './core/record.js';
import { configuredTargets, describeTarget, targetOfKey } from './core/targets.js';
import { logInfo } from './log.js';
import type { QlikApi } from './qlik/client.js';
import type { OAuthClient } from './qlik/model.js';
import { registerSecret } from './secrets.js';
import type { TalendApi } from './talend/client.js';
import type { TargetInspection } from './talend/orchestration.js';

/** An error lists at most this many client IDs: the rest is a count. */
const MAX_LISTED_IDS = 10;

export async function readState(config: Config, qlik: QlikApi, talend: TalendApi): Promise<ObservedState> {
  // Independent reads overlap: the Qlik lookup, the Talend token preflight and the targets.
  const [client, targets, apiKey] = await Promise.all([findClient(config, qlik), checkTalend(config, talend), qlik.apiKeyState(config.qlikApiKey)]);
  if (!client) {
    logInfo(`No OAuth client named "${config.clientName}" exists yet.`);
    return { client: null, record: null, recordState: 'absent', targets, apiKey };
  }
  const found = observedClient(client);
  if (found.recordState === 'duplicate') {
    throw new RunFailure(
      "The OAuth client's description holds more than one block of the action's record, so which one is true is unknown. " +
        "Delete all but the newest block in Qlik's admin page (each starts with the line '--- qlik-talend-oauth record').",
      { changedNothing: true, nextRun: 'fails the same way until only one record block is left.' },
    );
  }
  logInfo(`Found the OAuth client (${client.secrets.length} secret(s)); Talend accepted the token.`);
  // A decommission detaches what the record names too: those targets are read now.
  const recorded = config.operation === 'decommission' ? await inspectRecorded(config, talend, found.record, targets) : {};
  return { ...found, targets: { ...targets, ...recorded }, apiKey };
}

/**
 * The connections and tasks the record names and the inputs do not, for a decommission: one that
 * no longer exists has nothing to detach; one that cannot take the change stops the run.
 */
async function inspectRecorded(config: Config, talend: TalendApi, record: RotationRecord | null, known: Record<string, TargetInspection>): Promise<Record<string, TargetInspection>> {
  const extra = (record?.targets ?? []).flatMap(({ key }) => {
    const target = targetOfKey(key, config);
    return target && target.kind !== 'qlik-auth' && !Object.hasOwn(known, key) ? [target] : [];
  });
  const reads = await Promise.allSettled(extra.map((target) => talend.inspect(target, 'skip')));
  const found: Record<string, TargetInspection> = {};
  const problems: string[] = [];
  reads.forEach((r, i) => {
    const target = extra[i]!;
    if (r.status === 'fulfilled' && r.value) found[target.key] = r.value;
    else if (r.status === 'rejected') problems.push(`${describeTarget(target.key)}: ${(r.reason as Error).message}`);
  });
  if (problems.length > 0) {
    throw new RunFailure(`A Talend target the record names cannot be detached:\n${problems.join('\n')}`, {
      changedNothing: true,
      nextRun: 'fails the same way until the target is fixed (or deleted in TMC).',
    });
  }
  return found;
}

/**
 * The token preflight and every connection and task target, side by side: each target must exist
 * and take an update without losing a value it shows, or the run stops before anything changes.
 * A refused token makes every read fail; its own error says the most, so it wins.
 */
async function checkTalend(config: Config, talend: TalendApi): Promise<Record<string, TargetInspection>> {
  const targets = configuredTargets(config);
  const [token, ...reads] = await Promise.allSettled([talend.checkToken(), ...targets.map((target) => talend.inspect(target))]);
  if (token?.status === 'rejected') throw token.reason;
  const found = reads.flatMap((r, i) => (r.status === 'rejected' ? [`${describeTarget(targets[i]!.key)}: ${(r.reason as Error).message}`] : []));
  const inspections: Record<string, TargetInspection> = {};
  reads.forEach((r, i) => {
    if (r.status === 'fulfilled' && r.value !== undefined) inspections[targets[i]!.key] = r.value;
  });
  if (found.length > 0) {
    throw new RunFailure(`A Talend target cannot take the new secret:\n${found.join('\n')}`, {
      changedNothing: true,
      nextRun: 'fails the same way until the target is fixed or left out of the inputs.',
    });
  }
  return inspections;
}

/**
 * Whether this tenant shows hidden values in clear, proven the only way that needs no trust in how
 * a string looks: a value read for a target's own secret parameter is a secret of this client
 * that Qlik accepts at /oauth/token (its token is revoked at once). False when Qlik refuses every
 * candidate; a request without a definite answer stops the run (nothing was changed).
 */
export async function proveShownInClear(qlik: QlikApi, clientId: string, candidates: string[]): Promise<boolean> {
  for (const value of new Set(candidates)) {
    const answer = await qlik.exchangeToken(clientId, value);
    if (answer.accepted) {
      await answer.revoked;
      return true;
    }
  }
  return false;
}

async function findClient(config: Config, qlik: QlikApi): Promise<OAuthClient | null> {
  if (config.clientId) {
    registerSecret(config.clientId);
    const client = await qlik.getClient(config.clientId);
    if (!client) {
      throw new RunFailure(
        "Input 'client-id': no OAuth client with this ID exists in the Qlik tenant. The action never creates a client when 'client-id' is given.",
        { changedNothing: true },
      );
    }
    return client;
  }
  const matches = await qlik.findClientsByName(config.clientName);
  if (matches.length > 1) {
    // Before reading any of them in full: a tenant with thousands of matches costs no extra request.
    const ids = matches.slice(0, MAX_LISTED_IDS).map((c) => c.clientId).join(', ');
    const more = matches.length > MAX_LISTED_IDS ? ` and ${matches.length - MAX_LISTED_IDS} more` : '';
    throw new RunFailure(
      `${matches.length} OAuth clients are named "${config.clientName}" (IDs: ${ids}${more}). Set 'client-id' to the one Talend uses.`,
      { changedNothing: true },
    );
  }
  const [only] = matches;
  if (!only) return null;
  // Half of the credential pair: masked before any request path or debug line names it.
  registerSecret(only.clientId);
  return qlik.completeListed(only);
}
