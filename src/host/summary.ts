/**
 * The job summary as data, and as Markdown. The report builds it once (report.ts); each host
 * renders it its own way: GitHub's job summary as HTML (github.ts), a file the command writes on
 * request as Markdown (below). Every text in it is already scrubbed of secrets, never escaped:
 * escaping belongs to the rendering.
 */
export interface JobSummary {
  heading: string;
  rows: [what: string, state: string][];
  changes: string[];
  warnings: string[];
  /** What failed and what to do, several lines. */
  failure?: string;
}

/** Markdown for a file: a table, two lists and the failure in a fenced block. */
export function summaryMarkdown(summary: JobSummary): string {
  const lines = [`## ${inline(summary.heading)}`, '', '| What | State |', '|---|---|'];
  for (const [what, state] of summary.rows) lines.push(`| ${inline(what)} | ${inline(state)} |`);
  lines.push('', '### Changes', '', ...list(summary.changes.length > 0 ? summary.changes : ['none']));
  if (summary.warnings.length > 0) lines.push('', '### Warnings', '', ...list(summary.warnings));
  if (summary.failure !== undefined) {
    // A fence longer than any run of backticks in the text, so the text cannot close it.
    const longest = Math.max(2, ...[...summary.failure.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = '`'.repeat(longest + 1);
    lines.push('', '### What failed and what to do', '', fence, summary.failure, fence);
  }
  return `${lines.join('\n')}\n`;
}

function list(items: string[]): string[] {
  return items.map((item) => `- ${inline(item)}`);
}

/**
 * One line of text, shown as it is: the characters that would start emphasis, code, a link, an
 * HTML tag or entity, or end a table cell are escaped (the rest cannot act inside a cell or a
 * list item).
 */
function inline(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ').replace(/[\\`*_[\]<>|~&]/g, (c) => `\\${c}`);
}
