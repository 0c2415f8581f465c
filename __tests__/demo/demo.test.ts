/**
 * `npm run demo` in both emulator modes: the three runs a newcomer sees (create, unchanged, forced
 * rotation) end as they should against a lenient and a strict Qlik.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe.concurrent('npm run demo', () => {
  it.each([[[]], [['--strict']]])('with arguments %j: create, unchanged, rotated; exit 0', async (args) => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], { cwd: ROOT, timeout: 60_000 });
    expect([...stdout.matchAll(/^result: (\w+)$/gm)].map((m) => m[1])).toEqual(['created', 'unchanged', 'rotated']);
    expect(stdout).not.toMatch(/^::/m);
    if (args.length > 0) expect(stdout).toMatch(/strict: answers only as Qlik's spec allows/);
  }, 90_000);
});
