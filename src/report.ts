/**
 * Outputs, the job summary and the final error. Masking happened when each secret came to exist;
 * this module only writes values that are already masked, and registers the credential pair once
 * more (idempotent) right before writing it, so no order of calls can leak it.
 */
import * as core from '@actions/core';
import type { Config, OutputName } from './config.js';
import type { Progress } from './core/apply.js';
import { RunFailure } from './core/failure.js';
import { type PlanStep, type RotationPlan, createdAtLabel, describeAge, nextRotationDue } from './core/plan.js';
import { ApiError } from './http/api-client.js';
import { isOutputSafeHint } from './qlik/model.js';
import { registerSecret, scrubKnownSecrets } from './secrets.js';
import { escapeHtml, logInfo, plainText } from './untrusted-text.js';

export type RunResult = 'created' | 'rotated' | 'repaired' | 'unchanged' | 'planned' | 'failed';

export function reportPlan(plan: RotationPlan, config: Config): void {
  core.startGroup(`Plan: ${plan.steps.length === 0 ? 'nothing to do' : `${plan.steps.length} step(s)`}`);
  for (const step of plan.steps) logInfo(`- ${describeStep(step)}`);
  if (plan.steps.length === 0) logInfo('The client, its secrets and Talend are as they should be.');
  if (config.dryRun) logInfo('dry-run is true: nothing will be changed.');
  core.endGroup();
}

export async function reportSuccess(result: RunResult, config: Config, progress: Progress, now: number): Promise<void> {
  writeOutputs(result, config, progress);
  for (const change of progress.changes) logInfo(`Done: ${change}`);
  logInfo(`Result: ${result}`);
  await writeSummary(result, config, progress, now, undefined);
}

/**
 * Never throws: whatever else goes wrong while reporting, the step ends with exit code 1,
 * `result=failed` and one `::error::`.
 */
export async function reportFailure(err: unknown, config: Config, progress: Progress | undefined, now: number): Promise<void> {
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
  // One annotation with a title that says which system gave up.
  core.error(message, { title: failureTitle(err) });
}

function writeOutputs(result: RunResult, config: Config, progress: Progress): void {
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
  const holds = knownHeld(progress);
  set('secret-hint', holds && isOutputSafeHint(holds.hint) ? holds.hint : '');
  set('secret-created-at', createdAtLabel(holds) ?? '');
  set('next-rotation-due', nextRotationDue(holds, config.maxSecretAgeDays) ?? '');
  set('plan', JSON.stringify((progress.plan?.steps ?? []).map(outputStep)));
}

/** A plan step as the `plan` output shows it: hints only when output-safe, no scopes Qlik sent. */
function outputStep(step: PlanStep): PlanStep {
  const hint = (h: string) => (isOutputSafeHint(h) ? h : '(withheld)');
  switch (step.step) {
    case 'repair-scopes':
      return { step: step.step, from: [], to: step.to };
    case 'make-room':
      return { ...step, delete: step.delete.map(hint) };
    case 'retire-secrets':
      return { ...step, hints: Array.isArray(step.hints) ? step.hints.map(hint) : step.hints };
    default:
      return step;
  }
}

/** The secret Talend is known to hold, or undefined when nobody knows (no record, an unknown delivery). */
function knownHeld(progress: Progress): Progress['talendHolds'] {
  return progress.delivery === 'unknown' ? undefined : progress.talendHolds;
}

