/**
 * The command (`node dist/cli.js`, what `npx qlik-talend-oauth` runs) under each CI it knows,
 * against the emulator: the same outcomes as the action, exit codes 0 / 1 / 2, the results where
 * the flags say (the secret only in its 0600 file), and nothing secret on stdout or stderr in the
 * CI's own terms (command-output.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { baseInputs, runAction } from '../../scripts/action-runner.js';
import { CI_KINDS, type CiKind, type CommandRun, commandLineOf, runCommand } from '../../scripts/command-runner.js';
import { commandLogProblems, excerptOf, secretsOf } from './command-output.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const QLIK_AUTH_PATH = '/tmc/qlik-cloud-authentication';

/** Strict by default: the emulator answers no kinder than Qlik's published spec. */
async function withEmulator<T>(fn: (emu: Emulator) => Promise<T>, strict = true): Promise<T> {
  const emu = await startEmulator({ strict });
  try {
    return await fn(emu);
  } finally {
    await emu.close();
  }
}

/** Runs the command and holds it to what it may print under `ci`. */
async function command(emu: Emulator, ci: CiKind, extra: Record<string, string> = {}, opts: Parameters<typeof runCommand>[2] = {}): Promise<CommandRun> {
  const run = await runCommand({ ...baseInputs(emu), ...extra }, ci, opts);
  expect(commandLogProblems(run, ci, secretsOf(emu)), excerptOf(run)).toEqual([]);
  expect(emu.violations).toEqual([]);
  return run;
}

const MODES = [
  ['strict', true],
  ['lenient', false],
] as const;
const CI_MODES = CI_KINDS.flatMap((ci) => MODES.map(([mode, strict]) => [ci, mode, strict] as const));

