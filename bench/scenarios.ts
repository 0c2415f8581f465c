import { baseInputs } from '../scripts/action-runner.js';
/**
 * The benchmark's scenarios: how each one's emulator state is set up (before any timing starts)
 * and which inputs the action gets. Shared by `bench/run.ts` and `__tests__/bench/request-counts.test.ts`.
 */
import type { Emulator } from '../emulator/index.js';
import { EMPTY_RECORD, renderDescription } from '../src/core/record.js';

export const CHECK_TASK_ID = 'bench-smoke-task';
/** As users run it: the action's default. See bench/MODEL.md for what it implies for the waits. */
export const TIMEOUT_SECONDS = 300;
/** Clients in the large tenant, seeded before the target so it is not on the first unfiltered page. */
export const MANY_CLIENTS = 10_000;

export type ScenarioId = 'noop' | 'create' | 'rotate' | 'rotate-check' | 'rotate-connection' | 'rotate-3' | 'dry-run' | 'noop-10k';

/** The connection and the task of the target scenarios, each holding only the client's pair. */
export const CONNECTION_ID = 'bench-connection';
export const TASK_ID = 'bench-task';

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Puts the emulator into the scenario's starting state (no request is sent). */
  setup(emu: Emulator): void;
  /** Inputs on top of the emulator's base inputs. */
  inputs: Record<string, string>;
  /** The `result` output the run must end with. */
  expectResult: string;
}

/**
 * A healthy setup: the client exists with all settings right, one young secret, a record that says
 * Talend holds it (and, with a check task, that the last check passed), and Talend holds the pair.
 */
export function seedHealthy(emu: Emulator, opts: { checkTask?: boolean; targets?: ('tmc' | 'connection' | 'task')[] } = {}): void {
  const client = emu.seedClient({ clientName: 'Talend Management Console', secrets: [{ ageDays: 1 }] });
  const secret = client.clientSecrets[0]!;
  const targets = opts.targets ?? ['tmc'];
  const delivered = { hint: secret.hint, createdAt: secret.createdAt };
  const keys = { tmc: `qlik-auth:${emu.talendQlikAuthUrl}`, connection: `connection:${CONNECTION_ID}`, task: `task:${TASK_ID}` };
  if (targets.includes('connection')) {
    emu.defineConnection({ id: CONNECTION_ID, parameters: [{ name: 'client_id', value: client.clientId }, { name: 'client_secret', value: secret.secret, encrypted: true }] });
  }
  if (targets.includes('task')) emu.defineTaskDefinition({ id: TASK_ID, parameters: { QLIK_CLIENT_ID: client.clientId, QLIK_CLIENT_SECRET: secret.secret } });
  const record = {
    ...EMPTY_RECORD,
    targets: targets.map((t) => ({ key: keys[t], delivered, pending: [] })).sort((a, b) => (a.key < b.key ? -1 : 1)),
    check: opts.checkTask ? { result: 'passed' as const, at: secret.createdAt } : null,
    changedAt: secret.createdAt,
    changedBy: 'https://github.example/acme/data-platform/actions/runs/1',
  };
  emu.updateClient(client.clientId, { description: renderDescription('', record) });
  if (targets.includes('tmc')) emu.setTalendPair(client.clientId, secret.secret);
  if (opts.checkTask) emu.defineTask(CHECK_TASK_ID, 'execution_successful');
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'noop',
    title: 'No-op, healthy setup',
    setup: (emu) => seedHealthy(emu),
    inputs: {},
    expectResult: 'unchanged',
  },
  {
    id: 'create',
    title: 'First run (create)',
    setup: () => {},
    inputs: {},
    expectResult: 'created',
  },
  {
    id: 'rotate',
    title: 'Rotation (rotate: always)',
    setup: (emu) => seedHealthy(emu),
    inputs: { rotate: 'always' },
    expectResult: 'rotated',
  },
  {
    id: 'rotate-check',
    title: 'Rotation + task-run check',
    setup: (emu) => seedHealthy(emu, { checkTask: true }),
    inputs: { rotate: 'always', 'talend-check-task-id': CHECK_TASK_ID },
    expectResult: 'rotated',
  },
  {
    id: 'rotate-connection',
    title: 'Rotation to one TMC connection',
    setup: (emu) => seedHealthy(emu, { targets: ['connection'] }),
    inputs: { rotate: 'always', 'talend-qlik-auth-url': '', 'talend-connection-ids': CONNECTION_ID },
    expectResult: 'rotated',
  },
  {
    id: 'rotate-3',
    title: 'Rotation to three targets (TMC setting, connection, task)',
    setup: (emu) => seedHealthy(emu, { targets: ['tmc', 'connection', 'task'] }),
    inputs: { rotate: 'always', 'talend-connection-ids': CONNECTION_ID, 'talend-task-ids': TASK_ID },
    expectResult: 'rotated',
  },
  {
    id: 'dry-run',
    title: 'Dry run (rotate: always)',
    setup: (emu) => seedHealthy(emu),
    inputs: { rotate: 'always', 'dry-run': 'true' },
    expectResult: 'planned',
  },
  {
    id: 'noop-10k',
    title: `No-op, ${MANY_CLIENTS.toLocaleString('en-US')} clients`,
    setup: (emu) => {
      emu.seedManyClients(MANY_CLIENTS, 'Other client');
      seedHealthy(emu);
    },
    inputs: {},
    expectResult: 'unchanged',
  },
];

/** Clients in the tenant when the scenario starts (for the baseline's unfiltered listing). */
export function tenantSize(id: ScenarioId): number {
  if (id === 'create') return 0;
  if (id === 'noop-10k') return MANY_CLIENTS + 1;
  return 1;
}

export function scenarioInputs(emu: Emulator, s: Scenario): Record<string, string> {
  return { ...baseInputs(emu), 'timeout-seconds': String(TIMEOUT_SECONDS), ...s.inputs };
}
