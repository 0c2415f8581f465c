/**
 * action.yml is the action's public interface and README.md documents it; neither is checked by
 * any linter (actionlint does not read a local action.yml). These tests hold both to the
 * contract's tables and to the code's INPUT_NAMES / OUTPUT_NAMES.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INPUT_NAMES, OUTPUT_NAMES } from '../src/config.js';
import { INPUT_DOCS } from '../src/input-docs.js';
import { inputForm, readRawInputs } from '../src/inputs.js';
import { VERSION } from '../src/version.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const actionYml = readFileSync(`${root}action.yml`, 'utf8');
const readme = readFileSync(`${root}README.md`, 'utf8');

interface ActionInput {
  description?: unknown;
  required?: unknown;
  default?: unknown;
}
interface ActionOutput {
  description?: unknown;
}
interface ActionMetadata {
  name?: unknown;
  description?: unknown;
  author?: unknown;
  branding?: { icon?: unknown; color?: unknown };
  inputs?: Record<string, ActionInput>;
  outputs?: Record<string, ActionOutput>;
  runs?: { using?: unknown; main?: unknown };
}

const action = parse(actionYml) as ActionMetadata;
const inputs = action.inputs ?? {};
const outputs = action.outputs ?? {};

/** The inputs the action promises (the README's inputs table), in their order. */
const CONTRACT_INPUTS: ReadonlyArray<{ name: string; required: boolean; default?: string }> = [
  { name: 'qlik-tenant-url', required: true },
  { name: 'qlik-api-key', required: true },
  { name: 'client-name', required: false, default: 'Talend Management Console' },
  { name: 'client-id', required: false },
  { name: 'scopes', required: false, default: 'user_default admin_classic' },
  { name: 'scopes-exact', required: false, default: 'false' },
  { name: 'rotate', required: false, default: 'auto' },
  { name: 'max-secret-age-days', required: false, default: '30' },
  { name: 'keep-previous-secrets', required: false, default: '0' },
  { name: 'reclaim-unrecorded-secrets', required: false, default: 'false' },
  { name: 'talend-token', required: false },
  // "one of these two": neither is required on its own; the input schema enforces exactly one.
  { name: 'talend-region', required: false },
  { name: 'talend-api-url', required: false },
  // At least one of the three targets: none is required on its own.
  { name: 'talend-qlik-auth-url', required: false },
  { name: 'talend-check-task-id', required: false },
  { name: 'talend-qlik-auth-request', required: false },
  { name: 'talend-client-id', required: false },
  { name: 'talend-client-secret', required: false },
  // Their defaults are in the code, not in action.yml: a runner-filled default would make the
  // parameter names look given without the IDs they apply to.
  { name: 'talend-connection-ids', required: false },
  { name: 'talend-connection-parameters', required: false },
  { name: 'talend-task-ids', required: false },
  { name: 'talend-task-parameters', required: false },
  { name: 'retarget', required: false, default: 'false' },
  { name: 'revoke-tokens', required: false, default: 'false' },
  { name: 'qlik-api-key-warning-days', required: false, default: '14' },
  { name: 'operation', required: false, default: 'maintain' },
  { name: 'confirm-decommission', required: false },
  { name: 'talend-qlik-auth-disconnect-request', required: false },
  { name: 'dry-run', required: false, default: 'false' },
  { name: 'timeout-seconds', required: false, default: '300' },
];

/** The outputs the action promises (the README's outputs table), in their order. */
const CONTRACT_OUTPUTS: ReadonlyArray<{ name: string; masked: boolean }> = [
  { name: 'result', masked: false },
  { name: 'client-id', masked: true },
  { name: 'client-secret', masked: true },
  { name: 'secret-hint', masked: false },
  { name: 'secret-created-at', masked: false },
  { name: 'next-rotation-due', masked: false },
  { name: 'plan', masked: false },
  { name: 'targets', masked: false },
  { name: 'qlik-api-key-expires-at', masked: false },
  { name: 'tokens-revoked', masked: false },
];

/**
 * Feather icon names (feathericons.com) that GitHub accepts for `branding.icon`. GitHub leaves
 * out a few Feather icons: coffee, columns, divide(-circle/-square), frown, hexagon, key, meh,
 * mouse-pointer, smile, tool and x-octagon.
 */
