/**
 * The pipelines of README "Other CI systems" (examples/other-ci/) work: each is the README's text
 * word for word, the YAML ones parse, each runs the package's version, and its command line,
 * with the CI's variables filled in, creates the client and delivers the secret under that CI's
 * environment against the emulator. One thing is changed for the emulator: `--talend-region`
 * names a real Talend region, so its value is swapped for `--talend-api-url` and the emulator.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startEmulator } from '../../emulator/index.js';
import { type CiKind, runCommand } from '../../scripts/command-runner.js';
import { commandLogProblems, excerptOf, secretsOf } from './command-output.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const VERSION = (JSON.parse(read('package.json')) as { version: string }).version;

interface Example {
  file: string;
  ci: CiKind;
  /** The command's text as the CI's shell gets it. */
  command: (text: string) => string;
}

const yamlScript = (find: (doc: unknown) => unknown) => (text: string) => String(find(parse(text)));

const EXAMPLES: Example[] = [
  {
    file: 'examples/other-ci/gitlab-ci.yml',
    ci: 'gitlab',
    command: yamlScript((doc) => (doc as { 'qlik-talend-oauth': { script: string[] } })['qlik-talend-oauth'].script[0]),
  },
  {
    file: 'examples/other-ci/azure-pipelines.yml',
    ci: 'azure-pipelines',
    command: yamlScript(
      (doc) => (doc as { jobs: { strategy: { runOnce: { deploy: { steps: { script?: string }[] } } } }[] }).jobs[0]!.strategy.runOnce.deploy.steps.find((s) => s.script)!.script,
    ),
  },
  {
    file: 'examples/other-ci/Jenkinsfile',
    ci: 'jenkins',
    // The sh step's single-quoted script, its line continuations joined.
    command: (text) => /sh '''([\s\S]*?)'''/.exec(text)![1]!.replace(/\\\n/g, ' '),
  },
];

/** Shell words: whitespace-separated, double quotes grouping, `$VAR` and Azure's `$(Macro)` expanded. */
function words(command: string, vars: Record<string, string>): string[] {
  const expand = (s: string) => s.replace(/\$\(([\w.]+)\)|\$(\w+)/g, (_m, macro: string, v: string) => vars[macro ?? v] ?? `<unset ${macro ?? v}>`);
  return [...command.trim().matchAll(/"([^"]*)"|(\S+)/g)].map((m) => expand(m[1] ?? m[2]!));
}

describe('README "Other CI systems"', () => {
  const readme = read('README.md');

  it.each(EXAMPLES)('$file is in the README word for word', ({ file }) => {
    expect(readme).toContain(read(file));
  });

  it.concurrent('the first look from a terminal is a dry run that plans the creation and changes nothing', async () => {
    const emu = await startEmulator({ strict: true });
    try {
      const block = /\*\*A first look from a terminal\*\*[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
      const line = block.split('\n').filter((l) => !l.startsWith('read ')).join('\n').replace(/\\\n/g, ' ');
      const argv = words(line, {});
      expect(argv.slice(0, 3)).toEqual(['npx', '--yes', `qlik-talend-oauth@${VERSION}`]);
      const flags = argv.slice(3).map((w) => (w === 'https://TENANT.REGION.qlikcloud.com' ? emu.qlikUrl : w));
      flags.splice(flags.indexOf('--talend-region'), 2, '--talend-api-url', emu.talendUrl);
      const run = await runCommand({}, 'terminal', { argv: [...flags, '--output-json', 'out.json'], env: { QLIK_API_KEY: emu.qlikApiKey, TALEND_TOKEN: emu.talendToken } });
      expect(run.code, excerptOf(run)).toBe(0);
      expect(run.stdout).toContain('dry-run is true: nothing will be changed.');
      expect(JSON.parse(readFileSync(join(run.dir, 'out.json'), 'utf8')).result).toBe('planned');
      expect(emu.clients()).toEqual([]);
      expect(commandLogProblems(run, 'terminal', secretsOf(emu)), excerptOf(run)).toEqual([]);
    } finally {
      await emu.close();
    }
  });

  it.concurrent.each(EXAMPLES)('$file runs qlik-talend-oauth@<this version>, and its command creates the client on $ci', async ({ file, ci, command }) => {
    const emu = await startEmulator({ strict: true });
    try {
      const text = read(file);
      // Azure creates its staging directory before the job; the others write to the job's directory.
      const dir = mkdtempSync(join(tmpdir(), 'qto-other-ci-'));
      const staging = join(dir, 'staging');
      mkdirSync(staging);
      const argv = words(command(text), {
        QLIK_TENANT_URL: emu.qlikUrl,
        TALEND_REGION: 'eu',
        TALEND_QLIK_AUTH_URL: '/tmc/qlik-cloud-authentication',
        'Build.ArtifactStagingDirectory': staging,
      });
      expect(argv.slice(0, 3)).toEqual(['npx', '--yes', `qlik-talend-oauth@${VERSION}`]);
      const flags = argv.slice(3);
      const region = flags.indexOf('--talend-region');
      expect(region, 'the example names a Talend region').toBeGreaterThanOrEqual(0);
      flags.splice(region, 2, '--talend-api-url', emu.talendUrl);
      const run = await runCommand({}, ci, { argv: flags, dir, env: { QLIK_API_KEY: emu.qlikApiKey, TALEND_TOKEN: emu.talendToken } });
      expect(run.code, excerptOf(run)).toBe(0);
      expect(commandLogProblems(run, ci, secretsOf(emu)), excerptOf(run)).toEqual([]);
      // The files the CI keeps as artifacts, where the example says.
      const at = (name: string) => join(ci === 'azure-pipelines' ? staging : dir, name);
      expect(existsSync(at('qlik-talend-oauth.json')) && JSON.parse(readFileSync(at('qlik-talend-oauth.json'), 'utf8')).result).toBe('created');
      expect(readFileSync(at('qlik-talend-oauth.md'), 'utf8')).toMatch(/^\| Result \| created \|$/m);
      expect(emu.talendPair()?.clientId).toBe(emu.clients()[0]!.clientId);
    } finally {
      await emu.close();
    }
  });
});
