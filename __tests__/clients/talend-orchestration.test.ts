/**
 * The updates sent to a TMC connection and a task (src/talend/orchestration.ts): exactly the
 * client ID and secret change, nothing else is lost, and nothing Talend did not show in clear is
 * written back.
 */
import { describe, expect, it } from 'vitest';
import {
  type TalendConnection,
  type TalendTask,
  UnsafeUpdate,
  connectionHolds,
  connectionUpdate,
  looksMasked,
  taskHolds,
  taskUpdate,
} from '../../src/talend/orchestration.js';

const CONNECTION_NAMES = { clientId: 'client_id', clientSecret: 'client_secret' };
const TASK_NAMES = { clientId: 'QLIK_CLIENT_ID', clientSecret: 'QLIK_CLIENT_SECRET' };
const PAIR = { clientId: 'new-client', clientSecret: 'new-secret-value-0123456789' };

function connection(parameters: TalendConnection['parameters']): TalendConnection {
  return { id: 'conn-1', name: 'Qlik tenant', parameters };
}

describe('connectionUpdate', () => {
  it('sets the two parameters (the secret encrypted) and keeps every other one as read, in order', () => {
    const read = connection([
      { name: 'tenant_url', value: 'https://tenant.example', encrypted: false },
      { name: 'client_id', value: 'old-client', encrypted: false },
      { name: 'client_secret', value: '********', encrypted: true },
      { name: 'space', value: 'Shared', encrypted: false, type: 'string' } as never,
    ]);
    expect(connectionUpdate(read, CONNECTION_NAMES, PAIR)).toEqual({
      name: 'Qlik tenant',
      parameters: [
        { name: 'tenant_url', value: 'https://tenant.example', encrypted: false },
        { name: 'client_id', value: 'new-client', encrypted: false },
        { name: 'client_secret', value: 'new-secret-value-0123456789', encrypted: true },
        { name: 'space', value: 'Shared', encrypted: false, type: 'string' },
      ],
    });
  });

  it('adds the parameters a connection does not have yet, and keeps an encrypted client ID encrypted', () => {
    const added = connectionUpdate(connection([{ name: 'tenant_url', value: 'x' }]), CONNECTION_NAMES, PAIR);
    expect(added.parameters.map((p) => p.name)).toEqual(['tenant_url', 'client_id', 'client_secret']);
    const encryptedId = connectionUpdate(connection([{ name: 'client_id', value: 'old', encrypted: true }]), CONNECTION_NAMES, PAIR);
    expect(encryptedId.parameters[0]).toEqual({ name: 'client_id', value: 'new-client', encrypted: true });
  });

  it.each([
    ['masked', '****'],
    ['left out', undefined],
    ['null', null],
    ['empty', ''],
  ])('refuses when another encrypted parameter came back %s, naming it and the way out', (_how, value) => {
    const read = connection([
      { name: 'client_id', value: 'old' },
      { name: 'proxy_password', ...(value === undefined ? {} : { value }), encrypted: true },
    ]);
    expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR)).toThrow(UnsafeUpdate);
    expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR)).toThrow(/'proxy_password' of connection conn-1.*dedicated|holds only this client's/);
  });

  it('a parameter name from Talend reaches the message as one harmless line', () => {
    const read = connection([{ name: 'pw\n::stop-commands::x', value: '****', encrypted: true }]);
    expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR)).toThrow(/'pw ::stop-commands::x'/);
    const task1 = task({ parameters: { 'DB\n::error::x': '****' } });
    expect(() => taskUpdate(task1, TASK_NAMES, PAIR)).toThrow(/'DB ::error::x' of task/);
  });

  it('writes back another encrypted parameter that came back in clear', () => {
    const read = connection([{ name: 'proxy_password', value: 'clear-text', encrypted: true }]);
    expect(connectionUpdate(read, CONNECTION_NAMES, PAIR).parameters[0]).toEqual({ name: 'proxy_password', value: 'clear-text', encrypted: true });
  });

  it('connectionHolds: the client ID must match; the secret too when it reads back in clear', () => {
    const holds = (parameters: TalendConnection['parameters']) => connectionHolds(connection(parameters), CONNECTION_NAMES, PAIR);
    expect(holds([{ name: 'client_id', value: 'new-client' }, { name: 'client_secret', value: '****', encrypted: true }])).toBe('client-id-read-back');
    expect(holds([{ name: 'client_id', value: 'new-client' }])).toBe('client-id-read-back');
    expect(holds([{ name: 'client_id', value: 'new-client' }, { name: 'client_secret', value: PAIR.clientSecret }])).toBe('secret-read-back');
    expect(holds([{ name: 'client_id', value: 'new-client' }, { name: 'client_secret', value: 'another-secret' }])).toBeNull();
    expect(holds([{ name: 'client_id', value: 'old-client' }])).toBeNull();
  });
});