const GITHUB_FEATHER_ICONS = new Set([
  'activity', 'airplay', 'alert-circle', 'alert-octagon', 'alert-triangle', 'anchor', 'aperture',
  'archive', 'arrow-down-circle', 'arrow-right-circle', 'arrow-up-circle', 'at-sign', 'award',
  'bell', 'book', 'book-open', 'bookmark', 'box', 'briefcase', 'calendar', 'check',
  'check-circle', 'check-square', 'clipboard', 'clock', 'cloud', 'cloud-lightning', 'code',
  'command', 'compass', 'cpu', 'database', 'download', 'download-cloud', 'edit', 'edit-2',
  'edit-3', 'eye', 'file', 'file-text', 'filter', 'flag', 'folder', 'gift', 'git-branch',
  'git-commit', 'git-merge', 'git-pull-request', 'globe', 'hash', 'heart', 'home', 'layers',
  'link', 'lock', 'log-in', 'log-out', 'mail', 'package', 'play', 'power', 'refresh-ccw',
  'refresh-cw', 'repeat', 'rotate-ccw', 'rotate-cw', 'send', 'server', 'settings', 'shield',
  'shield-off', 'star', 'tag', 'terminal', 'thumbs-up', 'unlock', 'upload', 'upload-cloud',
  'user', 'user-check', 'users', 'zap',
]);
const GITHUB_OMITTED_FEATHER_ICONS = new Set([
  'coffee', 'columns', 'divide', 'divide-circle', 'divide-square', 'frown', 'hexagon', 'key',
  'meh', 'mouse-pointer', 'smile', 'tool', 'x-octagon',
]);
const GITHUB_BRANDING_COLORS = new Set([
  'white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark',
]);

/** Split one Markdown table row into trimmed cells; `\|` inside a cell is a literal pipe. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The table between `<!-- NAME:start -->` and `<!-- NAME:end -->`: its header and body rows. */
function readmeTable(marker: string): { header: string[]; rows: string[][] } {
  const start = readme.indexOf(`<!-- ${marker}:start -->`);
  const end = readme.indexOf(`<!-- ${marker}:end -->`);
  expect(start, `README marker <!-- ${marker}:start -->`).toBeGreaterThanOrEqual(0);
  expect(end, `README marker <!-- ${marker}:end -->`).toBeGreaterThan(start);
  const lines = readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.trim().startsWith('|'));
  const [header, separator, ...rows] = lines;
  expect(separator, `README ${marker} table separator`).toMatch(/^\|(\s*:?-+:?\s*\|)+$/);
  return { header: cells(header ?? ''), rows: rows.map(cells) };
}

/** A cell's inline code content (`` `x` `` → `x`); an empty cell is undefined. */
function code(cell: string | undefined): string | undefined {
  if (cell === undefined || cell === '') return undefined;
  const m = /^`([^`]*)`$/.exec(cell);
  expect(m, `expected a single code span, got: ${cell}`).not.toBeNull();
  return m?.[1];
}

describe('action.yml', () => {
  it('declares the inputs of src/config.ts in the same order', () => {
    expect(Object.keys(inputs)).toEqual([...INPUT_NAMES]);
    expect(CONTRACT_INPUTS.map((i) => i.name)).toEqual([...INPUT_NAMES]);
  });

  it('describes each input word for word as the command\'s --help does (src/input-docs.ts), with the default of the input table', () => {
    for (const name of INPUT_NAMES) {
      expect(inputs[name]?.description, name).toBe(INPUT_DOCS[name]);
      // A default action.yml declares is the one the code applies when the input is blank.
      const declared = inputs[name]?.default;
      if (declared !== undefined) expect(inputForm(name).fallback, name).toBe(declared);
      expect(inputForm(name).required, name).toBe(inputs[name]?.required);
    }
  });

  it('is released with the command under one version: package.json\'s is the one the code reports and the docs pin', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    // Every `uses: …qlik-talend-oauth@<sha> # vX.Y.Z` and every `qlik-talend-oauth@X.Y.Z` (npx)
    // in the README and the examples names this version (docs/releasing.md).
    const docs = ['README.md', ...readdirSync(`${root}examples`).filter((f) => f.endsWith('.yml')).map((f) => `examples/${f}`), 'examples/other-ci/gitlab-ci.yml', 'examples/other-ci/azure-pipelines.yml', 'examples/other-ci/Jenkinsfile'];
    const pinned: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(`${root}${doc}`, 'utf8');
      for (const m of text.matchAll(/qlik-talend-oauth@[0-9a-f]{40} # v(\S+)/g)) pinned.push(`${doc}: ${m[1]}`);
      for (const m of text.matchAll(/qlik-talend-oauth@(\d+\.\d+\.\d+(?:-[\w.]+)?)/g)) pinned.push(`${doc}: ${m[1]}`);
    }
    expect(pinned.length).toBeGreaterThanOrEqual(10);
    expect(pinned.filter((p) => !p.endsWith(`: ${pkg.version}`))).toEqual([]);
  });

  it('declares the outputs of src/config.ts in the same order', () => {
    expect(Object.keys(outputs)).toEqual([...OUTPUT_NAMES]);
    expect(CONTRACT_OUTPUTS.map((o) => o.name)).toEqual([...OUTPUT_NAMES]);
  });

  it.each(CONTRACT_INPUTS)('input $name: required and default as in the contract', (spec) => {
    const input = inputs[spec.name];
    expect(input, `input ${spec.name}`).toBeDefined();
    expect(input?.required).toBe(spec.required);
    // Defaults must be strings: the runner passes them through as INPUT_* values.
    expect(input?.default).toBe(spec.default);
    expect(typeof input?.description).toBe('string');
    expect(String(input?.description).trim()).not.toBe('');
  });

  it('says on both Talend base inputs that exactly one of them is required', () => {
    for (const name of ['talend-region', 'talend-api-url']) {
      expect(inputs[name]?.description).toContain(
        'Exactly one of `talend-region` and `talend-api-url` is required.',
      );
    }
  });

  it.each(CONTRACT_OUTPUTS)('output $name: described, and says whether it is masked', (spec) => {
    const description = outputs[spec.name]?.description;
    expect(typeof description).toBe('string');
    if (spec.masked) {
      expect(description).toMatch(/\bMasked\b/);
      expect(description).not.toMatch(/\bNot masked\b/);
    } else {
      expect(description).toMatch(/\bNot masked\b/);
    }
  });

  it('runs dist/index.js on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('has a name, a short description, an author and valid branding', () => {
    expect(action.name).toBe('Qlik Cloud OAuth secret rotation for Talend');
    expect(typeof action.description).toBe('string');
    expect(String(action.description).length).toBeLessThanOrEqual(125);
    expect(typeof action.author).toBe('string');
    const icon = String(action.branding?.icon);
    expect(GITHUB_FEATHER_ICONS.has(icon), `branding.icon '${icon}'`).toBe(true);
    expect(GITHUB_OMITTED_FEATHER_ICONS.has(icon), `branding.icon '${icon}'`).toBe(false);
    expect(GITHUB_BRANDING_COLORS.has(String(action.branding?.color))).toBe(true);
  });
});

