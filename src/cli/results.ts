/**
 * What the command leaves behind besides its log: the outputs as JSON (never the secret), the
 * new secret in a file only its owner can read, and the job summary as Markdown. A wrapper
 * around the CI's host collects what the run reports and passes it on.
 */
import { closeSync, constants, fchmodSync, lstatSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { OutputName } from '../config.js';
import type { Host } from '../host/host.js';
import { summaryMarkdown } from '../host/summary.js';

export interface ResultFiles {
  outputJson?: string;
  secretFile?: string;
  summaryFile?: string;
}

export interface CollectingHost extends Host {
  readonly outputs: Map<OutputName, string>;
}

/** `base`, with every output kept and the summary also written to `files.summaryFile`. */
export function collecting(base: Host, files: ResultFiles): CollectingHost {
  const outputs = new Map<OutputName, string>();
  return {
    ...base,
    outputs,
    setOutput: (name: OutputName, value: string) => {
      outputs.set(name, value);
      base.setOutput(name, value);
    },
    writeSummary: async (summary) => {
      await base.writeSummary(summary);
      if (files.summaryFile !== undefined) await writeFile(files.summaryFile, summaryMarkdown(summary), 'utf8');
    },
  };
}

/**
 * What would stop the results from being written, found before any request: a rotation must not
 * succeed only to fail at its last step. Each problem names its flag.
 */
export function resultFileProblems(files: ResultFiles): string[] {
  const problems: string[] = [];
  const given = (['outputJson', 'secretFile', 'summaryFile'] as const).flatMap((key) => (files[key] === undefined ? [] : [[key, files[key]] as const]));
  const flag = { outputJson: '--output-json', secretFile: '--secret-file', summaryFile: '--summary-file' };
  const seen = new Map<string, string>();
  for (const [key, path] of given) {
    const where = resolve(path);
    const other = seen.get(where);
    if (other !== undefined) problems.push(`Flag ${flag[key]} names the same file as ${other}.`);
    seen.set(where, flag[key]);
    const parent = statOrNull(() => statSync(dirname(where)));
    if (!parent?.isDirectory()) problems.push(`Flag ${flag[key]}: the directory for the file does not exist.`);
    const existing = statOrNull(() => lstatSync(where));
    if (existing?.isDirectory()) problems.push(`Flag ${flag[key]} names a directory.`);
    if (key === 'secretFile' && existing?.isSymbolicLink()) problems.push('Flag --secret-file names a symbolic link; the secret is written only to a file of its own.');
  }
  return problems;
}

function statOrNull<T>(stat: () => T): T | null {
  try {
    return stat();
  } catch {
    return null;
  }
}

/**
 * Writes the outputs and the secret where they were asked for. The secret file is created with
 * mode 0600 (and set to it if it existed), a symbolic link in its place is refused, and it is
 * written only when the run left a secret to use.
 */
export function writeResults(outputs: Map<OutputName, string>, files: ResultFiles): void {
  if (files.outputJson !== undefined) {
    const shown = Object.fromEntries([...outputs].filter(([name]) => name !== 'client-secret'));
    writeFileSync(files.outputJson, `${JSON.stringify(shown, null, 2)}\n`, 'utf8');
  }
  const secret = outputs.get('client-secret');
  if (files.secretFile !== undefined && secret) writeOwnerOnly(files.secretFile, secret);
}

function writeOwnerOnly(path: string, text: string): void {
  // O_NOFOLLOW: a link planted where the file goes would send the secret elsewhere.
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    // Before the secret is in it: a file that existed keeps its mode through O_CREAT.
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