function task(extra: Partial<TalendTask> = {}): TalendTask {
  return {
    id: 'task-1',
    name: 'Load sales',
    description: 'nightly',
    workspace: { id: 'ws-1' },
    artifact: { id: 'art-1', version: '0.3.1' },
    tags: ['qlik'],
    connections: { qlik: 'conn-1' },
    parameters: { QLIK_CLIENT_ID: 'old-client', QLIK_CLIENT_SECRET: 'old-secret', TARGET_SPACE: 'Shared' },
    resources: { lookup: 'res-1' },
    autoUpgradeInfo: { autoUpgradable: false, overrideWithDefaultParameters: false },
    ...extra,
  };
}

describe('taskUpdate', () => {
  it('sends the whole task back with only the two parameters changed', () => {
    const plan = taskUpdate(task(), TASK_NAMES, PAIR);
    expect(plan.body).toEqual({
      name: 'Load sales',
      description: 'nightly',
      workspaceId: 'ws-1',
      artifact: { id: 'art-1', version: '0.3.1' },
      tags: ['qlik'],
      connections: { qlik: 'conn-1' },
      parameters: { QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: 'new-secret-value-0123456789', TARGET_SPACE: 'Shared' },
      resources: { lookup: 'res-1' },
      autoUpgradeInfo: { autoUpgradable: false, overrideWithDefaultParameters: false },
    });
    expect(plan.autoUpgradeOverrides).toBe(false);
  });

  it('flags a task whose auto-upgrade would put the artifact defaults back', () => {
    expect(taskUpdate(task({ autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: true } }), TASK_NAMES, PAIR).autoUpgradeOverrides).toBe(true);
    expect(taskUpdate(task({ autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: false } }), TASK_NAMES, PAIR).autoUpgradeOverrides).toBe(false);
  });

  it.each([
    ['workspace', { workspace: null }, /workspace\.id/],
    ['artifact version', { artifact: { id: 'art-1' } }, /artifact\.version/],
  ])('refuses a task without its %s: the PUT replaces the whole task', (_what, extra, message) => {
    expect(() => taskUpdate(task(extra as Partial<TalendTask>), TASK_NAMES, PAIR)).toThrow(message);
  });

  it('refuses when another parameter came back masked, and names it', () => {
    const read = task({ parameters: { QLIK_CLIENT_ID: 'old', DB_PASSWORD: '********', EMPTY: '' } });
    expect(() => taskUpdate(read, TASK_NAMES, PAIR)).toThrow(/'DB_PASSWORD' of task task-1 masked/);
  });

  it('taskHolds: the client ID must match; the secret too when it reads back in clear', () => {
    const holds = (parameters: Record<string, string>) => taskHolds(task({ parameters }), TASK_NAMES, PAIR);
    expect(holds({ QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: '****' })).toBe('client-id-read-back');
    expect(holds({ QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: PAIR.clientSecret })).toBe('secret-read-back');
    expect(holds({ QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: 'stale' })).toBeNull();
    expect(holds({ QLIK_CLIENT_ID: 'old-client' })).toBeNull();
  });
});

describe('looksMasked', () => {
  it.each([['****', true], ['••••', true], ['', true], [null, true], [undefined, true], ['a*b', false], ['secret', false], ['**', false]])('%s → %s', (value, masked) => {
    expect(looksMasked(value as string | null | undefined)).toBe(masked);
  });
});
