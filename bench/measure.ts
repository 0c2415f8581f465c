import { runnerEnvironment } from '../scripts/action-runner.js';
/**
 * Measuring tools of the benchmark: a request timeline taken from the emulator, the critical path
 * of that timeline, and a child-process launcher that times the process and reads its peak RSS.
 *
 * The action is started the way the runner (and scripts/action-runner.ts) starts it: `node
 * <bundle>` with INPUT_* variables, GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files and no stdin. This
 * module has its own launcher only because it also needs the spawn instant and the peak RSS.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator, LoggedRequest } from '../emulator/index.js';
import { parseOutputFile } from '../scripts/action-runner.js';

/** One request as the emulator saw it, on the benchmark's monotonic clock (performance.now(), ms). */
export interface TimedRequest {
  seq: number;
  label: string;
  /** The emulator received the request (after reading its body). */
  start: number;
  /** The emulator finished sending its answer. */
  end: number;
}

/** Records every request's 'received' and 'done' instants. Call `stop()` when the run is over. */
export function trackRequests(emu: Emulator): { requests: () => TimedRequest[]; firstAt: () => number | undefined; stop: () => void } {
  const byseq = new Map<number, TimedRequest>();
  let first: number | undefined;
  const off = emu.onRequest((r: LoggedRequest, phase) => {
    const now = performance.now();
    if (phase === 'received') {
      first ??= now;
      byseq.set(r.seq, { seq: r.seq, label: `${r.method} ${r.path.split('?')[0]}`, start: now, end: Number.NaN });
    } else {
      const t = byseq.get(r.seq);
      if (t) t.end = now;
    }
  });
  return {
    requests: () => [...byseq.values()].sort((a, b) => a.start - b.start),
    firstAt: () => first,
    stop: off,
  };
}

/**
 * The longest chain of requests that had to wait for each other. Two requests overlap when one
 * was received before the other's answer was sent; a chain is a sequence in which each request
 * was received after the previous one's answer was sent. Longest chain by dynamic programming in
 * arrival order.
 */
export function criticalPath(requests: TimedRequest[]): number {
  const rs = [...requests].sort((a, b) => a.start - b.start);
  const best: number[] = [];
  let longest = 0;
  for (let i = 0; i < rs.length; i++) {
    let b = 1;
    for (let j = 0; j < i; j++) if (rs[j]!.end <= rs[i]!.start) b = Math.max(b, best[j]! + 1);
    best.push(b);
    longest = Math.max(longest, b);
  }
  return longest;
}

export const TIME_BIN = '/usr/bin/time';
export const HAVE_GNU_TIME = existsSync(TIME_BIN);

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** performance.now() just before spawn(). */
  spawnedAt: number;
  /** performance.now() when the child exited. */
  exitedAt: number;
  /** Peak resident set size of the node process, KiB (undefined when it could not be read). */
  peakRssKiB: number | undefined;
  /** How the peak RSS was read. */
  rssSource: 'gnu-time' | 'proc-poll' | 'none';
}

export interface LaunchOptions {
  node: string;
  args: string[];
  /** INPUT_* values (names as in action.yml). */
  inputs?: Record<string, string>;
  /** Read the peak RSS (through /usr/bin/time when present, else by polling /proc/<pid>/status). */
  peakRss?: boolean;
}

/** Starts `node args…` with a runner-like environment and resolves when it exits. */
export async function launch(opts: LaunchOptions): Promise<ProcessRun> {
  const dir = mkdtempSync(join(tmpdir(), 'qto-bench-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  const rssFile = join(dir, 'rss');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env = runnerEnvironment(dir, opts.inputs ?? {});

  const viaTime = opts.peakRss === true && HAVE_GNU_TIME;
  const [cmd, args] = viaTime ? [TIME_BIN, ['-f', '%M', '-o', rssFile, opts.node, ...opts.args]] : [opts.node, opts.args];
  const spawnedAt = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));

  // Fallback: VmHWM is the high-water mark, so the last value read before exit is a lower bound of the peak.
  let polled: number | undefined;
  const poller =
    opts.peakRss === true && !viaTime
      ? setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) polled = Math.max(polled ?? 0, Number(m[1]));
          } catch {
            // gone
          }
        }, 2)
      : undefined;

  let exitedAt = Number.NaN;
  child.on('exit', () => (exitedAt = performance.now()));
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  if (poller) clearInterval(poller);

  let peakRssKiB: number | undefined;
  let rssSource: ProcessRun['rssSource'] = 'none';
  if (viaTime) {
    const m = /(\d+)\s*$/.exec(readFileSync(rssFile, 'utf8'));
    if (m) {
      peakRssKiB = Number(m[1]);
      rssSource = 'gnu-time';
    }
  } else if (polled !== undefined) {
    peakRssKiB = polled;
    rssSource = 'proc-poll';
  }
  const outputs = parseOutputFile(readFileSync(outputFile, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  return { code, stdout, stderr, outputs, spawnedAt, exitedAt, peakRssKiB, rssSource };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
