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

/** The thread's own channel to the test process: the only resource that is not the run's. */
const IDLE = new Set(['MessagePort']);
const busy = () => process.getActiveResourcesInfo().filter((r) => !IDLE.has(r));
const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Per module URL: its text, read once, and V8's code cache for it. */
const compiled = new Map();

/** What `import` would give the bundle for a specifier, resolved next to the bundle. */
const load = (specifier, bundle) => import(specifier.startsWith('.') ? new URL(specifier, bundle).href : specifier);

/** One fresh instance of the bundle, evaluated: settles when its top-level await does. */
async function evaluateBundle(bundle) {
  let entry = compiled.get(bundle);
  if (!entry) compiled.set(bundle, (entry = { source: readFileSync(new URL(bundle), 'utf8'), cachedData: undefined }));
  const instance = new vm.SourceTextModule(entry.source, {
    identifier: bundle,
    cachedData: entry.cachedData,
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
  entry.cachedData ??= instance.createCachedData();
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
    const open = busy();
    if (open.length === 0) return [];
    if (Date.now() > until) return open;
    await new Promise((resolve) => setImmediate(resolve));
    await tick(5);
  }
}

/**
 * The evaluation, or 'unsettled' when its top-level await can never settle: nothing of the run is
 * left that could settle it. A process exits with code 13 then; here the thread's channel would
 * keep it waiting forever.
 */
async function evaluation(bundle) {
  const evaluated = evaluateBundle(bundle).then(
    () => 'settled',
    (err) => err,
  );
  let quiet = 0;
  for (;;) {
    const outcome = await Promise.race([evaluated, tick(20).then(() => undefined)]);
    if (outcome !== undefined) return outcome;
    quiet = busy().length === 0 ? quiet + 1 : 0;
    if (quiet >= 5) return 'unsettled';
  }
}

parentPort.on('message', async ({ bundle, env, stdoutFile, stderrFile, lingerLimitMs }) => {
  for (const name of Object.keys(process.env)) delete process.env[name];
  Object.assign(process.env, env);
  capture(process.stdout, stdoutFile);
  capture(process.stderr, stderrFile);
  process.exitCode = undefined;
  parentPort.postMessage({ startedAt: Date.now() });
  const outcome = await evaluation(bundle);
  if (outcome === 'unsettled') {
    appendFileSync(stderrFile, 'Warning: Detected unsettled top-level await\n');
    parentPort.postMessage({ code: 13, lingering: [], unsettled: true });
    return;
  }
  if (outcome !== 'settled') {
    // What Node prints for an uncaught error at the top level of a module, and its exit code.
    appendFileSync(stderrFile, `${outcome instanceof Error ? outcome.stack : String(outcome)}\n`);
    process.exitCode = 1;
  }
  const lingering = await settled(lingerLimitMs);
  parentPort.postMessage({ code: process.exitCode ?? 0, lingering });
});
