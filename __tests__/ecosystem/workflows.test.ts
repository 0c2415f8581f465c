/**
 * What actionlint cannot check in our workflow files: that they follow the README's security
 * advice (secrets only from `secrets.*`, least-privilege permissions, the action pinned by commit
 * SHA, one `concurrency:` group per environment), that every `with:` of our action names a
 * declared input and gives every required one (actionlint does not read action.yml), that the
 * examples stay the README's examples, and that Dependabot's ignore rules match package.json.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string): string => readFileSync(join(root, rel), 'utf8');

type Yaml = Record<string, unknown>;
interface Step {
  name?: string;
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
  env?: Record<string, unknown>;
}
interface Job {
  'runs-on'?: unknown;
  environment?: unknown;
  needs?: unknown;
  concurrency?: { group?: unknown; 'cancel-in-progress'?: unknown };
  permissions?: unknown;
  steps?: Step[];
}
interface Workflow {
  name?: string;
  on?: Yaml;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const action = parse(read('action.yml')) as { inputs: Record<string, { required?: boolean }> };
const declaredInputs = Object.keys(action.inputs);
const requiredInputs = declaredInputs.filter((name) => action.inputs[name]?.required === true);
const SECRET_INPUTS = ['qlik-api-key', 'talend-token'];

const EXAMPLES = ['scheduled-rotation.yml', 'environment-promotion.yml', 'emergency-rotation.yml', 'connection-rotation.yml', 'decommission.yml'];
const OWN_ACTION = /^your-org\/qlik-talend-oauth@[0-9a-f]{40}$/;
const isOwnAction = (uses: string | undefined): boolean =>
  uses !== undefined && (uses === './' || uses.startsWith('your-org/qlik-talend-oauth@'));

const examples = EXAMPLES.map((file) => {
  const text = read(`examples/${file}`);
  return { file, text, workflow: parse(text) as Workflow };
});

const repoWorkflows = readdirSync(join(root, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((file) => {
    const text = read(`.github/workflows/${file}`);
    return { file, text, workflow: parse(text) as Workflow };
  });

/** The complete workflows the README shows (the minimal one and the annotated usage block). */
const readmeWorkflows = [...read('README.md').matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => ({ text: m[1] ?? '', workflow: parse(m[1] ?? '') as unknown }))
  .filter((w): w is { text: string; workflow: Workflow } => typeof w.workflow === 'object' && w.workflow !== null && 'jobs' in w.workflow && 'on' in w.workflow);

const allWorkflows = [
  ...examples.map((w) => ({ ...w, file: `examples/${w.file}` })),
  ...readmeWorkflows.map((w) => ({ ...w, file: `README.md: ${w.workflow.name}` })),
  ...repoWorkflows.map((w) => ({ ...w, file: `.github/workflows/${w.file}` })),
];

function steps(workflow: Workflow): Array<{ job: string; step: Step }> {
  return Object.entries(workflow.jobs).flatMap(([job, j]) => (j.steps ?? []).map((step) => ({ job, step })));
}

/** The one step of a single-step use of our action. */
function ownStep(workflow: Workflow): Step {
  const own = steps(workflow).filter(({ step }) => isOwnAction(step.uses));
  expect(own).toHaveLength(1);
  return own[0]!.step;
}

describe('workflows that use the action', () => {
  it.each(allWorkflows.map((w) => [w.file, w.workflow] as const))(
    '%s: every `with:` names a declared input and gives every required one',
    (_file, workflow) => {
      const uses = steps(workflow).filter(({ step }) => isOwnAction(step.uses));
      for (const { job, step } of uses) {
        const given = Object.keys(step.with ?? {});
        const where = `job ${job}, step ${step.name ?? step.id ?? step.uses}`;
        expect(declaredInputs, where).toEqual(expect.arrayContaining(given));
        expect(given, where).toEqual(expect.arrayContaining(requiredInputs));
        // Exactly one of the two Talend base inputs.
        expect(given.filter((n) => n === 'talend-region' || n === 'talend-api-url'), where).toHaveLength(1);
      }
    },
  );

  it.each(allWorkflows.map((w) => [w.file, w.workflow] as const))(
    '%s: least privilege: no permission at all, or contents: read where it checks out the repository',
    (_file, workflow) => {
      const checksOut = steps(workflow).some(({ step }) => String(step.uses ?? '').startsWith('actions/checkout@'));
      expect(workflow.permissions).toEqual(checksOut ? { contents: 'read' } : {});
      for (const job of Object.values(workflow.jobs)) expect(job.permissions).toBeUndefined();
    },
  );
});

