/**
 * The Check step (docs/protocol.md): run the Talend task and poll it, with growing waits, until it
 * ends or no poll fits the time budget any more. `execution_successful` passes.
 */
import type { RunBudget } from '../http/budget.js';
import type { CheckState } from '../core/outcome.js';
import type { TalendApi } from '../talend/client.js';
import { waitLogger } from './wait-log.js';

export interface TaskCheck {
  check: Exclude<CheckState, 'not-run'>;
  /** The final status, or what stopped the check (server text already scrubbed). */
  detail: string;
}

export async function runTaskCheck(
  deps: { talend: TalendApi; budget: RunBudget; sleep: (ms: number) => Promise<void>; log: (line: string) => void },
  taskId: string,
): Promise<TaskCheck> {
  const { talend, budget } = deps;
  const waiting = waitLogger(budget, deps.log);
  try {
    const executionId = await talend.startExecution(taskId);
    let wait = budget.pollStartMs;
    for (;;) {
      const state = await talend.getExecution(executionId);
      waiting((seconds) => `The Talend task run is ${state.status} after ${seconds} s.`);
      if (state.passed !== undefined) {
        return state.passed
          ? { check: 'passed', detail: state.status }
          : { check: 'failed', detail: `${state.status}${state.errorMessage ? `: ${state.errorMessage}` : ''}` };
      }
      // Not worth sleeping when no poll would fit after the wait: say what the task was doing.
      if (budget.now() + wait + budget.minRequestMs >= budget.workDeadline) {
        return { check: 'unknown', detail: `still ${state.status} when the time budget ran out` };
      }
      await deps.sleep(wait);
      wait = Math.min(Math.round(wait * 1.5), budget.pollCapMs);
    }
  } catch (err) {
    return { check: 'unknown', detail: (err as Error).message };
  }
}