describe('README.md', () => {
  it('documents exactly the inputs of action.yml (name, required, default, description)', () => {
    const { header, rows } = readmeTable('inputs');
    expect(header).toEqual(['name', 'required', 'default', 'description']);
    const documented = rows.map(([name, required, dflt, description]) => ({
      name: code(name),
      required: required === 'yes' ? true : required === 'no' ? false : required,
      default: code(dflt),
      description,
    }));
    const declared = Object.entries(inputs).map(([name, input]) => ({
      name,
      required: input.required,
      default: input.default,
      description: input.description,
    }));
    expect(documented).toEqual(declared);
  });

  it('documents exactly the outputs of action.yml (name, masked, description)', () => {
    const { header, rows } = readmeTable('outputs');
    expect(header).toEqual(['name', 'masked', 'description']);
    const documented = rows.map(([name, masked, description]) => ({
      name: code(name),
      masked: masked === 'yes' ? true : masked === 'no' ? false : masked,
      description,
    }));
    const declared = Object.entries(outputs).map(([name, output]) => ({
      name,
      masked: CONTRACT_OUTPUTS.find((o) => o.name === name)?.masked,
      description: output.description,
    }));
    expect(documented).toEqual(declared);
  });

  it('shows only YAML examples that parse', () => {
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(() => parse(block), block).not.toThrow();
  });

  it('pins every use of the action by a full commit SHA', () => {
    const uses = [...readme.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [line, ref, rest] of uses) {
      expect(ref, line).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, line).toMatch(/^\s+# v\d+\.\d+\.\d+$/);
    }
  });
});

/** Comments removed, so prose such as "this does not use `core.getInput`" is not code. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

/** Every TypeScript file under src/, comments removed, keyed by its path under src/. */
function sourceFiles(): Array<{ file: string; code: string }> {
  const dir = `${root}src/`;
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((file) => ({ file, code: stripComments(readFileSync(dir + file, 'utf8')) }));
}

/** The environment variable the runner sets for an input (hyphens kept). */
const inputVar = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

/**
 * What a scan of the source finds wrong with its inputs and outputs against action.yml: input
 * reads that bypass readRawInputs, INPUT_* names action.yml does not declare, setOutput calls
 * with an undeclared name (or a name not typed OutputName), declared outputs never written.
 */
