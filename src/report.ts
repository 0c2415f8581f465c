/**
 * Outputs, the job summary and the final error. Masking happened when each secret came to exist;
 * this module only writes values that are already masked, and registers the credential pair once
 * more (idempotent) right before writing it, so no order of calls can leak it.
 */
import * as core from '@actions/core';
import type { Config, OutputName } from './config.js';
import { RunFailure } from './core/failure.js';
import { type TargetState, commonHolding, knownHeld } from './core/holdings.js';
import type { Outcome } from './core/outcome.js';
import type { NewSecretReason, PlanStep, PlanWarning, RotationPlan } from './core/plan.js';
import { type SecretRef, createdAtLabel, describeAge, dueAgeDays, formatDays, nextRotationDue } from './core/secret-ref.js';
import { type Target, describeTarget, isOutputSafeKey } from './core/targets.js';
import { ApiError } from './http/api-client.js';
import type { InputError } from './inputs.js';
import { isOutputSafeHint } from './qlik/model.js';
import { registerSecret, scrubKnownSecrets } from './secrets.js';
import { renderQlikAuthRequest } from './talend/qlik-auth-request.js';
import { logInfo } from './log.js';
import { escapeHtml, plainText } from './untrusted-text.js';

export type RunResult = 'created' | 'rotated' | 'repaired' | 'unchanged' | 'planned' | 'failed';

export function reportPlan(plan: RotationPlan, config: Config): void {
  core.startGroup(`Plan: ${plan.steps.length === 0 ? 'nothing to do' : `${plan.steps.length} step(s)`}`);
  for (const step of plan.steps) logInfo(`- ${describeStep(step)}`);
  if (plan.steps.length === 0) logInfo('The client, its secrets and Talend are as they should be.');
  if (config.dryRun) {
    logInfo('dry-run is true: nothing will be changed.');
    const deliver = plan.steps.find((s) => s.step === 'deliver-to-talend');
    if (deliver) describeDeliveries(deliver.targets, config).forEach((line) => logInfo(line));
  }
  core.endGroup();
}

/** What a delivery would send to each target, as a dry run shows it: the secret as ***. */
function describeDeliveries(targets: Target[], config: Config): string[] {
  return targets.flatMap((target) => {
    if (target.kind !== 'qlik-auth') {
      const what = target.kind === 'connection' ? `TMC connection ${target.id}` : `the parameters of task ${target.id}`;
      return [`The delivery would update ${what}: ${target.names.clientId} = (client ID), ${target.names.clientSecret} = *** (read first, everything else sent back as read, read back after).`];
    }
    const rendered = renderQlikAuthRequest(config.talendQlikAuthRequest, {
      clientId: '(client ID)',
      clientSecret: '***',
      qlikTenantUrl: config.qlikTenantUrl,
    });
    const headers = ['authorization', 'content-type', 'talend-version', ...Object.keys(rendered.headers)];
    const body = rendered.form ? new URLSearchParams(rendered.form).toString() : JSON.stringify(rendered.json);
    return [
      `The delivery would send: ${rendered.method} ${target.url}`,
      `  headers: ${headers.join(', ')}`,
      `  body (${config.talendQlikAuthRequest.contentType}): ${body}`,
    ];
  });
}

export async function reportSuccess(result: RunResult, config: Config, progress: Outcome, now: number): Promise<void> {
  writeOutputs(result, config, progress);
  reportWarnings(progress);
  // Each change was logged as it happened (apply.ts); here only the verdict.
  logInfo(`Result: ${result}`);
  await writeSummary(result, config, progress, now, undefined);
}

/**
 * Never throws: whatever else goes wrong while reporting, the step ends with exit code 1,
 * `result=failed` and one `::error::`.
 */
