/**
 * A worker thread that runs the bundled action, one run at a time, as many times as it is asked.
 *
 * Each run evaluates dist/index.js afresh, as a new module instance, so every run gets its own
 * copy of the bundle's modules (@actions/core's summary buffer included), with this run's
 * environment in `process.env` (a worker's own copy), and its stdout and stderr appended to files as
 * they are written (so a run that is killed leaves what it printed). What the runner would see of
 * a process is reported back: the exit code that `core.setFailed` (`process.exitCode`) or a crash
 * leaves. A run ends as a process would: when the bundle's top-level await has settled and nothing
 * it started (a timer, a socket) is still alive.
 *
 * The instance is a `vm.SourceTextModule` of the bundle's text, read once, with `import.meta.url`
 * and its imports (`module`, its source-map helper, the lazily loaded chunks) resolved as Node
 * resolves them next to dist/index.js; V8's code cache from the first instance makes the next ones
 * compile in a fraction of the time (about 20 ms of CPU a run instead of 50 through `import()`).
 *
 * Plain JavaScript on purpose: the thread needs no TypeScript loader, so it starts in milliseconds.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';

// The runner starts `node dist/index.js` without --enable-source-maps; a test process may have
// turned them on, and then every fresh copy of the bundle would parse its 1.4 MB source map.
process.setSourceMapsEnabled(false);

/** Resources a finished run may leave that would not keep a process alive. */
const IDLE = new Set(['MessagePort', 'TTYWrap', 'PipeWrap', 'FSReqCallback', 'FileHandle', 'CloseReq']);

let source;
let cachedData;

/** What `import` would give the bundle for a specifier, resolved next to the bundle. */
const load = (specifier, bundle) => import(specifier.startsWith('.') ? new URL(specifier, bundle).href : specifier);

/** One fresh instance of the bundle, evaluated: settles when its top-level await does. */
async function evaluateBundle(bundle) {
  source ??= readFileSync(new URL(bundle), 'utf8');
  const instance = new vm.SourceTextModule(source, {
    identifier: bundle,
    cachedData,
    initializeImportMeta: (meta) => {
      meta.url = bundle;
    },
    importModuleDynamically: (specifier) => load(specifier, bundle),
  });
  await instance.link(async (specifier) => {
    const namespace = await load(specifier, bundle);
    const names = Object.keys(namespace);
    return new vm.SyntheticModule(names, function () {
      for (const name of names) this.setExport(name, namespace[name]);
    });
  });
  cachedData ??= instance.createCachedData();
  await instance.evaluate();
}

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
    await evaluateBundle(bundle);
  } catch (err) {
    // What Node prints for an uncaught error at the top level of a module, and its exit code.
    appendFileSync(stderrFile, `${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  }
  const lingering = await settled(lingerLimitMs);
  parentPort.postMessage({ code: process.exitCode ?? 0, lingering });
});