describe.concurrent.each(CI_MODES)('the command on %s (%s emulator)', (ci, _mode, strict) => {
  it('creates the client and delivers the secret (exit 0), then finds nothing to do and leaves the secret file alone', () =>
    withEmulator(async (emu) => {
      const first = await command(emu, ci);
      expect(first.code, excerptOf(first)).toBe(0);
      expect(first.outputs.result).toBe('created');
      const [client] = emu.clients();
      expect(first.outputs['client-id']).toBe(client!.clientId);
      expect(first.outputs['secret-hint']).toBe(client!.clientSecrets[0]!.hint);
      expect(JSON.parse(first.outputs.plan!).map((s: { step: string }) => s.step)).toEqual(['create-client', 'verify-secret', 'deliver-to-talend', 'write-record']);
      // The secret Talend now holds, in a file only its owner can read.
      expect(first.secretFile).toEqual({ text: emu.talendPair()!.clientSecret, mode: 0o600 });
      expect(first.summary).toMatch(/^\| Result \| created \|$/m);
      expect(first.stdout).toMatch(/Result: created/);
      if (ci === 'github-actions') {
        // As the action: outputs (the secret among them, masked) and the job summary.
        expect(first.githubOutputs.result).toBe('created');
        expect(first.githubOutputs['client-secret']).toBe(first.secretFile!.text);
        expect(first.githubSummary).toContain('<table>');
      }
      if (ci === 'azure-pipelines') expect(first.stdout).toContain(`##vso[task.setsecret]${first.secretFile!.text}`);

      const fileBefore = statSync(first.secretFilePath).mtimeMs;
      const second = await command(emu, ci, {}, { dir: first.dir });
      expect(second.code, excerptOf(second)).toBe(0);
      expect(second.outputs.result).toBe('unchanged');
      expect(second.secretFile!.text).toBe(first.secretFile!.text);
      expect(statSync(second.secretFilePath).mtimeMs).toBe(fileBefore);
    }, strict));

  it('a run Talend refuses fails with exit 1, says so in the CI\'s terms, and keeps no secret', () =>
    withEmulator(async (emu) => {
      // The refusal's message tries to forge each CI's commands on lines of its own.
      const message = 'Forbidden\n::stop-commands::tok\n##vso[task.setvariable variable=x]y\n##[group]z';
      emu.fault({ service: 'talend', method: 'PUT', path: QLIK_AUTH_PATH, times: Infinity, action: { status: 403, body: { message } } });
      // With debug lines: request paths name the client by its ID.
      const run = await command(emu, ci, {}, { extraArgs: ['--verbose'] });
      expect(run.code, excerptOf(run)).toBe(1);
      expect(run.outputs.result).toBe('failed');
      // Every target refused: the new secret was deleted again, so there is none to write.
      expect(run.secretFile).toBeNull();
      if (ci === 'github-actions') expect(run.stdout).toMatch(/^::error title=Rotation stopped::/m);
      else if (ci === 'azure-pipelines') expect(run.stdout).toMatch(/^##vso\[task\.logissue type=error\]Rotation stopped: /m);
      else expect(run.stderr).toMatch(/^Error \(Rotation stopped\): /m);
      expect(run.summary).toContain('### What failed and what to do');
      const lines = `${run.stdout}\n${run.stderr}`.split('\n');
      expect(lines.filter((l) => /^\s*::/.test(l) && !/^::(add-mask|error|warning|debug|group|endgroup)\b/.test(l))).toEqual([]);
      expect(lines.filter((l) => /##vso\[/.test(l) && !/^##vso\[task\.(setsecret|logissue type=(error|warning))\]/.test(l))).toEqual([]);
      expect(lines.filter((l) => /^##\[/.test(l) && !/^##\[(group|endgroup|debug)\]/.test(l))).toEqual([]);
      expect(run.stdout + run.stderr).not.toMatch(/^::stop-commands::/m);
    }, strict));

  it('bad inputs end with exit 2 before any request, naming the input', () =>
    withEmulator(async (emu) => {
      const run = await command(emu, ci, { 'qlik-tenant-url': 'ftp://tenant.example' });
      expect(run.code, excerptOf(run)).toBe(2);
      expect(emu.log).toEqual([]);
      expect(run.outputs).toEqual({ result: 'failed' });
      expect(`${run.stdout}${run.stderr}`).toContain("Input 'qlik-tenant-url'");
    }, strict));
});

describe('the command line', () => {
  it.concurrent('refuses a credential given as a flag (exit 2, before any request) and never echoes it', () =>
    withEmulator(async (emu) => {
      const { qlikApiKey } = emu;
      const run = await runCommand({}, 'terminal', {
        argv: ['--qlik-tenant-url', emu.qlikUrl, '--qlik-api-key', qlikApiKey, '--talend-token=tok-abcdefgh-123456', '--talend-api-url', emu.talendUrl],
      });
      expect(run.code).toBe(2);
      expect(emu.log).toEqual([]);
      expect(run.stderr).toContain('Flag --qlik-api-key is not accepted: pass qlik-api-key in the environment variable QLIK_API_KEY');
      expect(run.stderr).toContain('Flag --talend-token is not accepted: pass talend-token in the environment variable TALEND_TOKEN');
      expect(`${run.stdout}${run.stderr}`).not.toContain(qlikApiKey);
      expect(`${run.stdout}${run.stderr}`).not.toContain('tok-abcdefgh-123456');
    }));

  it.concurrent('names unknown flags, stray arguments and repeated flags (exit 2), quoting none of their values', async () => {
    const run = await runCommand({}, 'terminal', { argv: ['--qlik-tenant-url', 'https://a.example', '--qlik-tenant-url', 'https://b.example', '--frobnicate', 'hunter2-secret', 'stray-value-xyz'] });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'qlik-talend-oauth: Flag --qlik-tenant-url is given twice.',
      'qlik-talend-oauth: Unknown flag --frobnicate; run --help for the list.',
      'qlik-talend-oauth: Unexpected argument 7: every value follows its flag (--name VALUE or --name=VALUE); run --help for the list.',
    ]);
    expect(run.stderr).not.toMatch(/hunter2|stray-value|b\.example/);
  });

  it.concurrent('refuses result files it could not write before any request (exit 2): a missing directory, a link in the secret file\'s place, one file twice', () =>
    withEmulator(async (emu) => {
      const dir = mkdtempSync(join(tmpdir(), 'qto-cmd-files-'));
      writeFileSync(join(dir, 'elsewhere'), '');
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'secret.txt'));
      const { argv, env } = commandLineOf(baseInputs(emu));
      const run = await runCommand({}, 'gitlab', {
        dir,
        env,
        argv: [...argv, '--output-json', join(dir, 'no-such-dir', 'out.json'), '--secret-file', join(dir, 'secret.txt'), '--summary-file', 'a.md', '--output-json=x'],
      });
      expect(run.code).toBe(2);
      expect(emu.log).toEqual([]);
      expect(run.stderr).toContain('Flag --output-json is given twice.');
      const again = await runCommand({}, 'gitlab', { dir, env, argv: [...argv, '--output-json', join(dir, 'no-such-dir', 'out.json'), '--secret-file', join(dir, 'secret.txt'), '--summary-file', join(dir, 'secret.txt')] });
      expect(again.code).toBe(2);
      expect(emu.log).toEqual([]);
      expect(again.stderr.trim().split('\n')).toEqual([
        'qlik-talend-oauth: Flag --output-json: the directory for the file does not exist.',
        'qlik-talend-oauth: Flag --secret-file names a symbolic link; the secret is written only to a file of its own.',
        'qlik-talend-oauth: Flag --summary-file names the same file as --secret-file.',
      ]);
      expect(readFileSync(join(dir, 'elsewhere'), 'utf8')).toBe('');
    }));

  it.concurrent('--help lists every input of action.yml as a flag with its default, and each credential as a variable', async () => {
    const action = parse(readFileSync(`${root}action.yml`, 'utf8')) as { inputs: Record<string, { default?: string; required?: boolean }> };
    const run = await runCommand({}, 'terminal', { argv: ['--help'] });
    expect(run.code).toBe(0);
    for (const variable of ['QLIK_API_KEY', 'TALEND_TOKEN', 'TALEND_CLIENT_ID', 'TALEND_CLIENT_SECRET']) expect(run.stdout).toMatch(new RegExp(`^  ${variable}  `, 'm'));
    const credentials = ['qlik-api-key', 'talend-token', 'talend-client-id', 'talend-client-secret'];
    for (const [name, input] of Object.entries(action.inputs)) {
      if (credentials.includes(name)) {
        expect(run.stdout, name).not.toMatch(new RegExp(`^  --${name}[ [=]`, 'm'));
        continue;
      }
      const line = run.stdout.split('\n').find((l) => l.startsWith(`  --${name} `) || l.startsWith(`  --${name}[`));
      expect(line, name).toBeDefined();
      if (input.default !== undefined && input.default !== '') expect(line, name).toContain(`(default: ${input.default})`);
      if (input.required === true) expect(line, name).toContain('(required)');
    }
  });

  it.concurrent('--version is the package\'s version, under the Node of the tests and the runner\'s Node 24', async () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string; bin: Record<string, string> };
    for (const node of [process.execPath, `${root}node_modules/.bin/node`]) {
      const run = await runCommand({}, 'terminal', { argv: ['--version'], node });
      expect(run.stdout, node).toBe(`${pkg.version}\n`);
    }
    expect(pkg.bin['qlik-talend-oauth']).toBe('dist/cli.js');
  });
});