export async function reportFailure(err: unknown, config: Config, progress: Outcome | undefined, now: number): Promise<void> {
  process.exitCode = 1;
  let message: string;
  try {
    // Defence in depth: every message part is built without secrets, but an unexpected error's
    // text is not ours; the runner would mask it in the log, not in the summary file.
    message = scrubKnownSecrets(failureMessage(err, progress));
  } catch {
    message = 'The run failed, and describing how failed too. Read both systems before the next run.';
  }
  try {
    core.setOutput('result', 'failed');
    if (progress) writeOutputs('failed', config, progress);
  } catch {
    // Outputs as far as they could be written; `result` is written first.
  }
  try {
    if (!(err instanceof RunFailure) && !(err instanceof ApiError) && err instanceof Error && err.stack) {
      core.debug(scrubKnownSecrets(err.stack));
    }
    await writeSummary('failed', config, progress, now, message);
  } catch {
    // The annotation below still says what failed.
  }
  try {
    if (progress) reportWarnings(progress);
  } catch {
    // The error below matters more.
  }
  // One annotation with a title that says which system gave up.
  core.error(message, { title: failureTitle(err) });
}

/**
 * Bad inputs end the run before any request: `result=failed` and one error that names each input
 * (and quotes no value). Like every report, the output comes first.
 */
export function reportInvalidInputs(err: InputError): void {
  core.setOutput('result', 'failed');
  core.error(err.message, { title: 'Invalid input' });
  process.exitCode = 1;
}

/** The one channel for warnings: the plan's, then what apply met (a task's auto-upgrade, say). */
function reportWarnings(progress: Outcome): void {
  for (const warning of progress.plan.warnings) {
    const { title, text } = describeWarning(warning);
    core.warning(text, { title });
  }
  for (const warning of progress.warnings) core.warning(scrubKnownSecrets(warning), { title: 'Talend target' });
}

function describeWarning(warning: PlanWarning): { title: string; text: string } {
  switch (warning.kind) {
    case 'not-in-inputs':
      return {
        title: 'Talend targets',
        text:
          `The record on the OAuth client names Talend targets this run's inputs do not: ${warning.targets.map(describeTarget).join(', ')}. ` +
          "Their secrets are kept. If they no longer use this client, run once with 'retarget: true' to drop them (they lose their secrets).",
      };
    case 'age-unknown':
      return {
        title: 'Secret age unknown',
        text: "Qlik gives no usable creation time for the secret Talend holds (none, or one in the future), so 'rotate: auto' cannot tell its age and will not rotate it. Use 'rotate: always' on a schedule instead.",
      };
    case 'lease-ignored':
      return {
        title: 'Lease ignored',
        text: `The record on the OAuth client holds a lease that claims to last until ${plainText(warning.lease.expiresAt, 40)}, longer than any run of this action can: it is ignored.`,
      };
    case 'proof-needed':
      return {
        title: 'Talend targets',
        text:
          `Talend may hide values of ${warning.targets.map(describeTarget).join(', ')}, and their update must send every value back. ` +
          "A real run tests the value it reads for the client secret at Qlik's /oauth/token to prove that Talend shows such values in clear, and refuses these targets otherwise.",
      };
    case 'record-unreadable':
      return {
        title: 'Record',
        text: "The action's record on the OAuth client could not be read, so Talend may hold any of its secrets. A new secret will be delivered; the unreadable block stays in the description as it is.",
      };
  }
}

function writeOutputs(result: RunResult, config: Config, progress: Outcome): void {
  const set = (name: OutputName, value: string) => core.setOutput(name, value);
  set('result', result);
  registerSecret(progress.clientId);
  set('client-id', progress.clientId ?? '');
  // Also on failure: a person can finish by hand with the secret this run created.
  registerSecret(progress.newSecret?.value);
  // A secret the run deleted again is of no use to anyone finishing by hand.
  set('client-secret', progress.newSecret && !progress.newSecret.deleted ? progress.newSecret.value : '');
  // Outputs are labels the action formats itself: a later `run:` step may paste them into a
  // shell, so no text a server chose reaches them.
  const holds = knownHeld(progress.targets, progress.delivery);
  set('secret-hint', holds && isOutputSafeHint(holds.hint) ? holds.hint : '');
  set('secret-created-at', createdAtLabel(holds) ?? '');
  set('next-rotation-due', nextRotationDue(holds, config.maxSecretAgeDays) ?? '');
  set('plan', JSON.stringify(planOutput(progress.plan.steps)));
  set('targets', JSON.stringify(targetsOutput(progress.targets)));
}

