/**
 * A worker thread that runs the bundled action, one run at a time, as many times as it is asked.
 *
 * Each run evaluates dist/index.js afresh (the import URL carries a run number, so every run gets
 * its own copy of the bundle's modules, @actions/core's summary buffer included), with this run's
 * environment in `process.env` (a worker's own copy), and its stdout and stderr appended to files as
 * they are written (so a run that is killed leaves what it printed). What the runner would see of
 * a process is reported back: the exit code that
 * `core.setFailed` (`process.exitCode`) or a crash leaves. A run ends as a process would: when the
 * bundle's top-level await has settled and nothing it started (a timer, a socket) is still alive.
 *
 * Plain JavaScript on purpose: the thread needs no TypeScript loader, so it starts in milliseconds.
 */
import { appendFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

// The runner starts `node dist/index.js` without --enable-source-maps; a test process may have
// turned them on, and then every fresh copy of the bundle would parse its 1.4 MB source map.
process.setSourceMapsEnabled(false);

let runs = 0;

/** Resources a finished run may leave that would not keep a process alive. */
const IDLE = new Set(['MessagePort', 'TTYWrap', 'PipeWrap', 'FSReqCallback', 'FileHandle', 'CloseReq']);

function capture(stream, file) {
  stream.write = (chunk, encoding, callback) => {
    appendFileSync(file, chunk, typeof encoding === 'string' ? encoding : undefined);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) queueMicrotask(() => done());
    return true;
  };
}

/** Waits until the run has nothing left that would keep a process running, at most `limitMs`. */
async function settled(limitMs) {
  const until = Date.now() + limitMs;
  for (;;) {
    const busy = process.getActiveResourcesInfo().filter((r) => !IDLE.has(r));
    if (busy.length === 0) return [];
    if (Date.now() > until) return busy;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5).unref());
  }
}

parentPort.on('message', async ({ bundle, env, stdoutFile, stderrFile, lingerLimitMs }) => {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  capture(process.stdout, stdoutFile);
  capture(process.stderr, stderrFile);
  process.exitCode = undefined;
  parentPort.postMessage({ startedAt: Date.now() });
  try {
    await import(`${bundle}?run=${++runs}`);
  } catch (err) {
    // What Node prints for an uncaught error at the top level of a module, and its exit code.
    appendFileSync(stderrFile, `${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  }
  const lingering = await settled(lingerLimitMs);
  parentPort.postMessage({ code: process.exitCode ?? 0, lingering });
});