describe('examples/', () => {
  it.each(examples.map((e) => [e.file, e] as const))(
    '%s: credentials only from secrets.*, action pinned by SHA with a version comment',
    (_file, { text, workflow }) => {
      const uses = steps(workflow).filter(({ step }) => isOwnAction(step.uses));
      expect(uses.length).toBeGreaterThan(0);
      for (const { step } of uses) {
        expect(step.uses).toMatch(OWN_ACTION);
        for (const name of SECRET_INPUTS) {
          expect(step.with?.[name], name).toMatch(/^\$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}$/);
        }
        // No other input takes a secret, and nothing is hard-coded where a secret belongs.
        for (const [name, value] of Object.entries(step.with ?? {})) {
          if (!SECRET_INPUTS.includes(name)) expect(String(value), name).not.toContain('secrets.');
        }
      }
      const useLines = text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
      for (const line of useLines) expect(line).toMatch(/uses: \S+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    },
  );

  it.each(examples.map((e) => [e.file, e.workflow] as const))(
    '%s: every job runs on ubuntu-24.04 in the concurrency group of its environment, never cancelled',
    (_file, workflow) => {
      for (const [name, job] of Object.entries(workflow.jobs)) {
        expect(job['runs-on'], name).toBe('ubuntu-24.04');
        expect(typeof job.environment, name).toBe('string');
        const env = String(job.environment);
        const suffix = /^\$\{\{ (.+) \}\}$/.exec(env)?.[1];
        expect(job.concurrency, name).toEqual({
          group: suffix ? `qlik-talend-oauth-\${{ ${suffix} }}` : `qlik-talend-oauth-${env}`,
          'cancel-in-progress': false,
        });
      }
    },
  );

  it('scheduled-rotation.yml: monthly cron, a boolean force input that turns rotate to always', () => {
    const { workflow } = examples.find((e) => e.file === 'scheduled-rotation.yml')!;
    const on = workflow.on as { schedule: Array<{ cron: string }>; workflow_dispatch: { inputs: Yaml } };
    expect(on.schedule).toHaveLength(1);
    expect(on.schedule[0]?.cron).toMatch(/^\d+ \d+ \d+ \* \*$/);
    expect(on.workflow_dispatch.inputs.force).toMatchObject({ type: 'boolean', default: false });
    const step = ownStep(workflow);
    expect(step.with?.rotate).toBe("${{ inputs.force && 'always' || 'auto' }}");
  });

  it('environment-promotion.yml: dev → test → prod in sequence, rotate: never', () => {
    const { workflow } = examples.find((e) => e.file === 'environment-promotion.yml')!;
    expect(Object.keys(workflow.jobs)).toEqual(['dev', 'test', 'prod']);
    expect(workflow.jobs.dev?.needs).toBeUndefined();
    expect(workflow.jobs.test?.needs).toBe('dev');
    expect(workflow.jobs.prod?.needs).toBe('test');
    for (const [name, job] of Object.entries(workflow.jobs)) {
      expect(job.environment).toBe(name);
      const own = (job.steps ?? []).filter((s) => isOwnAction(s.uses));
      expect(own).toHaveLength(1);
      expect(own[0]?.with?.rotate).toBe('never');
    }
  });

  it('emergency-rotation.yml: workflow_dispatch with an environment choice, rotate: always, no older secret kept, tokens revoked', () => {
    const { workflow } = examples.find((e) => e.file === 'emergency-rotation.yml')!;
    const on = workflow.on as { workflow_dispatch: { inputs: Yaml } };
    expect(Object.keys(on)).toEqual(['workflow_dispatch']);
    expect(on.workflow_dispatch.inputs.environment).toMatchObject({ type: 'choice', options: ['dev', 'test', 'prod'] });
    const step = ownStep(workflow);
    expect(step.with?.rotate).toBe('always');
    expect(step.with?.['keep-previous-secrets']).toBe(0);
    expect(step.with?.['revoke-tokens']).toBe(true);
  });

  it('connection-rotation.yml: delivers to TMC connections only, on a monthly schedule', () => {
    const { workflow } = examples.find((e) => e.file === 'connection-rotation.yml')!;
    const step = ownStep(workflow);
    expect(step.with?.['talend-connection-ids']).toBe('${{ vars.TALEND_QLIK_CONNECTION_IDS }}');
    expect(step.with?.['talend-qlik-auth-url']).toBeUndefined();
  });

  it('decommission.yml: by hand only, confirmed by the client ID, a dry run by default', () => {
    const { workflow } = examples.find((e) => e.file === 'decommission.yml')!;
    const on = workflow.on as { workflow_dispatch: { inputs: Yaml } };
    expect(Object.keys(on)).toEqual(['workflow_dispatch']);
    expect(on.workflow_dispatch.inputs['dry-run']).toMatchObject({ type: 'boolean', default: true });
    const step = ownStep(workflow);
    expect(step.with).toMatchObject({ operation: 'decommission', 'confirm-decommission': '${{ inputs.client-id }}', 'dry-run': '${{ inputs.dry-run }}' });
  });

  it('are linked from the README, which repeats none of them in full', () => {
    const readme = read('README.md');
    for (const { file, workflow } of examples) {
      expect(readme, `README.md links examples/${file}`).toContain(`](examples/${file})`);
      expect(readmeWorkflows.map((w) => w.workflow.name), `README.md repeats examples/${file}`).not.toContain(workflow.name);
    }
  });

  it("use the README's runner label and region style", () => {
    const labels = new Set([...readmeWorkflows, ...examples].flatMap(({ workflow }) => Object.values(workflow.jobs).map((j) => j['runs-on'])));
    expect([...labels]).toEqual(['ubuntu-24.04']);
    for (const { file, workflow } of [...examples.map((e) => ({ ...e, file: `examples/${e.file}` })), ...readmeWorkflows.map((w) => ({ ...w, file: 'README.md' }))]) {
      for (const { step } of steps(workflow).filter(({ step }) => isOwnAction(step.uses))) {
        expect(step.with?.['talend-region'], file).toBe('${{ vars.TALEND_REGION }}');
      }
    }
  });
});

