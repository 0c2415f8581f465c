/**
 * The bundle starts under the runner's Node (24, from the node@24 dev dependency) and under the
 * Node that runs npm (whatever version that is), and fails on missing inputs before any request.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runAction } from '../../scripts/action-runner.js';

/** The Node that npm itself runs on (the machine's own), not the node@24 binary first on PATH. */
const machineNode = process.env.npm_node_execpath ?? process.execPath;

describe('runtimes', () => {
  it('npm test runs under Node 24, the runner major (fails if an install skipped node@24)', () => {
    expect(process.version).toMatch(/^v24\./);
  });

  it.each([
    ['the runner major (node24)', process.execPath, /^v24\./],
    ['the Node that runs npm', machineNode, /^v\d+\./],
  ])('the bundle runs under %s and reports missing inputs', async (_label, node, major) => {
    const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    expect(version).toMatch(major);
    const run = await runAction({}, { node });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`qlik-talend-oauth on Node ${version}`);
    expect(run.stdout).toMatch(/^::error title=Invalid input::Input 'qlik-tenant-url' is required\./m);
    expect(run.outputs.result).toBe('failed');
  });

  it('an error run() itself cannot report ends the step with one ::error:: and no stack trace', async () => {
    // A directory as the output file: writing any output fails.
    const run = await runAction({}, { env: { GITHUB_OUTPUT: tmpdir() } });
    expect(run.code).toBe(1);
    expect(run.stdout.match(/^::error/gm)).toHaveLength(1);
    expect(run.stdout).toMatch(/^::error::qlik-talend-oauth stopped on an unexpected error: /m);
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});
