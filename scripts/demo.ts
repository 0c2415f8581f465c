/**
 * `npm run demo`: what a newcomer would see on GitHub, without a Qlik tenant or a Talend account.
 * Starts the emulator, runs the bundled action three times (first run creates and connects, second
 * finds everything healthy, third forces a rotation), prints each run's log as the runner would
 * show it (masked values as ***), its outputs and its job summary, then stops the emulator.
 *
 * `npm run demo -- --strict` runs the same against the strict emulator, which answers only as
 * Qlik's OpenAPI spec allows (fields left out when empty, hints like `a+b/c`, the consent asked
 * for at creation ignored, …).
 */
import { type Emulator, startEmulator } from '../emulator/index.js';
import { parseDescription } from '../src/core/record.js';
import { type ActionRun, applyMasks, baseInputs, runAction } from './action-runner.js';

/** Inputs as the workflow's `with:` block shows them; secrets as the runner masks them. */
const SECRET_INPUTS = new Set(['qlik-api-key', 'talend-token']);
const strict = process.argv.includes('--strict');
const emu = await startEmulator({ strict });
emu.defineTask('smoke-test-task', 'execution_successful');
console.log(`Emulated Qlik tenant: ${emu.qlikUrl}${strict ? ' (strict: answers only as Qlik\'s spec allows)' : ''}`);
console.log(`Emulated Talend API:  ${emu.talendUrl}\n`);

const inputs = { ...baseInputs(emu), 'talend-check-task-id': 'smoke-test-task' };
const runs: [string, Record<string, string>][] = [
  ['1. First run: creates the OAuth client and connects Talend', {}],
  ['2. Second run: everything is healthy, nothing changes', {}],
  ['3. Forced rotation (rotate: always), as after a suspected leak', { rotate: 'always' }],
];
let failed = false;
for (const [title, extra] of runs) {
  const runInputs = { ...inputs, ...extra };
  // A child process, as the runner starts it: the demo is what a user watches.
  const run = await runAction(runInputs, { as: 'process' });
  show(title, runInputs, run);
  showState(emu);
  failed ||= run.code !== 0;
}
await emu.close();
process.exitCode = failed ? 1 : 0;

function show(title: string, runInputs: Record<string, string>, run: ActionRun): void {
  const bar = '='.repeat(title.length);
  console.log(`${bar}\n${title}\n${bar}`);
  console.log('--- inputs (with:) ---');
  for (const [name, value] of Object.entries(runInputs)) console.log(`${name}: ${SECRET_INPUTS.has(name) ? '***' : value}`);
  console.log('--- log (as the runner shows it) ---');
  console.log(readable(run.maskedLog).trimEnd());
  console.log(`--- exit code ${run.code} ---`);
  console.log('--- outputs ---');
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${applyMasks(value, run.masks)}`);
  console.log('--- job summary ---');
  console.log(summaryAsText(applyMasks(run.summary, run.masks)));
}

/** What the two emulated systems hold after a run: TMC's pair (by hint) and the record on the client. */
function showState(emulator: Emulator): void {
  const pair = emulator.talendPair();
  const client = pair ? emulator.client(pair.clientId) : emulator.clients()[0];
  const held = pair && client?.clientSecrets.find((s) => s.secret === pair.clientSecret);
  console.log('--- the emulated TMC now holds ---');
  console.log(held ? `the client's secret with hint ${held.hint}` : pair ? 'a secret Qlik no longer has' : 'nothing yet');
  console.log("--- the record on the client (in its Qlik description) ---");
  const record = client ? parseDescription(client.description).record : null;
  console.log(record ? JSON.stringify(record, null, 2) : '(none)');
  console.log();
}

/** Workflow commands as the runner renders them: groups as headings, debug lines hidden. */
function readable(log: string): string {
  return log
    .split('\n')
    .filter((l) => !l.startsWith('::debug::') && !l.startsWith('::endgroup::'))
    .map((l) => l.replace(/^::group::(.*)$/, '▸ $1').replace(/^::(error|warning|notice)[^:]*::(.*)$/, (_m, kind: string, text: string) => `${kind.toUpperCase()}: ${text.replace(/%0A/g, '\n  ')}`))
    .join('\n');
}

function summaryAsText(html: string): string {
  return html
    .replace(/<h\d>(.*?)<\/h\d>/g, '## $1\n')
    .replace(/<tr><th>(.*?)<\/th><th>(.*?)<\/th><\/tr>/g, '| $1 | $2 |\n|---|---|\n')
    .replace(/<tr><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g, '| $1 | $2 |\n')
    .replace(/<li>(.*?)<\/li>/g, '- $1\n')
    .replace(/<\/?(table|ul|pre|code)[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}