/** A target key as outputs show it: null unless shell-safe (targets.ts). */
function safeKey(key: string): string | null {
  return isOutputSafeKey(key) ? key : null;
}

/**
 * The `targets` output: each target's key, status, the hint it holds and how this run's delivery
 * was confirmed; no values, no server text.
 */
export function targetsOutput(targets: TargetState[]): Record<string, unknown>[] {
  return targets.map((t) => ({
    target: safeKey(t.key),
    status: t.status,
    hint: t.holds && isOutputSafeHint(t.holds.hint) ? t.holds.hint : null,
    confirmed: t.evidence ?? null,
  }));
}

/** How a delivery was confirmed, in words. */
function describeEvidence(evidence: NonNullable<TargetState['evidence']>): string {
  switch (evidence) {
    case 'secret-read-back':
      return 'confirmed: the secret read back';
    case 'client-id-read-back':
      return 'confirmed: the client ID read back (Talend hides the secret, so the read-back cannot prove it)';
    case 'answer-only':
      return "confirmed by Talend's answer only (TMC's setting cannot be read back)";
    case 'check-task':
      return 'confirmed: the check task ran with it and passed';
  }
}

/**
 * The `plan` output: each step as data, no prose and no server text (the shape is in the README).
 * A hint that is not output-safe shows as null.
 */
export function planOutput(steps: PlanStep[]): Record<string, unknown>[] {
  const hints = (secrets: SecretRef[]) => secrets.map((s) => (isOutputSafeHint(s.hint) ? s.hint : null));
  return steps.map((step) => {
    switch (step.step) {
      case 'create-client':
        return { step: step.step, scopes: step.scopes };
      case 'repair-grant-types':
        return { step: step.step, add: 'client_credentials' };
      case 'repair-auth-methods':
        return { step: step.step, add: 'client_secret' };
      case 'repair-scopes':
        // Only scopes from the input: `from` is what Qlik sent, and the full list to store keeps
        // scopes a person granted, also server text.
        return step.op === 'replace' ? { step: step.step, to: step.to } : { step: step.step, add: step.to.filter((s) => !step.from.includes(s)) };
      case 'make-room':
        return { step: step.step, hints: hints(step.secrets), reclaim: step.reclaim };
      case 'retire-secrets':
        return { step: step.step, hints: hints(step.secrets) };
      case 'deliver-to-talend':
        return { step: step.step, targets: step.targets.map((t) => safeKey(t.key)), drop: step.drop.map(safeKey) };
      case 'retire-older-secrets':
        return { step: step.step, keep: step.keep, protect: hints(step.protect) };
      case 'create-secret':
        return { step: step.step, reason: 'target' in step.reason ? { ...step.reason, target: safeKey(step.reason.target) } : step.reason };
      default:
        return { ...step };
    }
  });
}

function failureMessage(err: unknown, progress: Outcome | undefined): string {
  const what = err instanceof Error ? err.message : String(err);
  const detail = err instanceof RunFailure ? err.detail : {};
  // A request without a definite answer may have changed something (a client or secret created).
  const unknown = err instanceof ApiError && err.kind === 'unknown-outcome';
  const lines = [what];
  if (unknown) {
    lines.push(`The outcome of ${err.doing} is unknown: it may have taken effect in ${err.service}.`);
    if (progress && progress.done.length > 0) lines.push(`Qlik: ${qlikState(progress)}`, `Talend: ${talendState(progress)}`);
  } else if (detail.changedNothing || !progress || (progress.done.length === 0 && !progress.newSecret)) {
    lines.push('Nothing was changed in Qlik or Talend.');
  } else {
    lines.push(`Qlik: ${qlikState(progress)}`, `Talend: ${talendState(progress)}`);
  }
  const next = unknown
    ? 'reads both systems again: a client or secret this run may have created is adopted or retired, never one Talend may hold. A lease this run may have left blocks changes until this run\'s deadline.'
    : nextRunAfter(progress);
  lines.push(`Next run: ${detail.nextRun ?? next}`);
  return lines.join('\n');
}

function failureTitle(err: unknown): string {
  if (err instanceof ApiError) return `${err.service} request failed`;
  if (err instanceof RunFailure) return 'Rotation stopped';
  return 'qlik-talend-oauth failed';
}

