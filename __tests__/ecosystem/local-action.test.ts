/**
 * `npm run local-action` (@github/local-action) with `.env.example`: the file lists every input
 * of action.yml and points at the emulator's fixed CLI ports, and local-action really runs
 * src/main.ts with it against the emulator (here on free ports, with the URLs rewritten).
 *
 * local-action is fetched by `npx` when it is used, not installed by `npm ci`: its dependencies
 * want Node 22 and would make every install on Node 20 print engine warnings. Running it needs
 * the npm registry and half a minute, so that test runs only with QTO_TOOLS=1
 * (`QTO_TOOLS=1 npm test`); the file checks always run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { INPUT_NAMES } from '../../src/config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const envExample = readFileSync(join(root, '.env.example'), 'utf8');
const inputVar = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

/** KEY=VALUE lines of a dotenv file, in order (comments and blank lines skipped). */
function entries(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => {
      const at = l.indexOf('=');
      return [l.slice(0, at), l.slice(at + 1)];
    });
}

/** The version `npm run local-action` runs, pinned: an update is a change we review. */
const LOCAL_ACTION = '@github/local-action@7.0.1';

const tmp = mkdtempSync(join(tmpdir(), 'local-action-'));
let emu: Emulator | undefined;
afterAll(async () => {
  await emu?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('.env.example', () => {
  const vars = entries(envExample);
  const keys = vars.map(([k]) => k);
  const value = (k: string): string | undefined => vars.find(([key]) => key === k)?.[1];

  it('sets every input of action.yml exactly once, in its order, and nothing unknown', () => {
    expect(keys.filter((k) => k.startsWith('INPUT_'))).toEqual(INPUT_NAMES.map(inputVar));
    expect(keys.filter((k) => !k.startsWith('INPUT_')).sort()).toEqual(['ACTIONS_STEP_DEBUG', 'GITHUB_STEP_SUMMARY']);
  });

  it('points at the emulator started with --qlik-port 4010 --talend-port 4011', () => {
    expect(value('INPUT_QLIK-TENANT-URL')).toBe('http://127.0.0.1:4010');
    expect(value('INPUT_TALEND-API-URL')).toBe('http://127.0.0.1:4011/talend-api');
    expect(value('INPUT_TALEND-QLIK-AUTH-URL')).toBe('/tmc/qlik-cloud-authentication');
    expect(value('INPUT_TALEND-REGION')).toBe('');
  });

  it('is what `npm run local-action` reads, and .env (with real values) is git-ignored', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['local-action']).toBe(`npx --yes ${LOCAL_ACTION} . src/main.ts .env`);
    expect(readFileSync(join(root, '.gitignore'), 'utf8').split('\n')).toContain('.env');
  });
});

describe.skipIf(process.env.QTO_TOOLS !== '1')('npm run local-action (QTO_TOOLS=1)', () => {
  it('runs src/main.ts with .env.example against the emulator; drops the masked outputs', async () => {
    emu = await startEmulator();
    emu.defineTask('smoke-test-task', 'execution_successful');
    const summary = join(tmp, 'summary.md');
    const env = envExample
      .replace('http://127.0.0.1:4010', emu.qlikUrl)
      .replace('http://127.0.0.1:4011/talend-api', emu.talendUrl)
      .replace(/^INPUT_QLIK-API-KEY=.*$/m, `INPUT_QLIK-API-KEY=${emu.qlikApiKey}`)
      .replace(/^INPUT_TALEND-TOKEN=.*$/m, `INPUT_TALEND-TOKEN=${emu.talendToken}`)
      .replace(/^GITHUB_STEP_SUMMARY=.*$/m, `GITHUB_STEP_SUMMARY=${summary}`);
    const envFile = join(tmp, 'local.env');
    writeFileSync(envFile, env);

    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      // The environment of the test run, minus anything that would look like an input.
      const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_') && !k.startsWith('GITHUB_')));
      const child = spawn('npx', ['--yes', LOCAL_ACTION, '.', 'src/main.ts', envFile], {
        cwd: root,
        env: { ...childEnv, NO_COLOR: '1', FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, output: text });
      });
    });

    expect(code, output).toBe(0);
    expect(output).toContain('::set-output name=result::created');
    // local-action drops an output that contains a registered secret (the runner does this only
    // for job outputs): the README says so.
    expect(output).toContain('Skip output client-id since it may contain secret.');
    expect(output).toContain('Skip output client-secret since it may contain secret.');
    const secrets = [emu.qlikApiKey, emu.talendToken, ...emu.issuedSecrets()];
    for (const secret of secrets) expect(output.includes(secret), 'a secret in the log').toBe(false);
    expect(emu.talendPair()?.clientId).toBe(emu.clients()[0]?.clientId);
    expect(existsSync(summary)).toBe(true);
    expect(emu.violations).toEqual([]);
  }, 120_000);
});
