/**
 * Hosts that print plain text: Azure Pipelines (which masks what `##vso[task.setsecret]` names)
 * and GitLab CI, Jenkins, Bitbucket Pipelines and a terminal, which mask nothing at run time.
 * Whatever the CI does, every line these hosts print is scrubbed of every secret the run has
 * seen (secrets.ts), client IDs and tokens included, and no GitHub workflow command is printed.
 */
import { scrubKnownSecrets } from '../secrets.js';
import { safeLogLine } from '../untrusted-text.js';
import type { Host } from './host.js';

export interface TextHostOptions {
  /** Azure Pipelines: `##vso[…]` logging commands for secrets, groups, warnings and errors. */
  azure: boolean;
  /** Print debug lines (Azure: as `##[debug]`, which it shows only when system.debug is on). */
  debug: boolean;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** Outputs and the summary are the command's (cli/results.ts): here they go nowhere. */
export function textHost(options: TextHostOptions): Host {
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  // Scrubbed here, as it is printed: a secret registered after a message was built is caught too.
  const show = (text: string) => safeLogLine(scrubKnownSecrets(text));
  const lines = (text: string) => text.split(/\r?\n|\r/).map(show);
  const { azure } = options;
  return {
    info: (line) => out(show(line)),
    debug: (line) => {
      if (options.debug) out(azure ? `##[debug]${show(line)}` : `debug: ${show(line)}`);
    },
    warning: (text, title) => {
      if (azure) out(`##vso[task.logissue type=warning]${azureData(`${title}: ${text}`)}`);
      else for (const line of lines(`Warning (${title}): ${text}`)) err(line);
    },
    error: (text, title) => {
      if (azure) out(`##vso[task.logissue type=error]${azureData(`${title}: ${text}`)}`);
      else for (const line of lines(`Error (${title}): ${text}`)) err(line);
    },
    startGroup: (name) => out(azure ? `##[group]${show(name)}` : `--- ${show(name)}`),
    endGroup: () => {
      if (azure) out('##[endgroup]');
    },
    mask: (value) => {
      // The value is already one line (secrets.ts registers each line); the agent masks it from
      // here on. Elsewhere there is nothing to tell: scrubbing is ours.
      if (azure && !/[\r\n]/.test(value)) out(`##vso[task.setsecret]${value}`);
    },
    setOutput: () => undefined,
    writeSummary: async () => undefined,
  };
}

/**
 * A logging command's message: scrubbed, each line made safe, then escaped as the Azure agent
 * unescapes it (`%AZP25`, `%0A`, `%5D`, `%3B`), so that a message cannot end its command or
 * start another, and keeps its lines.
 */
function azureData(text: string): string {
  return text
    .split(/\r?\n|\r/)
    .map((line) => safeLogLine(scrubKnownSecrets(line)).replace(/%/g, '%AZP25').replace(/\]/g, '%5D').replace(/;/g, '%3B'))
    .join('%0A');
}
