/**
 * The command (`qlik-talend-oauth`, bundled as dist/cli.js): the action's run behind another
 * front door, for GitLab CI, Azure Pipelines, Jenkins, Bitbucket and a terminal. Flags instead
 * of `INPUT_*`, credentials from the environment, the CI's own conventions for the log
 * (host/), and exit codes: 0 success, 1 a failed run, 2 bad flags or inputs before any request.
 */
import * as core from '@actions/core';
import { type CiKind, CI_NAMES, detectCi, runIdentity } from '../host/ci.js';
import { githubActions } from '../host/github.js';
import { type Host, useHost } from '../host/host.js';
import { textHost } from '../host/text.js';
import { run } from '../main.js';
import { scrubKnownSecrets } from '../secrets.js';
import { safeLogLine } from '../untrusted-text.js';
import { VERSION } from '../version.js';
import { type CommandLine, UsageError, parseCommandLine } from './args.js';
import { helpText } from './help.js';
import { collecting, resultFileProblems, writeResults } from './results.js';

const ci = detectCi(process.env);
process.exitCode = await main(process.argv.slice(2), ci);

async function main(argv: string[], kind: CiKind): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv, process.env);
    const problems = resultFileProblems(line);
    if (problems.length > 0) throw new UsageError(problems.join('\n'));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    for (const problem of err.message.split('\n')) process.stderr.write(`qlik-talend-oauth: ${problem}\n`);
    return 2;
  }
  if (line.help) {
    process.stdout.write(helpText(VERSION));
    return 0;
  }
  if (line.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const host = collecting(hostFor(kind, line.verbose), line);
  useHost(host);
  host.info(`Running on ${CI_NAMES[kind]}.`);
  let end: Awaited<ReturnType<typeof run>>;
  try {
    end = await run(line.raw, runIdentity(kind, process.env));
  } catch (err) {
    // A bug: one message, scrubbed, and what was collected so far.
    host.setOutput('result', 'failed');
    host.error(`qlik-talend-oauth stopped on an unexpected error: ${scrubKnownSecrets(err instanceof Error ? err.message : String(err))}`, 'qlik-talend-oauth failed');
    end = 'failed';
  }
  try {
    writeResults(host.outputs, line);
  } catch (err) {
    host.error(`Could not write the results: ${safeLogLine(scrubKnownSecrets(err instanceof Error ? err.message : String(err)))}`, 'Results');
    return 1;
  }
  return end === 'succeeded' ? 0 : end === 'invalid-inputs' ? 2 : 1;
}

function hostFor(kind: CiKind, verbose: boolean): Host {
  if (kind === 'github-actions') {
    // As the action: the runner shows debug lines when the run is re-run with debug logging.
    return verbose ? { ...githubActions, debug: (text) => core.info(`debug: ${text}`) } : githubActions;
  }
  return textHost({ azure: kind === 'azure-pipelines', debug: verbose });
}
