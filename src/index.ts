/**
 * The entry point the runner starts. `run()` reports its own failures; anything it still throws is
 * a bug, and ends the step with one message instead of an unhandled rejection and a stack trace.
 */
import * as core from '@actions/core';
import { run } from './main.js';
import { scrubKnownSecrets } from './secrets.js';

try {
  await run();
} catch (err) {
  try {
    core.setOutput('result', 'failed');
  } catch {
    // The output file itself may be what failed; the error below still ends the step.
  }
  core.setFailed(`qlik-talend-oauth stopped on an unexpected error: ${scrubKnownSecrets(err instanceof Error ? err.message : String(err))}`);
}
