/**
 * The doors to the CI systems (src/host/) and the command line (src/cli/args.ts), as pure units:
 * what a text host prints, the Markdown summary, which CI a job is in, and how flags become
 * inputs. End to end, __tests__/e2e/command.test.ts runs the command under each CI.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INPUT_NAMES, SECRET_INPUTS } from '../src/config.js';
import { UsageError, parseCommandLine } from '../src/cli/args.js';
import { detectCi, runIdentity } from '../src/host/ci.js';
import { githubActions } from '../src/host/github.js';
import { useHost } from '../src/host/host.js';
import { summaryMarkdown } from '../src/host/summary.js';
import { textHost } from '../src/host/text.js';
import { registerSecret, resetSecretsForTest } from '../src/secrets.js';

const SECRET = 'the-client-secret-0123456789abcdef';

function capture(azure: boolean, debug = false) {
  const out: string[] = [];
  const err: string[] = [];
  const host = textHost({ azure, debug, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { host, out, err };
}

beforeEach(() => resetSecretsForTest());
afterEach(() => useHost(githubActions));

describe('text hosts (GitLab, Jenkins, Bitbucket, a terminal)', () => {
  it('scrub every line of every secret the run has seen, also one registered after the text was built', () => {
    const { host, out, err } = capture(false, true);
    useHost(host);
    const message = `Talend said: bad pair ${SECRET}`;
    registerSecret(SECRET);
    host.info(message);
    host.debug(`PUT /x/${SECRET}`);
    host.warning(`line one\nline two ${SECRET}`, 'Talend target');
    host.error(`first\n${SECRET}`, 'Rotation stopped');
    expect([...out, ...err].join('\n')).not.toContain(SECRET);
    expect(out).toEqual(['Talend said: bad pair ***', 'debug: PUT /x/***']);
    expect(err).toEqual(['Warning (Talend target): line one', 'line two ***', 'Error (Rotation stopped): first', '***']);
  });

  it('print no command of any CI, whatever server text they quote, and mask nothing out loud', () => {
    const { host, out, err } = capture(false);
    useHost(host);
    registerSecret(SECRET);
    host.info('::stop-commands::x');
    host.info('##vso[task.setvariable variable=x]y');
    host.info('##[group]z');
    host.startGroup('Apply');
    host.endGroup();
    expect(out).toEqual(['› ::stop-commands::x', '##vso [task.setvariable variable=x]y', '# #[group]z', '--- Apply']);
    expect(err).toEqual([]);
  });

  it('print debug lines only when asked', () => {
    const { host, out } = capture(false, false);
    host.debug('GET /api/v1/oauth-clients → 200');
    expect(out).toEqual([]);
  });
});

describe('the Azure Pipelines host', () => {
  it('registers each secret with ##vso[task.setsecret] the moment it exists', () => {
    const { host, out } = capture(true);
    useHost(host);
    registerSecret(`${SECRET}\nsecond-line-of-it`);
    // Each line on its own; the multi-line value itself is never written into a logging command.
    expect(out).toEqual([`##vso[task.setsecret]${SECRET}`, '##vso[task.setsecret]second-line-of-it']);
  });

  it('escapes annotation text so that it cannot end its command or start another, and keeps its lines', () => {
    const { host, out } = capture(true);
    useHost(host);
    registerSecret(SECRET);
    host.error(`a]b;c%d\n##vso[task.complete result=Succeeded]${SECRET}`, 'Rotation stopped');
    expect(out).toEqual([
      `##vso[task.setsecret]${SECRET}`,
      '##vso[task.logissue type=error]Rotation stopped: a%5Db%3Bc%AZP25d%0A##vso [task.complete result=Succeeded%5D***',
    ]);
  });

  it('groups and debug lines in its own syntax', () => {
    const { host, out } = capture(true, true);
    host.startGroup('Read Qlik and Talend');
    host.debug('GET / → 200');
    host.endGroup();
    expect(out).toEqual(['##[group]Read Qlik and Talend', '##[debug]GET / → 200', '##[endgroup]']);
  });
});

describe('the job summary as Markdown', () => {
  it('escapes what could end a cell, start a link, a tag or code; fences the failure longer than any backtick run in it', () => {
    const md = summaryMarkdown({
      heading: 'Qlik Cloud OAuth secret for Talend',
      rows: [['Target: task <img src=x>', 'a | b [link](http://x) `code` *em*']],
      changes: [],
      warnings: ['Talend target: line\nbreak'],
      failure: 'Talend said ```` no\nNext run: …',
    });
    expect(md).toContain('| Target: task \\<img src=x\\> | a \\| b \\[link\\](http://x) \\`code\\` \\*em\\* |');
    expect(md).toContain('### Changes\n\n- none');
    expect(md).toContain('- Talend target: line break');
    expect(md).toContain('`````\nTalend said ```` no\nNext run: …\n`````');
  });
});

describe('which CI', () => {
  it('is found from the variables each CI sets in every job; none is a terminal', () => {
    expect(detectCi({ GITHUB_ACTIONS: 'true', TF_BUILD: 'True' })).toBe('github-actions');
    expect(detectCi({ TF_BUILD: 'True' })).toBe('azure-pipelines');
    expect(detectCi({ GITLAB_CI: 'true', CI: 'true' })).toBe('gitlab');
    expect(detectCi({ JENKINS_URL: 'https://jenkins.example/' })).toBe('jenkins');
    expect(detectCi({ BITBUCKET_BUILD_NUMBER: '12' })).toBe('bitbucket');
    expect(detectCi({ CI: 'true' })).toBe('terminal');
    expect(detectCi({})).toBe('terminal');
  });

  it('names the run: a lease holder of safe characters, unique per run, and the CI\'s link when it is a plain http(s) URL', () => {
    const a = runIdentity('jenkins', { BUILD_TAG: 'jenkins-rotate qlik/${x}-17', BUILD_URL: 'https://jenkins.example/job/rotate/17/' });
    const b = runIdentity('jenkins', { BUILD_TAG: 'jenkins-rotate qlik/${x}-17', BUILD_URL: 'https://jenkins.example/job/rotate/17/' });
    expect(a.runId).toMatch(/^jenkins\.jenkins-rotate_qlik___x_-17\.[0-9a-f]{8}$/);
    expect(a.runId).not.toBe(b.runId);
    expect(a.runUrl).toBe('https://jenkins.example/job/rotate/17/');
    expect(runIdentity('gitlab', { CI_JOB_ID: '5', CI_JOB_URL: 'javascript:alert(1)' }).runUrl).toBeUndefined();
    expect(runIdentity('gitlab', { CI_JOB_ID: '5', CI_JOB_URL: `https://gitlab.example/${'a'.repeat(400)}` }).runUrl).toBeUndefined();
    expect(runIdentity('azure-pipelines', { BUILD_BUILDID: '7', SYSTEM_COLLECTIONURI: 'https://dev.azure.example/acme', SYSTEM_TEAMPROJECT: 'data platform' }).runUrl).toBe(
      'https://dev.azure.example/acme/data%20platform/_build/results?buildId=7',
    );
    expect(runIdentity('github-actions', { GITHUB_RUN_ID: '9', GITHUB_RUN_ATTEMPT: '2', GITHUB_SERVER_URL: 'https://github.example', GITHUB_REPOSITORY: 'a/b' })).toEqual({
      runId: expect.stringMatching(/^9\.2\.[0-9a-f]{8}$/),
      runUrl: 'https://github.example/a/b/actions/runs/9',
    });
  });
});

describe('the command line', () => {
  it('takes every input but the credentials as a flag, =VALUE or VALUE, and the credentials from the environment', () => {
    const line = parseCommandLine(['--qlik-tenant-url', 'https://t.example', '--scopes=a b', '--dry-run', '--retarget', 'false', '--revoke-tokens=true', '--output-json', 'o.json'], {
      QLIK_API_KEY: 'key-1234567890',
      TALEND_TOKEN: 'tok-1234567890',
      INPUT_CLIENT_NAME: 'ignored: the command reads flags, not INPUT_*',
    });
    expect(line.raw).toEqual({
      'qlik-tenant-url': 'https://t.example',
      scopes: 'a b',
      'dry-run': 'true',
      retarget: 'false',
      'revoke-tokens': 'true',
      'qlik-api-key': 'key-1234567890',
      'talend-token': 'tok-1234567890',
    });
    expect(line.outputJson).toBe('o.json');
  });

  it('has a flag for every input except the credentials', () => {
    for (const name of INPUT_NAMES) {
      const attempt = () => parseCommandLine([`--${name}=x`], {});
      if ((SECRET_INPUTS as readonly string[]).includes(name)) expect(attempt, name).toThrow(UsageError);
      else expect(attempt, name).not.toThrow();
    }
  });

  it('refuses a file flag without a file name and a switch of the command with a value', () => {
    expect(() => parseCommandLine(['--secret-file'], {})).toThrow('Flag --secret-file needs a file name.');
    expect(() => parseCommandLine(['--verbose=yes'], {})).toThrow('Flag --verbose takes no value.');
    expect(() => parseCommandLine(['--client-name'], {})).toThrow('Flag --client-name needs a value.');
  });
});