describe('.github/workflows/', () => {
  const byFile = (file: string): { text: string; workflow: Workflow } => {
    const found = repoWorkflows.find((w) => w.file === file);
    expect(found, `.github/workflows/${file}`).toBeDefined();
    return found!;
  };

  it.each(repoWorkflows.map((w) => [w.file, w.workflow] as const))(
    '%s: third-party actions only from actions/*, pinned to a major tag or a commit SHA',
    (_file, workflow) => {
      for (const { step } of steps(workflow)) {
        if (step.uses === undefined || step.uses === './') continue;
        expect(step.uses).toMatch(/^actions\/[\w.-]+@(v\d+|[0-9a-f]{40})$/);
      }
    },
  );

  it('ci.yml: installs with npm ci and runs npm test', () => {
    const runs = steps(byFile('ci.yml').workflow).map(({ step }) => step.run?.trim());
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm test');
  });

  it('ci.yml: runs the action itself (uses: ./) against the emulator and checks its result', () => {
    const { workflow } = byFile('ci.yml');
    const job = Object.values(workflow.jobs).find((j) => (j.steps ?? []).some((s) => s.uses === './'));
    expect(job, 'a job with uses: ./').toBeDefined();
    const all = job!.steps ?? [];
    const start = all.findIndex((s) => s.run?.includes('npm run emulator -- --qlik-port 4010 --talend-port 4011'));
    const first = all.findIndex((s) => s.uses === './');
    expect(start, 'a step that starts the emulator').toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThan(first);
    // The emulator is started with fixed credentials, and the action is given the same ones.
    expect(all[start]?.run).toMatch(/--qlik-api-key "\$EMULATOR_QLIK_API_KEY" --talend-token "\$EMULATOR_TALEND_TOKEN"/);
    const own = all[first]!;
    expect(own.with).toMatchObject({
      'qlik-tenant-url': 'http://127.0.0.1:4010',
      'qlik-api-key': '${{ env.EMULATOR_QLIK_API_KEY }}',
      'talend-token': '${{ env.EMULATOR_TALEND_TOKEN }}',
      'talend-api-url': 'http://127.0.0.1:4011/talend-api',
      'talend-qlik-auth-url': '/tmc/qlik-cloud-authentication',
    });
    const check = all.slice(first + 1).find((s) => JSON.stringify(s.env ?? {}).includes(`steps.${own.id}.outputs.result`));
    expect(check?.run).toContain('!= created');
  });

  it('check-dist.yml: rebuilds, fails on any change under dist/ (new files too), runs the bundle', () => {
    const runs = steps(byFile('check-dist.yml').workflow).map(({ step }) => step.run ?? '');
    const bundle = runs.findIndex((r) => r.trim() === 'npm run bundle');
    const compare = runs.findIndex((r) => r.includes('git status --porcelain --untracked-files=all -- dist/'));
    const smoke = runs.findIndex((r) => r.includes('node dist/index.js'));
    expect(bundle).toBeGreaterThanOrEqual(0);
    expect(compare).toBeGreaterThan(bundle);
    expect(smoke).toBeGreaterThan(compare);
    expect(runs[smoke]).toContain("Input 'qlik-tenant-url' is required");
  });
});

