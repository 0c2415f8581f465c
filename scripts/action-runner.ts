/**
 * Runs the bundled action as the runner does: dist/index.js with `INPUT_*` variables (upper-case,
 * hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, RUNNER_TEMP, and no stdin.
 *
 * Two ways, one result:
 * - `as: 'process'`: `node dist/index.js` as a child process, exactly what the runner starts. About
 *   0.3 CPU-seconds a run, most of it Node starting and compiling the bundle.
 * - `as: 'thread'` (the default): the same bundle evaluated afresh in a worker thread that is kept
 *   between runs (scripts/action-thread.mjs), with the run's own environment and files, real
 *   sockets, and its stdout, stderr and exit code captured. A fraction of the CPU, so the fault
 *   matrix can run hundreds of rotations in the time the inner loop allows. A kill terminates the
 *   thread: like SIGKILL, nothing more of the run executes and its sockets close.
 * `__tests__/e2e/runner-parity.test.ts` holds the two ways to the same results; `QTO_RUNNER=process
 * npm test` runs every suite with child processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Emulator } from '../emulator/index.js';

export const BUNDLE = resolve(import.meta.dirname, '../dist/index.js');

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** When the action began to run (ms since the epoch): the spawn, or the thread starting the bundle. */
  startedAt: number;
  /** The worker thread's ID, for a run in a thread. */
  thread?: number;
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

/** A run under way, for a test that stops it abruptly (SIGKILL, or terminating its thread). */
export interface RunHandle {
  kill(signal: 'SIGKILL'): void;
}

export type RunnerKind = 'process' | 'thread';

