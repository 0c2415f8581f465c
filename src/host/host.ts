/**
 * Where the run is hosted: the one door between the run and the CI system's conventions (its
 * log, masking, annotations, outputs, job summary). The action runs on the GitHub Actions host;
 * the command (src/cli/) picks the host of the CI it finds itself in. Nothing else in src/ talks
 * to a CI system.
 */
import type { OutputName } from '../config.js';
import { githubActions } from './github.js';
import type { JobSummary } from './summary.js';

export interface Host {
  /** One log line. Already a safe line (log.ts); a host that cannot mask scrubs it too. */
  info(line: string): void;
  debug(line: string): void;
  warning(text: string, title: string): void;
  error(text: string, title: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  /** A value that must never be shown: masked by the CI when it can, always scrubbed by us. */
  mask(value: string): void;
  setOutput(name: OutputName, value: string): void;
  /** Never throws for a summary nobody asked for; a write that fails rejects. */
  writeSummary(summary: JobSummary): Promise<void>;
}

let current: Host = githubActions;

/** The host the run reports to: the action's, unless an entry point chose another first. */
export function host(): Host {
  return current;
}

export function useHost(chosen: Host): void {
  current = chosen;
}

/** Runs `fn` inside a collapsible group of the log. */
export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  host().startGroup(name);
  try {
    return await fn();
  } finally {
    host().endGroup();
  }
}
