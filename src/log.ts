import * as core from '@actions/core';
import { safeLogLine } from './untrusted-text.js';

/** `core.info` for every line the action logs: one line, never a workflow command (untrusted-text.ts). */
export function logInfo(line: string): void {
  core.info(safeLogLine(line));
}
