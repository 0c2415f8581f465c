/**
 * Test output must carry no workflow command: on a real runner, a test that prints
 * `::add-mask::client-1` masks that text for the rest of the CI job, and `::stop-commands::` would
 * turn command processing off. In every test worker, writing a line that starts a command throws,
 * so the test that did it fails and names itself. (The end-to-end suites read the action's
 * commands from a child process's pipe, or from the files a worker thread writes them to; they
 * never reach this stdout.) With `isolate: false` the file runs once per test file in a shared
 * worker, so the guard is installed once per stream.
 */
const COMMAND_LINE = /^\s*::|##\[/m;

const GUARDED = Symbol.for('qlik-talend-oauth.no-workflow-commands');

for (const stream of [process.stdout, process.stderr] as Array<NodeJS.WriteStream & { [GUARDED]?: true }>) {
  if (stream[GUARDED]) continue;
  stream[GUARDED] = true;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (COMMAND_LINE.test(typeof chunk === 'string' ? chunk : String(chunk))) {
      throw new Error(`a test printed a workflow command: ${String(chunk).trim().slice(0, 60)}`);
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