function failureMessage(err: unknown, progress: Progress | undefined): string {
  const what = err instanceof Error ? err.message : String(err);
  const detail = err instanceof RunFailure ? err.detail : {};
  // A request without a definite answer may have changed something (a client or secret created).
  const unknown = err instanceof ApiError && err.kind === 'unknown-outcome';
  const lines = [what];
  if (unknown) {
    lines.push(`The outcome of ${err.doing} is unknown: it may have taken effect in ${err.service}.`);
    if (progress && progress.changes.length > 0) lines.push(`Qlik: ${qlikState(progress)}`, `Talend: ${talendState(progress)}`);
  } else if (detail.changedNothing || !progress || (progress.changes.length === 0 && !progress.newSecret)) {
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

function qlikState(progress: Progress): string {
  const done = progress.changes.length > 0 ? `this run ${progress.changes.join('; ')}. ` : '';
  const hints = progress.secrets.map((s) => s.hint).join(', ');
  return `${done}The client holds ${progress.secrets.length} secret(s)${hints ? ` (${hints})` : ''}.`;
}

function talendState(progress: Progress): string {
  const newHint = progress.newSecret?.meta?.hint;
  switch (progress.delivery) {
    case 'stored':
      return `holds the new secret ${newHint}.`;
    case 'refused':
      return `refused the new secret and still holds its previous one${progress.talendHolds ? ` (${progress.talendHolds.hint})` : ''}.`;
    case 'unknown':
      return `may hold the new secret ${newHint} or its previous one; both are kept in Qlik.`;
    default:
      return progress.talendHolds ? `unchanged, holds secret ${progress.talendHolds.hint}.` : 'unchanged; which secret it holds is not known.';
  }
}

function nextRunAfter(progress: Progress | undefined): string {
  if (!progress || (progress.changes.length === 0 && !progress.newSecret)) return 'starts over from the same state.';
  if (progress.newSecret && progress.delivery === 'not-needed') {
    return 'the new secret was not delivered, so Talend does not hold it; the next run retires it and rotates again if a rotation is still due.';
  }
  return 'reads both systems again and finishes what this run could not.';
}

async function writeSummary(
  result: RunResult,
  config: Config,
  progress: Progress | undefined,
  now: number,
  failure: string | undefined,
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const holds = progress ? knownHeld(progress) : undefined;
  const rows: [string, string][] = [
    ['Result', result],
    ['OAuth client', `${config.clientName}${progress?.clientId ? ` (ID ${progress.clientId})` : ''}`],
    ['Found', progress?.found ?? 'not read'],
    ['Secret Talend holds', holds ? `${holds.hint} (${describeAge(holds, now)})` : 'unknown'],
    ['Secrets in Qlik', progress?.secrets.map((s) => `${s.hint} (${describeAge(s, now)})`).join(', ') || 'none'],
    ['Next rotation due', nextRotationDue(holds, config.maxSecretAgeDays) ?? 'unknown'],
    ['Talend delivery', progress?.delivery ?? 'not-needed'],
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
      ...rows.map(([k, v]) => [k, escapeHtml(scrubKnownSecrets(v))]),
    ]);
  const changes = progress?.changes ?? [];
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

function describeCheck(config: Config, progress: Progress | undefined): string {
  if (!config.talendCheckTaskId) return 'not configured';
  if (progress && progress.check !== 'not-run') return `${progress.check}${progress.checkDetail ? `: ${progress.checkDetail}` : ''}`;
  const last = progress?.lastCheck;
  return last ? `not needed this run (last check ${last.result} at ${last.at})` : 'not run';
}

function describeStep(step: PlanStep): string {
  switch (step.step) {
    case 'create-client':
      return `create the OAuth client "${step.clientName}" (web, client_credentials, consent trusted, scopes ${step.scopes.join(' ')})`;
    case 'repair-grant-types':
      return `add the grant type ${step.add}`;
    case 'repair-auth-methods':
      return `add the auth method ${step.add}`;
    case 'repair-scopes':
      return `change the scopes from "${step.from.join(' ')}" to "${step.to.join(' ')}"`;
    case 'repair-consent':
      return `change the consent method from ${step.from} to trusted`;
    case 'make-room':
      return `delete secret(s) ${step.delete.join(', ')} to make room (${step.why})`;
    case 'create-secret':
      return `create a new secret: ${step.reason}`;
    case 'verify-secret':
      return 'verify the new secret at Qlik /oauth/token';
    case 'deliver-to-talend':
      return "deliver it to TMC's Qlik Cloud Authentication";
    case 'check-talend-task':
      return `run the Talend check task (${step.reason === 'last-check-failed' ? 'the last check failed' : 'after delivery'})`;
    case 'retire-secrets':
      return `retire secrets: ${Array.isArray(step.hints) ? step.hints.join(', ') : step.hints}`;
    case 'write-record':
      return 'update the record on the client';
  }
}
