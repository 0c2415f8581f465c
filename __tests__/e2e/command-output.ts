/**
 * What the command may print under each CI (shared by the command's journeys and the leak suite):
 * on GitHub Actions a secret appears only in its `::add-mask::` line, on Azure Pipelines only in
 * its `##vso[task.setsecret]` line, and elsewhere nowhere at all: no secret, no token, no client
 * ID, in the log, the output JSON or the summary file. No CI's commands appear where that CI does
 * not run.
 */
import type { Emulator } from '../../emulator/index.js';
import type { CiKind, CommandRun } from '../../scripts/command-runner.js';

/** Every value that must not be shown: what the emulator issued or saw, and every client ID. */
export function secretsOf(emu: Emulator): string[] {
  const ids = emu.clients().map((c) => c.clientId);
  return [...new Set([...emu.issuedSecrets(), ...ids, emu.qlikApiKey, emu.talendToken])].filter((s) => s.length >= 8);
}

export function commandLogProblems(run: CommandRun, ci: CiKind, secrets: string[]): string[] {
  const problems: string[] = [];
  const name = (s: string) => `a value starting ${s.slice(0, 6)}…`;
  const maskLine = ci === 'github-actions' ? '::add-mask::' : ci === 'azure-pipelines' ? '##vso[task.setsecret]' : undefined;
  const lines: [string, string][] = [
    ...run.stdout.split('\n').map((l): [string, string] => ['stdout', l]),
    ...run.stderr.split('\n').map((l): [string, string] => ['stderr', l]),
  ];
  for (const secret of secrets) {
    for (const [where, line] of lines) {
      if (!line.includes(secret)) continue;
      if (maskLine !== undefined && line === `${maskLine}${secret}` && where === 'stdout') continue;
      problems.push(`${where} shows ${name(secret)}: ${line.replace(secret, '<secret>').slice(0, 120)}`);
    }
    // The output JSON never holds the secret; the client ID is an output like in the action.
    const json = JSON.stringify(run.outputs);
    if (json.includes(secret) && run.outputs['client-id'] !== secret) problems.push(`the output JSON holds ${name(secret)}`);
    if (run.summary.includes(secret)) problems.push(`the summary file holds ${name(secret)}`);
  }
  if ('client-secret' in run.outputs) problems.push('the output JSON has client-secret');
  const text = `${run.stdout}\n${run.stderr}`;
  if (ci !== 'github-actions' && /^\s*::[A-Za-z-]+/m.test(text)) problems.push('a GitHub workflow command outside GitHub Actions');
  if (ci !== 'azure-pipelines' && /##vso\[|^##\[/m.test(text)) problems.push('an Azure logging command outside Azure Pipelines');
  return problems;
}

export function excerptOf(run: CommandRun): string {
  return `exit ${run.code}\nstdout:\n${run.stdout.slice(0, 4000)}\nstderr:\n${run.stderr.slice(0, 2000)}`;
}
