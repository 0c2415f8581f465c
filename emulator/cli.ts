// Runs the emulator until SIGINT/SIGTERM, for demos and trying the action by hand:
//   node --import tsx emulator/cli.ts [--empty] [--sparse-pages] [--latency-ms N]
//                                     [--qlik-port N] [--talend-port N]
//                                     [--qlik-api-key K] [--talend-token T]
// Fixed ports and credentials let a CI job or .env.example point at it without reading its output.
// By default the task 'smoke-test-task' is defined and ends execution_successful.
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';
import type { EmulatorOptions } from './types.js';

const { values } = parseArgs({
  options: {
    empty: { type: 'boolean', default: false },
    'sparse-pages': { type: 'boolean', default: false },
    'latency-ms': { type: 'string' },
    'qlik-port': { type: 'string' },
    'talend-port': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'qlik-api-key': { type: 'string' },
    'talend-token': { type: 'string' },
  },
});

function intOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) {
    process.stderr.write(`--${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return Number(raw);
}

const options: EmulatorOptions = { sparsePages: values['sparse-pages'] };
const latencyMs = intOption('latency-ms', values['latency-ms']);
const qlikPort = intOption('qlik-port', values['qlik-port']);
const talendPort = intOption('talend-port', values['talend-port']);
if (latencyMs !== undefined) options.latencyMs = latencyMs;
if (qlikPort !== undefined) options.qlikPort = qlikPort;
if (talendPort !== undefined) options.talendPort = talendPort;
if (values['qlik-api-key']) options.qlikApiKey = values['qlik-api-key'];
if (values['talend-token']) options.talendToken = values['talend-token'];

const emulator = await startEmulator(options);
if (!values.empty) emulator.defineTask('smoke-test-task', 'execution_successful');

// Made-up test credentials, valid only against this emulator.
process.stdout.write(
  [
    `Qlik tenant URL:      ${emulator.qlikUrl}`,
    `Talend API URL:       ${emulator.talendUrl}`,
    `Talend Qlik auth URL: ${emulator.talendQlikAuthUrl}`,
    `Qlik API key:         ${emulator.qlikApiKey}`,
    `Talend token:         ${emulator.talendToken}`,
    values.empty ? 'Tasks:                (none)' : 'Tasks:                smoke-test-task (ends execution_successful)',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
);

if (!values.quiet) {
  emulator.onRequest((r, phase) => {
    if (phase === 'done') process.stdout.write(`${r.service} ${r.method} ${r.path.split('?')[0]} -> ${r.status || 'no answer'}\n`);
  });
}

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  for (const v of emulator.violations) process.stderr.write(`violation: ${v}\n`);
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
