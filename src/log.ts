import { host } from './host/host.js';
import { safeLogLine } from './untrusted-text.js';

/** Every line the run logs: one line, never a workflow command (untrusted-text.ts). */
export function logInfo(line: string): void {
  host().info(safeLogLine(line));
}
