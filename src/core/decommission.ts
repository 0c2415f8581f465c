/**
 * The decommission's rules (`operation: decommission`), as a pure function like the rotation's:
 * retire the integration in an order a stopped run can finish. Detach every Talend target the
 * inputs or the record name (their own parameters emptied, everything else kept, the write-back
 * rules of docs/talend-targets.md applying); disconnect TMC's setting through
 * `talend-qlik-auth-disconnect-request`, or tell a person to press Disconnect; revoke the bot
 * user's tokens; delete the client; revoke again (a token minted in between). A detach Talend
 * refuses stops the run before the client is deleted; a run with no client changes nothing.
 */
import type { Config } from '../config.js';
import { foreignLeaseOf, refuseOverlongRecord, unproven } from './plan-guards.js';
import { type ObservedState, type PlanStep, type PlanWarning, type RotationPlan, PlanError } from './plan-model.js';
import { type Target, configuredTargets, normalizedKey, targetOfKey } from './targets.js';

export function planDecommission(config: Config, observed: ObservedState, now: number, runId: string, runUrl?: string): RotationPlan {
  const { client } = observed;
  const { live: foreignLease, ignored: ignoredLease } = foreignLeaseOf(observed.record, now, runId);
  const done = (result: RotationPlan['result'], steps: PlanStep[], warnings: PlanWarning[], needsProof: string[] = []): RotationPlan => ({
    result,
    steps,
    talendMayHold: 'any',
    notInInputs: [],
    foreignLease,
    ignoredLease,
    blockedBy: result === 'unchanged' ? null : foreignLease,
    needsProof,
    warnings: ignoredLease ? [...warnings, { kind: 'lease-ignored', lease: ignoredLease }] : warnings,
  });
  // Deleted already (or never there): a rerun of a finished decommission changes nothing.
  if (client === null) return done('unchanged', [], []);
  if (config.confirmDecommission !== client.clientId) {
    throw new PlanError(
      `Input 'confirm-decommission' does not name the OAuth client found (by ${config.clientId ? "'client-id'" : `its name "${config.clientName}"`}): the decommission stopped before any change. ` +
        "Copy the client's ID from Qlik's Administration > OAuth into 'confirm-decommission'.",
      'confirm',
    );
  }

  // Every target the inputs or the record name, once.
  const targets = new Map<string, Target>();
  for (const t of configuredTargets(config)) targets.set(t.key, t);
  for (const { key } of observed.record?.targets ?? []) {
    const t = targetOfKey(key, config);
    if (t && !targets.has(t.key)) targets.set(t.key, t);
  }
  // A recorded connection or task Talend no longer has (Read state found none) has nothing to detach.
  const detach = [...targets.values()].filter((t) => t.kind !== 'qlik-auth' && observed.targets?.[t.key] !== undefined);
  const disconnectUrl = config.talendQlikAuthDisconnect?.url;
  const tmc = [...targets.values()].filter((t) => t.kind === 'qlik-auth');
  const byRequest = disconnectUrl === undefined ? [] : tmc.filter((t) => t.key === normalizedKey(`qlik-auth:${disconnectUrl}`));
  const byHand = tmc.filter((t) => !byRequest.includes(t)).map((t) => t.key);

  const steps: PlanStep[] = [];
  if (detach.length > 0) steps.push({ step: 'detach-targets', targets: detach, shownInClear: observed.shownInClear === true });
  if (disconnectUrl !== undefined && (byRequest.length > 0 || tmc.length === 0)) steps.push({ step: 'disconnect-tmc', url: disconnectUrl });
  const botUserId = observed.record?.botUserId ?? null;
  if (botUserId) steps.push({ step: 'revoke-tokens', after: 'decommission' });
  steps.push({ step: 'delete-client' });
  if (botUserId) steps.push({ step: 'revoke-tokens', after: 'decommission' });

  const warnings: PlanWarning[] = [];
  if (byHand.length > 0) warnings.push({ kind: 'press-disconnect', targets: byHand });
  warnings.push({ kind: 'bot-user-stays', botUserId });
  // The lease is the only record write: nothing pending is added.
  refuseOverlongRecord(observed, [], { runId, runUrl, now });
  const needsProof = unproven(observed, detach, false, 'be detached');
  if (needsProof.length > 0 && config.dryRun) warnings.push({ kind: 'proof-needed', targets: needsProof });
  return done('decommissioned', steps, warnings, needsProof);
}
