/**
 * The GitHub Actions host: the toolkit's workflow commands (`::add-mask::`, annotations, groups),
 * `GITHUB_OUTPUT` and the job summary, rendered as HTML like every GitHub job summary.
 */
import * as core from '@actions/core';
import type { OutputName } from '../config.js';
import type { Host } from './host.js';
import type { JobSummary } from './summary.js';
import { escapeHtml } from '../untrusted-text.js';

export const githubActions: Host = {
  info: (line) => core.info(line),
  debug: (line) => core.debug(line),
  warning: (text, title) => core.warning(text, { title }),
  error: (text, title) => core.error(text, { title }),
  startGroup: (name) => core.startGroup(name),
  endGroup: () => core.endGroup(),
  mask: (value) => core.setSecret(value),
  setOutput: (name: OutputName, value: string) => core.setOutput(name, value),
  writeSummary: async (summary) => {
    // Outside a job (a local run) there is no summary to write.
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await summaryHtml(summary).write();
  },
};

function summaryHtml(summary: JobSummary): typeof core.summary {
  const html = core.summary
    .emptyBuffer()
    .addHeading(escapeHtml(summary.heading), 2)
    .addTable([
      [
        { data: 'What', header: true },
        { data: 'State', header: true },
      ],
      ...summary.rows.map(([what, state]) => [escapeHtml(what), escapeHtml(state)]),
    ]);
  html.addHeading('Changes', 3).addList(summary.changes.length > 0 ? summary.changes.map(escapeHtml) : ['none']);
  if (summary.warnings.length > 0) html.addHeading('Warnings', 3).addList(summary.warnings.map(escapeHtml));
  // addCodeBlock does not escape: the block is written here, escaped like every other part.
  if (summary.failure !== undefined) html.addHeading('What failed and what to do', 3).addRaw(`<pre><code>${escapeHtml(summary.failure)}</code></pre>`, true);
  return html;
}
