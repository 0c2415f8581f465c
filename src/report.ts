/**
 * Outputs, the job summary and the final error. Masking happened when each secret came to exist;
 * this module only writes values that are already masked, and registers the credential pair once
 * more (idempotent) right before writing it, so no order of calls can leak it.
 */
import type { Config, OutputName } from './config.js';
import { RunFailure } from './core/failure.js';
import { type TargetState, knownHeld } from './core/holdings.js';
import type { Outcome } from './core/outcome.js';
import type { PlanStep, RotationPlan } from './core/plan-model.js';
import { type SecretRef, createdAtLabel, describeAge, isoTime, nextRotationDue } from './core/secret-ref.js';
import { describeTarget, isOutputSafeKey } from './core/targets.js';
import { ApiError } from './http/api-client.js';
import type { InputError } from './inputs.js';
import { isOutputSafeHint } from './qlik/model.js';
import { registerSecret, scrubKnownSecrets } from './secrets.js';
import { host } from './host/host.js';
import type { JobSummary } from './host/summary.js';
import { logInfo } from './log.js';
import { plainText } from './untrusted-text.js';
import {
  apiKeyWarning,
  describeApiKey,
  describeCheck,
  describeDeliveries,
  describeEvidence,
  describeHolding,
  describeStep,
  describeWarning,
  qlikRefusedTheKey,
  qlikState,
  talendState,
} from './report-words.js';

export type RunResult = 'created' | 'rotated' | 'repaired' | 'unchanged' | 'planned' | 'decommissioned' | 'failed';

export function reportPlan(plan: RotationPlan, config: Config): void {
  host().startGroup(`Plan: ${plan.steps.length === 0 ? 'nothing to do' : `${plan.steps.length} step(s)`}`);
  for (const step of plan.steps) logInfo(`- ${describeStep(step)}`);
  if (plan.steps.length === 0) logInfo('The client, its secrets and Talend are as they should be.');
  if (config.dryRun) {
    logInfo('dry-run is true: nothing will be changed.');
    const deliver = plan.steps.find((s) => s.step === 'deliver-to-talend');
    if (deliver) describeDeliveries(deliver.targets, config).forEach((line) => logInfo(line));
  }
  host().endGroup();
}

export async function reportSuccess(result: RunResult, config: Config, progress: Outcome, now: number): Promise<void> {
  writeOutputs(result, config, progress);
  reportWarnings(progress, config, now);
  // Each change was logged as it happened (apply.ts); here only the verdict.
  logInfo(`Result: ${result}`);
  await writeSummary(result, config, progress, now, undefined);
}

/**
 * Never throws: whatever else goes wrong while reporting, the run ends failed (the entry point's
 * exit code), with `result=failed` and one error.
 */
export async function reportFailure(err: unknown, config: Config, progress: Outcome | undefined, now: number): Promise<void> {
  let message: string;
  try {
    // Defence in depth: every message part is built without secrets, but an unexpected error's
    // text is not ours; the runner would mask it in the log, not in the summary file.
    message = scrubKnownSecrets(failureMessage(err, progress));
  } catch {
    message = 'The run failed, and describing how failed too. Read both systems before the next run.';
  }
  try {
    host().setOutput('result', 'failed');
    if (progress) writeOutputs('failed', config, progress);
  } catch {
    // Outputs as far as they could be written; `result` is written first.
  }
  try {
    if (!(err instanceof RunFailure) && !(err instanceof ApiError) && err instanceof Error && err.stack) {
      host().debug(scrubKnownSecrets(err.stack));
    }
    await writeSummary('failed', config, progress, now, message);
  } catch {
    // The annotation below still says what failed.
  }
  try {
    if (progress) reportWarnings(progress, config, now);
  } catch {
    // The error below matters more.
  }
  // One annotation with a title that says which system gave up.
  host().error(message, failureTitle(err));
}

/**
 * Bad inputs end the run before any request: `result=failed` and one error that names each input
 * (and quotes no value). Like every report, the output comes first.
 */
export function reportInvalidInputs(err: InputError): void {
  host().setOutput('result', 'failed');
  host().error(err.message, 'Invalid input');
}

/** The one channel for warnings: the plan's, then what apply met (a task's auto-upgrade, say). */
function reportWarnings(progress: Outcome, config: Config, now: number): void {
  for (const { title, text } of warningsOf(progress, config, now)) host().warning(text, title);
}

/** Every warning of the run, in one list: the API key's, the plan's, then what apply met. */
function warningsOf(progress: Outcome, config: Config, now: number): { title: string; text: string }[] {
  const expiring = apiKeyWarning(progress.apiKey, config.apiKeyWarningDays, now);
  return [
    ...(expiring ? [{ title: 'Qlik API key', text: expiring }] : []),
    ...progress.plan.warnings.map(describeWarning),
    ...progress.warnings.map((warning) => ({ title: 'Talend target', text: scrubKnownSecrets(warning) })),
  ];
}

function writeOutputs(result: RunResult, config: Config, progress: Outcome): void {
  const set = (name: OutputName, value: string) => host().setOutput(name, value);
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
  // Times the action formats itself, and a count: no server text.
  set('qlik-api-key-expires-at', progress.apiKey?.read && progress.apiKey.expiresAt !== undefined ? (isoTime(progress.apiKey.expiresAt) ?? '') : '');
  set('tokens-revoked', progress.tokensRevoked === undefined ? '' : String(progress.tokensRevoked));
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
      case 'detach-targets':
        return { step: step.step, targets: step.targets.map((t) => safeKey(t.key)) };
      case 'disconnect-tmc':
        // The URL is the user's input, but not for an output a shell may read.
        return { step: step.step };
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
  // The admin API key refused: the most common reason a scheduled run starts failing.
  if (err instanceof ApiError && err.service === 'Qlik' && err.status === 401) lines.push(qlikRefusedTheKey());
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
    ['Qlik API key', progress ? describeApiKey(progress.apiKey, now) : 'not read'],
    ...(progress?.tokensRevoked !== undefined ? [['OAuth tokens revoked', String(progress.tokensRevoked)] as [string, string]] : []),
  ];
  const warnings = progress ? warningsOf(progress, config, now) : [];
  const summary: JobSummary = {
    heading: 'Qlik Cloud OAuth secret for Talend',
    // Rows quote what servers said (statuses, hints): scrubbed like the failure message.
    rows: rows.map(([what, state]) => [what, scrubKnownSecrets(state)]),
    changes: (progress?.done ?? []).map(scrubKnownSecrets),
    warnings: warnings.map((w) => `${w.title}: ${scrubKnownSecrets(w.text)}`),
    ...(failure === undefined ? {} : { failure }),
  };
  try {
    await host().writeSummary(summary);
  } catch (err) {
    // A summary that cannot be written must not turn a successful rotation into a failed run.
    host().warning(`Could not write the job summary: ${plainText(scrubKnownSecrets(String((err as Error).message)))}`, 'Job summary');
  }
}