function sourceProblems(sources: Array<{ file: string; code: string }>): string[] {
  const problems: string[] = [];
  const declaredInputs = new Set(Object.keys(inputs).map(inputVar));
  const declaredOutputs = new Set(Object.keys(outputs));
  for (const { file, code } of sources) {
    if (/\b(?:getInput|getBooleanInput|getMultilineInput)\s*\(/.test(code)) {
      problems.push(`src/${file}: reads an input with core.getInput*; use readRawInputs`);
    }
    if (code.includes('`INPUT_${') && file !== 'inputs.ts') {
      problems.push(`src/${file}: builds an INPUT_* name; only readRawInputs in src/inputs.ts may`);
    }
    for (const [name] of code.matchAll(/\bINPUT_[A-Z0-9][A-Z0-9_-]*/g)) {
      if (name !== 'INPUT_NAMES' && name !== 'INPUT_DOCS' && !declaredInputs.has(name)) {
        problems.push(`src/${file}: names ${name}, which action.yml does not declare`);
      }
    }
    for (const [, rawArg] of code.matchAll(/\bsetOutput\s*\(\s*([^,)]+)/g)) {
      const arg = (rawArg ?? '').trim();
      const literal = /^(['"`])([^'"`]*)\1$/.exec(arg);
      // A declaration of the door itself (the host's setOutput), its parameter typed OutputName.
      if (/^[A-Za-z_$][\w$]*\s*:\s*OutputName$/.test(arg)) continue;
      if (literal) {
        if (!declaredOutputs.has(literal[2] ?? '')) {
          problems.push(`src/${file}: setOutput(${arg}) writes an output action.yml does not declare`);
        }
      } else if (!/^[A-Za-z_$][\w$]*$/.test(arg) || !new RegExp(`\\b${arg}\\s*:\\s*OutputName\\b`).test(code)) {
        problems.push(`src/${file}: setOutput(${arg}): pass a declared name or a value typed OutputName`);
      }
    }
  }
  // Writers: core.setOutput itself, or a local helper whose first parameter is an OutputName.
  const all = sources.map((s) => s.code).join('\n');
  const helpers = [...all.matchAll(/\b(?:const|function)\s+(\w+)\s*=?\s*\(\s*\w+\s*:\s*OutputName\b/g)].map((m) => m[1]);
  const writers = ['setOutput', ...helpers].join('|');
  for (const name of declaredOutputs) {
    if (!new RegExp(`\\b(?:${writers})\\(\\s*'${name}'`).test(all)) {
      problems.push(`output '${name}' is declared in action.yml but src/ never writes it`);
    }
  }
  return problems;
}

describe('src/ reads and writes only what action.yml declares', () => {
  it('reads inputs through readRawInputs, which reads exactly the declared INPUT_* variables', () => {
    const read: string[] = [];
    const env = new Proxy({} as NodeJS.ProcessEnv, {
      get: (_t, key) => {
        if (typeof key === 'string') read.push(key);
        return undefined;
      },
    });
    readRawInputs(env);
    expect(read).toEqual(Object.keys(inputs).map(inputVar));
  });

  it('has no other input read, no undeclared INPUT_* or output name, and writes every output', () => {
    const sources = sourceFiles();
    expect(sources.map((s) => s.file)).toEqual(expect.arrayContaining(['inputs.ts', 'main.ts', 'report.ts']));
    expect(sourceProblems(sources)).toEqual([]);
  });

  it('the scan reports each kind of drift (checked on made-up source)', () => {
    const writesAll = OUTPUT_NAMES.filter((n) => n !== 'plan').map((n) => `core.setOutput('${n}', '');`).join('\n');
    const problems = sourceProblems([
      { file: 'main.ts', code: stripComments(`${writesAll}\n// core.getInput('ignored in a comment')`) },
      { file: 'extra.ts', code: "core.getInput('client-name');\nconst v = process.env['INPUT_CLIENT-NAMES'];" },
      { file: 'report.ts', code: "core.setOutput('secret-age', '1');\ncore.setOutput(name, 'x');" },
      { file: 'env.ts', code: 'const key = `INPUT_${name}`;' },
    ]);
    expect(problems).toEqual([
      'src/extra.ts: reads an input with core.getInput*; use readRawInputs',
      'src/extra.ts: names INPUT_CLIENT-NAMES, which action.yml does not declare',
      "src/report.ts: setOutput('secret-age') writes an output action.yml does not declare",
      'src/report.ts: setOutput(name): pass a declared name or a value typed OutputName',
      'src/env.ts: builds an INPUT_* name; only readRawInputs in src/inputs.ts may',
      "output 'plan' is declared in action.yml but src/ never writes it",
    ]);
  });
});