describe('the npm package', () => {
  it.concurrent('ships the command, the action and their bundles, and no source', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ files: { path: string; mode: number }[] }];
    const files = new Map(pack.files.map((f) => [f.path, f.mode]));
    for (const path of ['dist/cli.js', 'dist/cli/index.js', 'dist/index.js', 'action.yml', 'README.md', 'LICENSE', 'CHANGELOG.md']) expect(files.has(path), path).toBe(true);
    expect(files.get('dist/cli.js')! & 0o111, 'dist/cli.js is executable').not.toBe(0);
    expect([...files.keys()].filter((p) => p.startsWith('src/') || p.startsWith('__tests__/') || p.startsWith('emulator/'))).toEqual([]);
    expect(readFileSync(`${root}dist/cli.js`, 'utf8')).toBe("#!/usr/bin/env node\nimport './cli/index.js';\n");
    // The command's code stays out of the action's bundle (its start-up is benchmarked).
    expect(readFileSync(`${root}dist/index.js`, 'utf8')).not.toContain('Unknown flag --');
  });
});

describe('the same outcomes as the action', () => {
  /** The outputs a run leaves, with what differs between two emulators (URLs, IDs, times) taken out. */
  function comparable(outputs: Record<string, string>, emu: Emulator): Record<string, unknown> {
    const text = (v: string | undefined) => (v ?? '').split(emu.talendUrl).join('<talend>').split(emu.qlikUrl).join('<qlik>');
    return {
      result: outputs.result,
      plan: JSON.parse(text(outputs.plan) || '[]'),
      targets: (JSON.parse(text(outputs.targets) || '[]') as { hint: unknown }[]).map((t) => ({ ...t, hint: typeof t.hint })),
      'tokens-revoked': outputs['tokens-revoked'],
    };
  }

  const steps: [string, Record<string, string>][] = [
    ['first run', {}],
    ['rotate: always', { rotate: 'always' }],
    ['dry run of a rotation', { rotate: 'always', 'dry-run': 'true' }],
    ['nothing to do', {}],
    ['a leak: rotate, keep nothing, revoke tokens', { rotate: 'always', 'keep-previous-secrets': '0', 'revoke-tokens': 'true' }],
  ];

  it.concurrent('step by step on two emulators: the action and the command (GitLab) reach the same results, plans and targets', async () => {
    const [viaAction, viaCommand] = await Promise.all([startEmulator({ strict: true }), startEmulator({ strict: true })]);
    try {
      for (const [label, extra] of steps) {
        const action = await runAction({ ...baseInputs(viaAction), ...extra });
        const cmd = await command(viaCommand, 'gitlab', extra);
        expect(cmd.code, `${label}: ${excerptOf(cmd)}`).toBe(action.code);
        expect(comparable(cmd.outputs, viaCommand), label).toEqual(comparable(action.outputs, viaAction));
      }
      expect(viaCommand.clients().map((c) => c.clientSecrets.length)).toEqual(viaAction.clients().map((c) => c.clientSecrets.length));
    } finally {
      await Promise.all([viaAction.close(), viaCommand.close()]);
    }
  });
});