describe('.github/dependabot.yml', () => {
  const text = read('.github/dependabot.yml');
  const config = parse(text) as {
    version: number;
    updates: Array<{
      'package-ecosystem': string;
      directory: string;
      schedule: { interval: string };
      ignore?: Array<{ 'dependency-name': string; versions: string[] }>;
    }>;
  };
  const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };

  it('updates npm packages and GitHub Actions weekly', () => {
    expect(config.version).toBe(2);
    const ecosystems = config.updates.map((u) => [u['package-ecosystem'], u.directory, u.schedule.interval]);
    expect(ecosystems).toEqual(expect.arrayContaining([['npm', '/', 'weekly'], ['github-actions', '/', 'weekly']]));
  });

  // The majors that do not run on the development machines' Node 20 or that break the bundle.
  const EXPECTED_IGNORES: Record<string, number> = {
    vitest: 5,
    nock: 15,
    typescript: 6,
    node: 25,
    '@types/node': 21,
  };

  it.each(Object.entries(EXPECTED_IGNORES))(
    'ignores %s from major %i on, with a comment why, above the major package.json uses',
    (name, major) => {
      const npm = config.updates.find((u) => u['package-ecosystem'] === 'npm');
      const rule = npm?.ignore?.find((r) => r['dependency-name'] === name);
      expect(rule?.versions).toEqual([`>=${major}`]);
      // The dependency is still used, and its range stays below the ignored major.
      const range = pkg.devDependencies[name];
      expect(range, `devDependencies.${name}`).toBeDefined();
      const used = Number(/(\d+)/.exec(range ?? '')?.[1]);
      expect(used).toBeLessThan(major);
      // A comment line right above the rule says why.
      const lines = text.split('\n');
      const at = lines.findIndex((l) => new RegExp(`dependency-name: '?${name.replace(/[/.@]/g, '\\$&')}'?$`).test(l.trim().replace(/^- /, '')));
      expect(at, `rule line for ${name}`).toBeGreaterThan(0);
      expect(lines[at - 1]?.trim()).toMatch(/^# \S/);
    },
  );
});

describe('README.md points at the files users and maintainers need', () => {
  const readme = read('README.md');
  it.each(['examples/', 'CHANGELOG.md', 'docs/releasing.md', 'SECURITY.md', 'docs/protocol.md', 'docs/development.md', 'docs/performance.md'])('links %s, which exists', (rel) => {
    expect(readme).toContain(`](${rel})`);
    expect(existsSync(join(root, rel))).toBe(true);
  });

  it('tells runner operators what node24 needs and how proxies are configured', () => {
    const at = readme.indexOf('## Runner requirements');
    expect(at).toBeGreaterThan(0);
    const section = readme.slice(at, readme.indexOf('\n## ', at + 1));
    expect(read('action.yml')).toMatch(/using: 'node24'/);
    expect(section).toMatch(/`node24`, which needs \*\*GitHub Actions runner 2\.327\.1 or later\*\*/);
    expect(section).toContain('`HTTPS_PROXY`');
    expect(section).toContain('`NO_PROXY`');
  });

  it('documents npm run local-action with .env.example, and that it drops masked outputs', () => {
    const development = read('docs/development.md');
    expect(readme).toContain('](docs/development.md)');
    const at = development.indexOf('## Trying it from a laptop');
    expect(at).toBeGreaterThan(0);
    const section = development.slice(at, development.indexOf('\n## ', at + 1));
    expect(section).toContain('cp .env.example .env');
    expect(section).toContain('npm run local-action');
    expect(section).toMatch(/drops every output that contains a masked value/);
    expect(existsSync(join(root, '.env.example'))).toBe(true);
  });
});
