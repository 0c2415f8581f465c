/**
 * `--help`: every input as a flag, with its default from the input table (inputs.ts) and its
 * description from the one the action publishes (input-docs.ts), then the credentials'
 * environment variables and the command's own flags.
 */
import { INPUT_NAMES, SECRET_INPUTS } from '../config.js';
import { INPUT_DOCS } from '../input-docs.js';
import { inputForm } from '../inputs.js';
import { COMMAND_FLAGS, CREDENTIAL_VARIABLES } from './args.js';

const WIDTH = 100;
const INDENT = '      ';

export function helpText(version: string): string {
  const out: string[] = [
    `qlik-talend-oauth ${version}: find or create the Qlik Cloud OAuth client Talend uses, rotate its secret and deliver it to Talend.`,
    '',
    'Usage: qlik-talend-oauth --qlik-tenant-url URL (--talend-region REGION | --talend-api-url URL) TARGET... [FLAGS]',
    '       with QLIK_API_KEY and TALEND_TOKEN (or TALEND_CLIENT_ID and TALEND_CLIENT_SECRET) in the environment.',
    '       Try --dry-run first: it reads both systems, prints the plan and changes nothing.',
    '',
    'Exit codes: 0 success (also unchanged and a dry run\'s plan), 1 the run failed, 2 bad flags or inputs (no request sent).',
    '',
    'Credentials (environment only, never flags):',
  ];
  for (const input of SECRET_INPUTS) {
    out.push(`  ${CREDENTIAL_VARIABLES[input]}  (the action's ${input})`, ...wrap(INPUT_DOCS[input]));
  }
  out.push('', 'Inputs (the action\'s inputs, as flags; a value may also follow an = sign):');
  for (const input of INPUT_NAMES) {
    if ((SECRET_INPUTS as readonly string[]).includes(input)) continue;
    const form = inputForm(input);
    const usage = form.isSwitch ? `--${input}[=true|false]` : `--${input} VALUE`;
    const note = form.required ? 'required' : form.fallback ? `default: ${form.fallback}` : '';
    out.push(`  ${usage}${note ? `  (${note})` : ''}`, ...wrap(INPUT_DOCS[input]));
  }
  out.push('', 'Command flags:');
  for (const [flag, { file, text }] of Object.entries(COMMAND_FLAGS)) out.push(`  --${flag}${file ? ' FILE' : ''}`, ...wrap(text));
  out.push(
    '',
    'CI systems: on GitHub Actions the command masks, writes outputs and the job summary like the action; on Azure',
    'Pipelines it registers every secret with ##vso[task.setsecret]; elsewhere (GitLab, Jenkins, Bitbucket, a terminal)',
    'it prints no secret, token or client ID at all. Outputs and the summary go where --output-json and --summary-file say.',
  );
  return `${out.join('\n')}\n`;
}

/** Words wrapped to WIDTH, indented. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && INDENT.length + line.length + 1 + word.length > WIDTH) {
      lines.push(INDENT + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(INDENT + line);
  return lines;
}
