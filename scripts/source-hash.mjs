/**
 * The end-to-end suites run the bundle (dist/index.js), not src/: a change in src/ without
 * `npm run bundle` would be tested as the old code. `npm run bundle` writes the hash of what the
 * bundle is built from to dist/source.sha256 (`--write`); `npm test` checks it first (`--check`) and
 * stops at once when src/ moved on. Inputs: every file under src/, tsconfig.json and
 * package-lock.json (the versions of what is bundled).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const stamp = join(root, 'dist', 'source.sha256');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

export function sourceHash() {
  const hash = createHash('sha256');
  const inputs = [...files(join(root, 'src')), join(root, 'tsconfig.json'), join(root, 'package-lock.json')];
  for (const path of inputs.map((p) => relative(root, p).split(sep).join('/')).sort()) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(root, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const mode = process.argv[2];
if (mode === '--write') {
  writeFileSync(stamp, `${sourceHash()}\n`);
} else if (mode === '--check') {
  let built = '';
  try {
    built = readFileSync(stamp, 'utf8').trim();
  } catch {
    // No stamp: dist/ was not built by `npm run bundle`.
  }
  if (built !== sourceHash()) {
    console.error(
      'npm test: dist/index.js was built from other sources than src/ now holds (dist/source.sha256 does not match).\n' +
        'The end-to-end suites run the bundle: run `npm run bundle` first (and commit dist/).',
    );
    process.exit(1);
  }
} else {
  console.error('usage: node scripts/source-hash.mjs --write | --check');
  process.exit(2);
}
