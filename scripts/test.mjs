/**
 * `npm test`: first, that dist/ was built from the sources as they are (scripts/source-hash.mjs);
 * then the type check and the whole vitest suite side by side. The type check keeps one core
 * busy for a few seconds while the end-to-end suites mostly wait on sockets, so running it first
 * would only add its time. Fails if either fails; arguments go to vitest.
 */
import { spawn } from 'node:child_process';

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (err) => {
      console.error(`${command}: ${err.message}`);
      resolve(1);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

// The end-to-end suites run dist/index.js: a bundle older than src/ would test the old code.
if ((await run('node', ['scripts/source-hash.mjs', '--check'])) !== 0) process.exit(1);

const [typecheck, tests] = await Promise.all([run('tsc', ['--noEmit', '-p', 'tsconfig.dev.json']), run('vitest', ['run', ...process.argv.slice(2)])]);
if (typecheck !== 0) console.error('\nnpm test: the type check (tsc --noEmit -p tsconfig.dev.json) failed; see its errors above.');
process.exitCode = typecheck !== 0 ? typecheck : tests;
