/**
 * For a long wait (the Verify step's propagation window, the Check step's polling): a line in the
 * log at most every few seconds, so a real runner's log shows the run is alive without one line
 * per attempt.
 */
import type { RunBudget } from '../http/budget.js';

/** A long wait logs its progress at most this often. */
const WAIT_LOG_INTERVAL_MS = 5_000;

/** Returns a function that logs `line(seconds waited)` when the last such line is old enough. */
export function waitLogger(budget: RunBudget, log: (line: string) => void): (line: (seconds: number) => string) => void {
  const started = budget.now();
  let last = started;
  return (line) => {
    const now = budget.now();
    if (now - last < WAIT_LOG_INTERVAL_MS) return;
    last = now;
    log(line(Math.round((now - started) / 1000)));
  };
}
