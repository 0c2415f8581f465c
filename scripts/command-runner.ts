/**
 * Runs the command (`node dist/cli.js`) as a CI system would: a child process with the variables
 * that CI sets in every job, the credentials in the environment, the inputs as flags, and the
 * result files (--output-json, --secret-file, --summary-file) in a directory of its own. Nothing
 * of the test process's environment is passed on but PATH: a CI variable inherited from the
 * machine running the tests would change which CI the command believes it is in.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CREDENTIAL_VARIABLES } from '../src/cli/args.js';
import type { CiKind } from '../src/host/ci.js';
import { parseOutputFile } from './action-runner.js';

export type { CiKind };

export const COMMAND = resolve(import.meta.dirname, '../dist/cli.js');

export const CI_KINDS: CiKind[] = ['github-actions', 'azure-pipelines', 'gitlab', 'jenkins', 'bitbucket', 'terminal'];

/** The variables each CI sets in every job (those the command reads, with made-up values). */
export function ciEnvironment(kind: CiKind, dir: string): Record<string, string> {
  switch (kind) {
    case 'github-actions':
      return {
        GITHUB_ACTIONS: 'true',
        CI: 'true',
        GITHUB_OUTPUT: join(dir, 'github-output'),
        GITHUB_STEP_SUMMARY: join(dir, 'github-summary'),
        GITHUB_SERVER_URL: 'https://github.example',
        GITHUB_REPOSITORY: 'acme/data-platform',
        GITHUB_RUN_ID: '4242',
        GITHUB_RUN_ATTEMPT: '1',
      };
    case 'azure-pipelines':
      return { TF_BUILD: 'True', BUILD_BUILDID: '77', SYSTEM_JOBATTEMPT: '1', SYSTEM_COLLECTIONURI: 'https://dev.azure.example/acme/', SYSTEM_TEAMPROJECT: 'data platform' };
    case 'gitlab':
      return { GITLAB_CI: 'true', CI: 'true', CI_JOB_ID: '9001', CI_JOB_URL: 'https://gitlab.example/acme/data-platform/-/jobs/9001' };
    case 'jenkins':
      return { JENKINS_URL: 'https://jenkins.example/', BUILD_TAG: 'jenkins-rotate-qlik-17', BUILD_URL: 'https://jenkins.example/job/rotate-qlik/17/' };
    case 'bitbucket':
      return { CI: 'true', BITBUCKET_BUILD_NUMBER: '31', BITBUCKET_STEP_UUID: '{0b1c2d3e}', BITBUCKET_GIT_HTTP_ORIGIN: 'https://bitbucket.example/acme/data-platform' };
    case 'terminal':
      return {};
  }
}

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** --output-json parsed; {} when the file was not written. */
  outputs: Record<string, string>;
  outputJsonWritten: boolean;
  /** --summary-file's Markdown; '' when not written. */
  summary: string;
  /** --secret-file: its text and mode bits, or null when not written. */
  secretFile: { text: string; mode: number } | null;
  secretFilePath: string;
  /** On GitHub Actions: GITHUB_OUTPUT parsed, and the job summary. */
  githubOutputs: Record<string, string>;
  githubSummary: string;
  dir: string;
}

export interface CommandOptions {
  /** Extra arguments after the inputs' flags (e.g. --verbose), or instead of them with `argv`. */
  extraArgs?: string[];
  /** The whole command line, replacing the one built from the inputs. */
  argv?: string[];
  env?: Record<string, string>;
  node?: string;
  /** Reuse a directory (and the secret file a previous run left there). */
  dir?: string;
}

/** The inputs as flags (`--name value`), the credentials as variables. */
export function commandLineOf(inputs: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  const argv: string[] = [];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const variable = (CREDENTIAL_VARIABLES as Record<string, string>)[name];
    if (variable !== undefined) env[variable] = value;
    else argv.push(`--${name}`, value);
  }
  return { argv, env };
}

export async function runCommand(inputs: Record<string, string>, ci: CiKind, opts: CommandOptions = {}): Promise<CommandRun> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'qto-cmd-'));
  const files = { output: join(dir, 'outputs.json'), secret: join(dir, 'secret.txt'), summary: join(dir, 'summary.md') };
  const ciEnv = ciEnvironment(ci, dir);
  if (ci === 'github-actions') {
    writeFileSync(ciEnv.GITHUB_OUTPUT!, '');
    writeFileSync(ciEnv.GITHUB_STEP_SUMMARY!, '');
  }
  const line = commandLineOf(inputs);
  const argv = opts.argv ?? [...line.argv, '--output-json', files.output, '--secret-file', files.secret, '--summary-file', files.summary, ...(opts.extraArgs ?? [])];
  const env = { PATH: process.env.PATH ?? '', HOME: dir, ...ciEnv, ...line.env, ...opts.env };
  const child = spawn(opts.node ?? process.execPath, [COMMAND, ...argv], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const outputJsonWritten = existsSync(files.output);
  return {
    code,
    stdout,
    stderr,
    outputs: outputJsonWritten ? (JSON.parse(read(files.output)) as Record<string, string>) : {},
    outputJsonWritten,
    summary: read(files.summary),
    secretFile: existsSync(files.secret) ? { text: read(files.secret), mode: statSync(files.secret).mode & 0o777 } : null,
    secretFilePath: files.secret,
    githubOutputs: ci === 'github-actions' ? parseOutputFile(read(ciEnv.GITHUB_OUTPUT!)) : {},
    githubSummary: ci === 'github-actions' ? read(ciEnv.GITHUB_STEP_SUMMARY!) : '',
    dir,
  };
}