function qlikState(progress: Outcome): string {
  const done = progress.done.length > 0 ? `this run ${progress.done.join('; ')}. ` : '';
  const hints = progress.secrets.map((s) => s.hint).join(', ');
  return `${done}The client holds ${progress.secrets.length} secret(s)${hints ? ` (${hints})` : ''}.`;
}

function talendState(progress: Outcome): string {
  const newHint = progress.newSecret?.meta?.hint;
  switch (progress.delivery) {
    case 'stored':
      return `holds the new secret ${newHint}${progress.targets.length > 1 ? ' at every target' : ''}.`;
    case 'refused': {
      const held = commonHolding(progress.targets);
      return `refused the new secret and still holds its previous one${held ? ` (${held.hint})` : ''}.`;
    }
    case 'unknown':
      return `may hold the new secret ${newHint} or its previous one; both are kept in Qlik.`;
    case 'partial':
      return `not every target took the new secret ${newHint}: ${progress.targets.map((t) => `${describeTarget(t.key)} ${describeHolding(t)}`).join('; ')}. Every secret a target holds or may hold is kept in Qlik.`;
    default: {
      const held = commonHolding(progress.targets);
      return held ? `unchanged, holds secret ${held.hint}.` : 'unchanged; which secret it holds is not known.';
    }
  }
}

/** What one target holds, in words. */
function describeHolding(t: TargetState): string {
  const held = t.holds ? `holds ${t.holds.hint}` : 'holds an unknown secret';
  switch (t.status) {
    case 'delivered':
      return `took ${t.holds?.hint ?? 'the new secret'}`;
    case 'refused':
      return `refused it (${t.detail ?? 'no reason given'}) and ${held}`;
    case 'unknown':
      return t.detail ? `gave no definite answer (${t.detail}): it may hold the new secret or its previous one` : 'holds an unknown secret';
    case 'not-in-inputs':
      return `is not in this run's inputs; ${held} (kept)`;
    case 'dropped':
      return 'was dropped from the record (retarget)';
    case 'holds':
      return held;
  }
}

function nextRunAfter(progress: Outcome | undefined): string {
  if (!progress || (progress.done.length === 0 && !progress.newSecret)) return 'starts over from the same state.';
  if (progress.newSecret && progress.delivery === 'not-needed') {
    return 'the new secret was not delivered, so Talend does not hold it; the next run retires it and rotates again if a rotation is still due.';
  }
  return 'reads both systems again and finishes what this run could not.';
}

async function writeSummary(
  result: RunResult,
  config: Config,
  progress: Outcome | undefined,
  now: number,
  failure: string | undefined,
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const holds = progress ? knownHeld(progress.targets, progress.delivery) : undefined;
  const rows: [string, string][] = [
    ['Result', result],
    ['OAuth client', `${config.clientName}${progress?.clientId ? ` (ID ${progress.clientId})` : ''}`],
    ['Found', progress?.found ?? 'not read'],
    ['Secret Talend holds', holds ? `${holds.hint} (${describeAge(holds, now)})` : 'unknown'],
    ['Secrets in Qlik', progress?.secrets.map((s) => `${s.hint} (${describeAge(s, now)})`).join(', ') || 'none'],
    ['Next rotation due', nextRotationDue(holds, config.maxSecretAgeDays) ?? 'unknown'],
    ['Talend delivery', progress?.delivery ?? 'not-needed'],
    ...(progress?.targets ?? []).map((t): [string, string] => [
      `Target: ${describeTarget(t.key)}`,
      `${t.status}: ${describeHolding(t)}${t.evidence ? `; ${describeEvidence(t.evidence)}` : ''}`,
    ]),
    ['Task-run check', describeCheck(config, progress)],
  ];
  const summary = core.summary
    .addHeading('Qlik Cloud OAuth secret for Talend', 2)
    .addTable([
      [
        { data: 'What', header: true },
        { data: 'State', header: true },
      ],
      // Rows quote what servers said (statuses, hints): scrubbed like the failure message.
      ...rows.map(([k, v]) => [escapeHtml(k), escapeHtml(scrubKnownSecrets(v))]),
    ]);
  const changes = progress?.done ?? [];
  summary.addHeading('Changes', 3).addList(changes.length > 0 ? changes.map((c) => escapeHtml(scrubKnownSecrets(c))) : ['none']);
  // addCodeBlock does not escape: the block is written here, escaped like every other part.
  if (failure) summary.addHeading('What failed and what to do', 3).addRaw(`<pre><code>${escapeHtml(failure)}</code></pre>`, true);
  try {
    await summary.write();
  } catch (err) {
    // A summary that cannot be written must not turn a successful rotation into a failed run.
    core.warning(`Could not write the job summary: ${plainText(scrubKnownSecrets(String((err as Error).message)))}`);
  }
}

