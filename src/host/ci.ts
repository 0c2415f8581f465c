/**
 * Which CI system the run is in, from the variables each one sets in every job, and the run's
 * identity there: the ID that holds the rotation's lease and the link the record's audit trail
 * names (record-store.ts).
 */
import { randomBytes } from 'node:crypto';

export type CiKind = 'github-actions' | 'azure-pipelines' | 'gitlab' | 'jenkins' | 'bitbucket' | 'terminal';

export const CI_NAMES: Record<CiKind, string> = {
  'github-actions': 'GitHub Actions',
  'azure-pipelines': 'Azure Pipelines',
  gitlab: 'GitLab CI',
  jenkins: 'Jenkins',
  bitbucket: 'Bitbucket Pipelines',
  terminal: 'a terminal (no CI found)',
};

export interface RunIdentity {
  /** Unique to this run and attempt: a random part, so two runs never share a lease. */
  runId: string;
  /** The CI's page for the run, when the CI says where it is. */
  runUrl: string | undefined;
}

export function detectCi(env: NodeJS.ProcessEnv): CiKind {
  // The most specific first: a GitHub-hosted runner is also where a terminal user may have set CI.
  if (env.GITHUB_ACTIONS === 'true') return 'github-actions';
  if ((env.TF_BUILD ?? '').toLowerCase() === 'true') return 'azure-pipelines';
  if (env.GITLAB_CI === 'true') return 'gitlab';
  if (nonEmpty(env.JENKINS_URL) || nonEmpty(env.JENKINS_HOME)) return 'jenkins';
  if (nonEmpty(env.BITBUCKET_BUILD_NUMBER)) return 'bitbucket';
  return 'terminal';
}

export function runIdentity(kind: CiKind, env: NodeJS.ProcessEnv): RunIdentity {
  const random = randomBytes(4).toString('hex');
  // The ID is kept in the record (its lease): a few safe characters from each part, never more.
  const join = (...parts: (string | undefined)[]) => parts.map((p) => (nonEmpty(p) ? p.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) : '-')).join('.');
  switch (kind) {
    case 'github-actions':
      return {
        runId: `${join(env.GITHUB_RUN_ID ?? 'local', env.GITHUB_RUN_ATTEMPT ?? '1')}.${random}`,
        runUrl:
          env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
            ? linkOrNone(`${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`)
            : undefined,
      };
    case 'azure-pipelines':
      return {
        runId: `azure.${join(env.BUILD_BUILDID, env.SYSTEM_JOBATTEMPT)}.${random}`,
        runUrl:
          env.SYSTEM_COLLECTIONURI && env.SYSTEM_TEAMPROJECT && env.BUILD_BUILDID
            ? linkOrNone(`${env.SYSTEM_COLLECTIONURI.replace(/\/*$/, '/')}${encodeURIComponent(env.SYSTEM_TEAMPROJECT)}/_build/results?buildId=${encodeURIComponent(env.BUILD_BUILDID)}`)
            : undefined,
      };
    case 'gitlab':
      return { runId: `gitlab.${join(env.CI_JOB_ID)}.${random}`, runUrl: linkOrNone(env.CI_JOB_URL) };
    case 'jenkins':
      return { runId: `jenkins.${join(env.BUILD_TAG)}.${random}`, runUrl: linkOrNone(env.BUILD_URL) };
    case 'bitbucket':
      return {
        runId: `bitbucket.${join(env.BITBUCKET_BUILD_NUMBER, env.BITBUCKET_STEP_UUID)}.${random}`,
        runUrl:
          env.BITBUCKET_GIT_HTTP_ORIGIN && env.BITBUCKET_BUILD_NUMBER
            ? linkOrNone(`${env.BITBUCKET_GIT_HTTP_ORIGIN}/addon/pipelines/home#!/results/${encodeURIComponent(env.BITBUCKET_BUILD_NUMBER)}`)
            : undefined,
      };
    case 'terminal':
      return { runId: `local.${random}`, runUrl: undefined };
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * The record keeps the link: an http(s) URL of printable ASCII and at most 300 characters, or
 * none (a variable set to anything else is not what the CI sets).
 */
function linkOrNone(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 300 || !/^https?:\/\/[\x21-\x7e]+$/.test(value)) return undefined;
  return value;
}