export interface RunOptions {
  env?: Record<string, string>;
  /** Child process or worker thread; default thread, or process when QTO_RUNNER=process. */
  as?: RunnerKind;
  /** The node binary (implies a child process); default: the one running the tests (Node 24 under `npm test`). */
  node?: string;
  /** Called once the run exists, e.g. to kill it when the emulator sees a given request. */
  onSpawn?: (run: RunHandle) => void;
  killAfterMs?: number;
  /** A thread of its own, not one a previous run used (the next runs then reuse it, last in, first out). */
  freshThread?: boolean;
  /** Another module instead of dist/index.js, and a shorter linger limit: for the runner's own tests. */
  bundle?: string;
  lingerLimitMs?: number;
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
  const kind: RunnerKind = opts.node ? 'process' : (opts.as ?? (process.env.QTO_RUNNER === 'process' ? 'process' : 'thread'));
  await takeSlot();
  let ended: Ended;
  try {
    const run = kind === 'process' ? inChildProcess(env, opts) : inThread(env, dir, opts);
    opts.onSpawn?.(run.handle);
    const timer = opts.killAfterMs ? setTimeout(() => run.handle.kill('SIGKILL'), opts.killAfterMs) : undefined;
    ended = await run.ended;
    if (timer) clearTimeout(timer);
  } finally {
    releaseSlot();
  }
  const { code, signal, stdout, stderr, startedAt, thread } = ended;
  const outputText = readFileSync(outputFile, 'utf8');
  const summary = readFileSync(summaryFile, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const masks = [...stdout.matchAll(/^::add-mask::(.*)$/gm)].map((m) => unescapeCommand(m[1]!));
  return { code, signal, startedAt, ...(thread === undefined ? {} : { thread }), stdout, stderr, outputs: parseOutputFile(outputText), outputFile: outputText, summary, masks, maskedLog: applyMasks(stdout, masks) };
}

/** What a run leaves before its files are read: the part of ActionRun the two ways produce. */
type Ended = Pick<ActionRun, 'code' | 'signal' | 'startedAt' | 'thread' | 'stdout' | 'stderr'>;

interface Started {
  handle: RunHandle;
  ended: Promise<Ended>;
}

function inChildProcess(env: Record<string, string>, opts: RunOptions): Started {
  const startedAt = Date.now();
  const child: ChildProcess = spawn(opts.node ?? process.execPath, [opts.bundle ?? BUNDLE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return {
    handle: { kill: (signal) => child.kill(signal) },
    ended: new Promise((res) => child.on('close', (code, signal) => res({ code, signal, startedAt, stdout, stderr }))),
  };
}

// ---- how many runs at once, and the thread pool --------------------------------------------------

const THREAD = new URL('./action-thread.mjs', import.meta.url);
const BUNDLE_URL = pathToFileURL(BUNDLE).href;
/** A thread is replaced after this many runs, so that nothing one run left behind in it can pile up. */
const RUNS_PER_THREAD = 20;
/**
 * Runs (threads or processes) executing at once in this test process; more wait for a slot. Many
 * cells of a suite are waiting (for a lease to expire) rather than running, but a burst of runs
 * all starting together on two cores would starve each other past their one-second request
 * timeouts. A process costs some fifteen times a thread's CPU to start, so with QTO_RUNNER=process
 * fewer run at once: with six, the fault matrix's 5-second runs (two Talend targets each) ran out
 * of time before their check under the load of the whole suite.
 */
const RUNNING_LIMIT = process.env.QTO_RUNNER === 'process' ? 3 : 6;
/**
 * How long a finished run may keep a timer or socket alive. A process would not exit while it
 * does; a run in a thread that still has one open after this long fails its test (runAction throws).
 */
const LINGER_LIMIT_MS = 10_000;

interface PooledThread {
  worker: Worker;
  runs: number;
}
const idle: PooledThread[] = [];
let running = 0;
const waiting: Array<() => void> = [];

async function takeSlot(): Promise<void> {
  if (running < RUNNING_LIMIT) {
    running += 1;
    return;
  }
  await new Promise<void>((res) => waiting.push(res));
}

function releaseSlot(): void {
  const next = waiting.shift();
  if (next) next();
  else running -= 1;
}

function takeThread(fresh: boolean): PooledThread {
  const pooled = fresh ? undefined : idle.pop();
  if (pooled) return pooled;
  // No inherited flags (a test runner's loaders, --enable-source-maps): the runner starts plain
  // `node`. The thread evaluates the bundle as a vm module (action-thread.mjs), which Node still
  // calls experimental: the flag, and no warning about it in the run's stderr.
  const worker = new Worker(THREAD, { stdout: false, stderr: false, execArgv: ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning'] });
  return { worker, runs: 0 };
}

function inThread(env: Record<string, string>, dir: string, opts: RunOptions): Started {
  const lingerLimitMs = opts.lingerLimitMs ?? LINGER_LIMIT_MS;
  const stdoutFile = join(dir, 'stdout');
  const stderrFile = join(dir, 'stderr');
  writeFileSync(stdoutFile, '');
  writeFileSync(stderrFile, '');
  const printed = () => ({ stdout: readFileSync(stdoutFile, 'utf8'), stderr: readFileSync(stderrFile, 'utf8') });
  const thread = takeThread(opts.freshThread === true);
  const { worker } = thread;
  worker.ref();
  let killed = false;
  let finished = false;
  const ended = new Promise<Ended>((res, rej) => {
    let startedAt = Date.now();
    let crash = '';
    const finish = (end: Omit<Ended, 'startedAt' | 'thread'> | Error, reusable: boolean) => {
      finished = true;
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      // An idle thread must not keep the test process alive.
      worker.unref();
      thread.runs += 1;
      if (reusable && !killed && thread.runs < RUNS_PER_THREAD) idle.push(thread);
      else void worker.terminate();
      if (end instanceof Error) rej(end);
      else res({ ...end, startedAt, thread: worker.threadId });
    };
    const onMessage = (m: { startedAt: number } | { code: number; lingering: string[]; unsettled?: true }) => {
      if ('startedAt' in m) {
        startedAt = m.startedAt;
        return;
      }
      const { stdout, stderr } = printed();
      if (m.lingering.length > 0) {
        // A process would still be running: the test must not pass as if it had ended.
        finish(new Error(`the action's run ended with ${m.lingering.join(', ')} still open after ${lingerLimitMs} ms: as a process it would not exit. Its stdout:\n${stdout.slice(-2000)}`), false);
        return;
      }
      finish({ code: m.code, signal: null, stdout, stderr }, !m.unsettled);
    };
    // An error thrown outside the top-level await (a callback, an unhandled rejection) ends a
    // process with code 1 and the stack on stderr; here it ends the thread.
    const onError = (err: Error) => (crash += `${err.stack ?? String(err)}\n`);
    const onExit = (code: number) => {
      const { stdout, stderr } = printed();
      finish(killed ? { code: null, signal: 'SIGKILL', stdout, stderr } : { code: crash ? 1 : code, signal: null, stdout, stderr: stderr + crash }, false);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ bundle: opts.bundle ? pathToFileURL(opts.bundle).href : BUNDLE_URL, env, stdoutFile, stderrFile, lingerLimitMs });
  });
  return {
    handle: {
      // After the run has ended the thread may serve another run: a late kill must not reach it.
      kill: () => {
        if (finished) return;
        killed = true;
        void worker.terminate();
      },
    },
    ended,
  };
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
