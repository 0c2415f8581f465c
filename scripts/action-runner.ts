/**
 * Runs the bundled action exactly as the runner does: `node dist/index.js` as a child process with
 * `INPUT_*` variables (upper-case, hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * RUNNER_TEMP, and no stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Emulator } from '../emulator/index.js';

export const BUNDLE = resolve(import.meta.dirname, '../dist/index.js');

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** GITHUB_OUTPUT parsed into name → value. */
  outputs: Record<string, string>;
  outputFile: string;
  summary: string;
  /** Values registered with `::add-mask::`, in order. */
  masks: string[];
  /** stdout as the runner would show it: every registered value replaced by `***`. */
  maskedLog: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** The node binary; default: the one running the tests (Node 24 under `npm test`). */
  node?: string;
  /** Called once the child exists, e.g. to kill it when the emulator sees a given request. */
  onSpawn?: (child: ChildProcess) => void;
  killAfterMs?: number;
}

export function baseInputs(emu: Emulator): Record<string, string> {
  return {
    'qlik-tenant-url': emu.qlikUrl,
    'qlik-api-key': emu.qlikApiKey,
    'talend-token': emu.talendToken,
    'talend-api-url': emu.talendUrl,
    'talend-qlik-auth-url': emu.talendQlikAuthUrl,
    'timeout-seconds': '20',
  };
}

/**
 * The environment the runner gives a JavaScript action: files for outputs and the summary in
 * `dir`, the usual GITHUB_* variables, and one `INPUT_<NAME>` per input (upper-case, hyphens kept).
 */
export function runnerEnvironment(dir: string, inputs: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STATE: join(dir, 'state'),
    RUNNER_TEMP: dir,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_REPOSITORY: 'acme/data-platform',
    GITHUB_RUN_ID: String(1000 + Math.floor(Math.random() * 1e6)),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTIONS: 'true',
    ...extra,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return env;
}

export async function runAction(inputs: Record<string, string>, opts: RunOptions = {}): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'qto-run-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env = runnerEnvironment(dir, inputs, opts.env);
  const child = spawn(opts.node ?? process.execPath, [BUNDLE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  opts.onSpawn?.(child);
  const timer = opts.killAfterMs ? setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs) : undefined;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('close', (c, s) => res([c, s])));
  if (timer) clearTimeout(timer);
  const outputText = readFileSync(outputFile, 'utf8');
  const summary = readFileSync(summaryFile, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const masks = [...stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => unescapeCommand(m[1]!));
  return { code, signal, stdout, stderr, outputs: parseOutputFile(outputText), outputFile: outputText, summary, masks, maskedLog: applyMasks(stdout, masks) };
}

/** Parses the `name<<delimiter` blocks that @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const [, name, delim] = m;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
    out[name!] = value.join('\n');
  }
  return out;
}

function unescapeCommand(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/** What a person sees in the run log: registered values (and their lines) replaced by ***. */
export function applyMasks(text: string, masks: string[]): string {
  const all = masks.flatMap((m) => [m, ...m.split(/\r?\n/)]).filter((m) => m.trim() !== '');
  let out = text
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  for (const m of [...new Set(all)].sort((a, b) => b.length - a.length)) out = out.split(m).join('***');
  return out;
}

/**
 * I5: no secret value appears in stdout, stderr, the output file (outside the masked outputs) or the
 * summary, except inside the `::add-mask::` command; and every masked output was registered.
 */
export function leaksIn(run: ActionRun, secrets: string[]): string[] {
  const found: string[] = [];
  const stdoutWithoutMasks = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  const outputsOutsideMasked = Object.entries(run.outputs)
    .filter(([name]) => name !== 'client-secret' && name !== 'client-id')
    .map(([n, v]) => `${n}=${v}`)
    .join('\n');
  const places: [string, string][] = [
    ['stdout', stdoutWithoutMasks],
    ['stderr', run.stderr],
    ['outputs', outputsOutsideMasked],
    ['summary', run.summary],
  ];
  for (const secret of new Set(secrets)) {
    if (secret.length < 8) continue;
    for (const [where, text] of places) if (text.includes(secret)) found.push(`${where} contains a secret starting ${secret.slice(0, 4)}…`);
  }
  // A registered value must not appear in the log before its ::add-mask:: line.
  for (const mask of run.masks) {
    const first = run.stdout.indexOf(mask);
    const command = run.stdout.indexOf(`::add-mask::${mask}`);
    if (first !== command + '::add-mask::'.length) found.push(`a masked value starting ${mask.slice(0, 4)}… was printed before it was registered`);
  }
  for (const name of ['client-secret', 'client-id']) {
    const value = run.outputs[name];
    if (value && !run.masks.includes(value)) found.push(`output ${name} was written without ::add-mask::`);
  }
  return found;
}