function describeCheck(config: Config, progress: Outcome | undefined): string {
  if (!config.talendCheckTaskId) return 'not configured';
  if (progress && progress.check !== 'not-run') return `${progress.check}${progress.checkDetail ? `: ${progress.checkDetail}` : ''}`;
  const last = progress?.lastCheck;
  return last ? `not needed this run (last check ${last.result} at ${last.at})` : 'not run';
}

function describeStep(step: PlanStep): string {
  const list = (secrets: SecretRef[]) => secrets.map((x) => x.hint).join(', ');
  switch (step.step) {
    case 'create-client':
      return `create the OAuth client "${step.clientName}" (web, client_credentials, consent trusted, scopes ${step.scopes.join(' ')})`;
    case 'repair-grant-types':
      return 'add the grant type client_credentials';
    case 'repair-auth-methods':
      return 'add the auth method client_secret';
    case 'repair-scopes':
      return `change the scopes from "${step.from.join(' ')}" to "${step.to.join(' ')}"${step.op === 'replace' ? ' (scopes-exact)' : ' (the scopes a person granted stay)'}`;
    case 'repair-consent':
      return `change the consent method from ${step.from} to trusted`;
    case 'make-room':
      return `delete secret(s) ${list(step.secrets)} to make room (${step.reclaim ? 'reclaim-unrecorded-secrets' : 'not held by Talend'})`;
    case 'create-secret':
      return `create a new secret: ${describeReason(step.reason)}`;
    case 'verify-secret':
      return 'verify the new secret at Qlik /oauth/token';
    case 'deliver-to-talend':
      return `deliver it to ${step.targets.map((t) => describeTarget(t.key)).join(', ')}${step.drop.length > 0 ? `; then drop ${step.drop.map(describeTarget).join(', ')} from the record` : ''}`;
    case 'check-talend-task':
      return `run the Talend check task (${step.after === 'unfinished-check' ? 'the last check did not pass' : 'after delivery'})`;
    case 'write-record':
      return 'update the record on the client';
    case 'retire-secrets':
      return `retire secrets: ${list(step.secrets)}`;
    case 'retire-older-secrets':
      return `retire secrets older than the new one, beyond keep-previous-secrets (${step.keep})${step.protect.length > 0 ? `, but not ${list(step.protect)} (held by targets not in the inputs)` : ''}`;
  }
}

export function describeReason(reason: NewSecretReason): string {
  switch (reason.why) {
    case 'no-record':
      return 'there is no record of which secret Talend holds';
    case 'new-target':
      return `${describeTarget(reason.target)} is new to the record`;
    case 'target-drifted':
      return `${describeTarget(reason.target)} names another client ID than this client's (changed by hand?)`;
    case 'targets-differ':
      return 'the Talend targets hold different secrets (an earlier delivery reached only some)';
    case 'pending-delivery':
      return 'an earlier delivery to Talend has an unknown outcome';
    case 'nothing-delivered':
      return 'no secret has been delivered to Talend yet';
    case 'delivered-gone':
      return 'the secret Talend holds no longer exists in Qlik';
    case 'retarget':
      return "recorded Talend targets are not in this run's inputs and 'retarget' is true";
    case 'rotate-always':
      return "'rotate' is 'always'";
    case 'age':
      return `the secret Talend holds is ${formatDays(reason.ageDays)} days old ('max-secret-age-days' is ${reason.maxAgeDays}; due from ${formatDays(dueAgeDays(reason.maxAgeDays))}, so that a schedule's jitter never skips a rotation)`;
  }
}
