/**
 * The command line → the same raw inputs the action reads from `INPUT_*`. Flags are named as the
 * action's inputs (`--qlik-tenant-url URL`); credentials come only from the environment, never
 * from a flag, which other users of the machine can read in the process list and the shell keeps
 * in its history. Every message names a flag and never quotes what follows it.
 */
import { INPUT_NAMES, type InputName, type RawInputs, SECRET_INPUTS } from '../config.js';
import { inputForm } from '../inputs.js';
import { plainText } from '../untrusted-text.js';

/** The environment variable each credential comes from. */
export const CREDENTIAL_VARIABLES: Record<(typeof SECRET_INPUTS)[number], string> = {
  'qlik-api-key': 'QLIK_API_KEY',
  'talend-token': 'TALEND_TOKEN',
  'talend-client-id': 'TALEND_CLIENT_ID',
  'talend-client-secret': 'TALEND_CLIENT_SECRET',
};

/** The command's own flags, beside the inputs. */
export const COMMAND_FLAGS: Record<CommandFlag, { file: boolean; text: string }> = {
  'output-json': { file: true, text: 'Write the outputs to FILE as a JSON object (all but client-secret).' },
  'secret-file': { file: true, text: 'Write the new client secret to FILE, readable by its owner only (0600), when the run created one; otherwise FILE is not touched.' },
  'summary-file': { file: true, text: 'Write the job summary to FILE as Markdown.' },
  verbose: { file: false, text: 'Print debug lines (requests, their statuses and retries; never a value).' },
  help: { file: false, text: 'Print this help and exit.' },
  version: { file: false, text: 'Print the version and exit.' },
};
type CommandFlag = 'output-json' | 'secret-file' | 'summary-file' | 'verbose' | 'help' | 'version';

export interface CommandLine {
  raw: RawInputs;
  outputJson?: string;
  secretFile?: string;
  summaryFile?: string;
  verbose: boolean;
  help: boolean;
  version: boolean;
}

/** A command line that cannot be run: exit code 2, before any request. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const CREDENTIAL_INPUTS = new Set<string>(SECRET_INPUTS);
const KNOWN_INPUTS = new Set<string>(INPUT_NAMES);

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CommandLine {
  const line: CommandLine = { raw: {}, verbose: false, help: false, version: false };
  const problems: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h') {
      line.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      problems.push(`Unexpected argument ${i + 1}: every value follows its flag (--name VALUE or --name=VALUE); run --help for the list.`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const shown = `--${plainText(name, 60)}`;
    if (seen.has(name)) {
      problems.push(`Flag ${shown} is given twice.`);
      // Its value, if separate, is skipped like the first one's.
      if (inline === undefined && takesValue(name) && i + 1 < argv.length) i++;
      continue;
    }
    seen.add(name);
    if (CREDENTIAL_INPUTS.has(name)) {
      const variable = CREDENTIAL_VARIABLES[name as keyof typeof CREDENTIAL_VARIABLES];
      problems.push(`Flag ${shown} is not accepted: pass ${name} in the environment variable ${variable}, never on the command line (other users can read a process's arguments, and shells keep them in their history).`);
      // Skip the value too, so that it is never mistaken for another argument (or echoed).
      if (inline === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) i++;
      continue;
    }
    if (name in COMMAND_FLAGS) {
      const flag = name as CommandFlag;
      if (COMMAND_FLAGS[flag].file) {
        const value = inline ?? (i + 1 < argv.length && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
        if (value === undefined || value.trim() === '') problems.push(`Flag ${shown} needs a file name.`);
        else if (flag === 'output-json') line.outputJson = value;
        else if (flag === 'secret-file') line.secretFile = value;
        else line.summaryFile = value;
      } else if (inline !== undefined) {
        problems.push(`Flag ${shown} takes no value.`);
      } else {
        line[flag as 'verbose' | 'help' | 'version'] = true;
      }
      continue;
    }
    if (!KNOWN_INPUTS.has(name)) {
      problems.push(`Unknown flag ${shown}; run --help for the list.`);
      if (inline === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) i++;
      continue;
    }
    const input = name as InputName;
    if (inputForm(input).isSwitch) {
      // `--dry-run` alone is true; `--dry-run=false` and `--dry-run false` say so outright.
      const next = argv[i + 1];
      if (inline !== undefined) line.raw[input] = inline;
      else if (next !== undefined && /^(true|false)$/i.test(next)) line.raw[input] = argv[++i];
      else line.raw[input] = 'true';
      continue;
    }
    const value = inline ?? (i + 1 < argv.length ? argv[++i] : undefined);
    if (value === undefined) problems.push(`Flag ${shown} needs a value.`);
    else line.raw[input] = value;
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  for (const [input, variable] of Object.entries(CREDENTIAL_VARIABLES)) {
    const value = env[variable];
    if (value !== undefined) line.raw[input as InputName] = value;
  }
  return line;
}

function takesValue(name: string): boolean {
  if (name in COMMAND_FLAGS) return COMMAND_FLAGS[name as CommandFlag].file;
  return KNOWN_INPUTS.has(name) && !CREDENTIAL_INPUTS.has(name) && !inputForm(name as InputName).isSwitch;
}
