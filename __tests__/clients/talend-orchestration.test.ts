/**
 * The updates sent to a TMC connection and a task (src/talend/orchestration.ts): exactly the
 * client ID and secret change, nothing else is lost, and nothing Talend may hide is written back
 * unless the run proved this tenant shows such values in clear. How a value looks decides nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  type ParameterTypes,
  type TalendConnection,
  type TalendTask,
  UnsafeUpdate,
  closeMatches,
  connectionHolds,
  connectionUpdate,
  inspectConnection,
  inspectTask,
  mayBeSecretValues,
  taskHolds,
  taskUpdate,
} from '../../src/talend/orchestration.js';

const CONNECTION_NAMES = { clientId: 'client_id', clientSecret: 'client_secret' };
const TASK_NAMES = { clientId: 'QLIK_CLIENT_ID', clientSecret: 'QLIK_CLIENT_SECRET' };
const PAIR = { clientId: 'new-client', clientSecret: 'new-secret-value-0123456789' };
const UNPROVEN = false;
const PROVEN = true;

function connection(parameters: TalendConnection['parameters']): TalendConnection {
  return { id: 'conn-1', name: 'Qlik tenant', parameters };
}
/** The two parameters the action owns, as a connection made for the Qlik pair holds them. */
const OWN = [
  { name: 'client_id', value: 'old-client', encrypted: false },
  { name: 'client_secret', value: '********', encrypted: true },
];

/** Masks Talend might use, and values it might show; none of them says anything by its look. */
const LOOKS = ['****', '<hidden>', '[ENCRYPTED]', 'xxxxxxxx', '******word', 'ENC(a1b2c3)', '·····', '∗∗∗∗', '＊＊＊＊', '**', 'clear-text', ''];

describe('connectionUpdate', () => {
  it('sets the two parameters (the secret encrypted) and keeps every parameter Talend shows, as read, in order', () => {
    const read = connection([
      { name: 'tenant_url', value: 'https://tenant.example', encrypted: false },
      ...OWN,
      { name: 'space', value: 'Shared', encrypted: false, type: 'string' } as never,
    ]);
    expect(connectionUpdate(read, CONNECTION_NAMES, PAIR, UNPROVEN)).toEqual({
      name: 'Qlik tenant',
      parameters: [
        { name: 'tenant_url', value: 'https://tenant.example', encrypted: false },
        { name: 'client_id', value: 'new-client', encrypted: false },
        { name: 'client_secret', value: 'new-secret-value-0123456789', encrypted: true },
        { name: 'space', value: 'Shared', encrypted: false, type: 'string' },
      ],
    });
  });

  it.each(LOOKS.flatMap((value) => [true, null, undefined].map((encrypted) => [value, encrypted] as const)))(
    "refuses another parameter shown as %j with encrypted %s, unproven: Talend does not say it shows it",
    (value, encrypted) => {
      const read = connection([...OWN, { name: 'proxy_password', value, ...(encrypted === undefined ? {} : { encrypted }) }]);
      expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR, UNPROVEN)).toThrow(UnsafeUpdate);
      expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR, UNPROVEN)).toThrow(/'proxy_password' of connection conn-1 .*connection of its own/);
    },
  );

  it('refuses a hidden parameter whose value was left out or is null, too', () => {
    for (const p of [{ name: 'pw', encrypted: true }, { name: 'pw', value: null, encrypted: true }, { name: 'pw', value: null }]) {
      expect(() => connectionUpdate(connection([...OWN, p]), CONNECTION_NAMES, PAIR, UNPROVEN)).toThrow(/'pw'/);
    }
  });

  it('once the tenant is proven to show hidden values in clear, writes them back as read; a null value is not echoed back', () => {
    const read = connection([...OWN, { name: 'proxy_password', value: 'clear-text', encrypted: true }, { name: 'note', value: null, encrypted: false }, { name: 'flagless', value: 'v' }]);
    const update = connectionUpdate(read, CONNECTION_NAMES, PAIR, PROVEN);
    expect(update.parameters.slice(2)).toEqual([{ name: 'proxy_password', value: 'clear-text', encrypted: true }, { name: 'note', encrypted: false }, { name: 'flagless', value: 'v' }]);
  });

  it('a parameter the action writes must exist with its exact name: close matches are named, nothing is added', () => {
    const read = connection([{ name: 'CLIENT_ID', value: 'x', encrypted: false }, { name: 'Client_Secret', value: '****', encrypted: true }]);
    expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR, PROVEN)).toThrow(/no parameter named 'client_id' \(close: 'CLIENT_ID'\) or 'client_secret' \(close: 'Client_Secret'\)/);
    expect(() => inspectConnection(connection([{ name: 'tenant', value: 'x', encrypted: false }]), CONNECTION_NAMES)).toThrow(/no parameter named 'client_id' or 'client_secret'; .*changed nothing/);
  });

  it('an encrypted client ID parameter could never confirm a delivery: refused unless proven shown in clear', () => {
    const read = connection([{ name: 'client_id', value: 'old', encrypted: true }, OWN[1]!]);
    expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR, UNPROVEN)).toThrow(/client ID parameter of connection conn-1.*never confirm/);
    expect(connectionUpdate(read, CONNECTION_NAMES, PAIR, PROVEN).parameters[0]).toEqual({ name: 'client_id', value: 'new-client', encrypted: true });
  });

  it('a parameter name from Talend reaches the message as one harmless line', () => {
    const read = connection([...OWN, { name: 'pw\n::stop-commands::x', value: '****', encrypted: true }]);
    expect(() => connectionUpdate(read, CONNECTION_NAMES, PAIR, UNPROVEN)).toThrow(/'pw ::stop-commands::x'/);
    const task1 = task({ parameters: { QLIK_CLIENT_ID: 'a', QLIK_CLIENT_SECRET: 'b', 'DB\n::error::x': '****' } });
    expect(() => taskUpdate(task1, TASK_NAMES, PAIR, TYPES, UNPROVEN)).toThrow(/'DB ::error::x' of task/);
  });

  it('inspectConnection: the client ID where Talend shows it, what it may hide, and the own secret to prove with', () => {
    expect(inspectConnection(connection([...OWN, { name: 'pw', value: 'x', encrypted: true }, { name: 'tenant', value: 't', encrypted: false }]), CONNECTION_NAMES)).toEqual({
      clientId: 'old-client',
      hidden: ['pw'],
      idHidden: false,
      secretValue: '********',
    });
    expect(inspectConnection(connection([{ name: 'client_id', value: 'old-client' }, { name: 'client_secret', value: '' }]), CONNECTION_NAMES)).toEqual({
      clientId: undefined,
      hidden: [],
      idHidden: true,
      secretValue: undefined,
    });
  });

  it('connectionHolds: the client ID must match; the secret too unless Talend hides it', () => {
    const holds = (parameters: TalendConnection['parameters']) => connectionHolds(connection(parameters), CONNECTION_NAMES, PAIR);
    const id = { name: 'client_id', value: 'new-client', encrypted: false };
    for (const mask of LOOKS) expect(holds([id, { name: 'client_secret', value: mask, encrypted: true }])).toBe('client-id-read-back');
    expect(holds([id, { name: 'client_secret', encrypted: true }])).toBe('client-id-read-back');
    expect(holds([id, { name: 'client_secret', value: PAIR.clientSecret, encrypted: true }])).toBe('secret-read-back');
    expect(holds([id, { name: 'client_secret', value: 'another-secret', encrypted: false }])).toBeNull();
    expect(holds([id])).toBeNull();
    expect(holds([{ name: 'client_id', value: 'old-client' }, { name: 'client_secret', value: PAIR.clientSecret }])).toBeNull();
  });

  it('the values that may be secrets are the hidden ones and the own secret, never what Talend shows', () => {
    expect(mayBeSecretValues(connection([...OWN, { name: 'pw', value: 'p-value-1234' }, { name: 'tenant', value: 'shown-value', encrypted: false }]), CONNECTION_NAMES, null)).toEqual(['********', 'p-value-1234']);
  });
});

/** What the task's artifact declares: two plain parameters, a password, and the pair as plain text and a password. */
const TYPES: ParameterTypes = new Map([
  ['QLIK_CLIENT_ID', 'String'],
  ['QLIK_CLIENT_SECRET', 'Password'],
  ['TARGET_SPACE', 'String'],
  ['BATCH', 'Integer'],
  ['DB_PASSWORD', 'Password'],
]);

function task(extra: Partial<TalendTask> = {}): TalendTask {
  return {
    id: 'task-1',
    name: 'Load sales',
    description: 'nightly',
    workspace: { id: 'ws-1' },
    artifact: { id: 'art-1', version: '0.3.1' },
    tags: ['qlik'],
    connections: { qlik: 'conn-1' },
    parameters: { QLIK_CLIENT_ID: 'old-client', QLIK_CLIENT_SECRET: 'old-secret', TARGET_SPACE: 'Shared', BATCH: '' },
    resources: { lookup: 'res-1' },
    autoUpgradeInfo: { autoUpgradable: false, overrideWithDefaultParameters: false },
    ...extra,
  };
}

describe('taskUpdate', () => {
  it('sends the whole task back with only the two parameters changed; a blank plain parameter stays blank', () => {
    const plan = taskUpdate(task(), TASK_NAMES, PAIR, TYPES, UNPROVEN);
    expect(plan.body).toEqual({
      name: 'Load sales',
      description: 'nightly',
      workspaceId: 'ws-1',
      artifact: { id: 'art-1', version: '0.3.1' },
      tags: ['qlik'],
      connections: { qlik: 'conn-1' },
      parameters: { QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: 'new-secret-value-0123456789', TARGET_SPACE: 'Shared', BATCH: '' },
      resources: { lookup: 'res-1' },
      autoUpgradeInfo: { autoUpgradable: false, overrideWithDefaultParameters: false },
    });
    expect(plan.autoUpgradeOverrides).toBe(false);
  });

  it('flags a task whose auto-upgrade would put the artifact defaults back', () => {
    expect(taskUpdate(task({ autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: true } }), TASK_NAMES, PAIR, TYPES, UNPROVEN).autoUpgradeOverrides).toBe(true);
    expect(taskUpdate(task({ autoUpgradeInfo: { autoUpgradable: true, overrideWithDefaultParameters: false } }), TASK_NAMES, PAIR, TYPES, UNPROVEN).autoUpgradeOverrides).toBe(false);
  });

  it.each([
    ['workspace', { workspace: null }, /workspace\.id/],
    ['artifact version', { artifact: { id: 'art-1' } }, /artifact\.version/],
    ['connections map', { connections: undefined }, /has no connections;/],
    ['parameters map', { parameters: undefined }, /has no parameters;/],
    ['tags', { tags: undefined }, /has no tags;/],
    ['description', { description: undefined }, /has no description;/],
  ])('refuses a task whose answer leaves out its %s: the PUT would reset it', (_what, extra, message) => {
    const read = { ...task(), ...extra } as TalendTask;
    expect(() => inspectTask(read, TASK_NAMES, TYPES)).toThrow(message);
    expect(() => taskUpdate(read, TASK_NAMES, PAIR, TYPES, PROVEN)).toThrow(message);
  });

  it('a null map is no map: written back as none', () => {
    expect(taskUpdate(task({ connections: null, resources: null, tags: null }), TASK_NAMES, PAIR, TYPES, UNPROVEN).body.connections).toBeUndefined();
  });

  it.each([['********'], [''], ['clear-value']])('refuses a password parameter shown as %j, unproven; writes it back as read once proven', (value) => {
    const read = task({ parameters: { ...task().parameters, DB_PASSWORD: value } });
    expect(() => taskUpdate(read, TASK_NAMES, PAIR, TYPES, UNPROVEN)).toThrow(/'DB_PASSWORD' of task task-1 .*TMC connection instead/);
    expect(taskUpdate(read, TASK_NAMES, PAIR, TYPES, PROVEN).body.parameters.DB_PASSWORD).toBe(value);
  });

  it('without the artifact\'s types every other parameter may be hidden; a parameter the artifact does not declare too', () => {
    expect(inspectTask(task(), TASK_NAMES, null).hidden).toEqual(['TARGET_SPACE', 'BATCH']);
    expect(inspectTask(task({ parameters: { ...task().parameters, EXTRA: 'x' } }), TASK_NAMES, TYPES).hidden).toEqual(['EXTRA']);
  });

  it('a parameter named __proto__ is a parameter like any other', () => {
    const parameters = JSON.parse('{"QLIK_CLIENT_ID":"a","QLIK_CLIENT_SECRET":"b","__proto__":"kept"}') as Record<string, string>;
    const body = taskUpdate(task({ parameters }), TASK_NAMES, PAIR, new Map([...TYPES, ['__proto__', 'String']]), UNPROVEN).body;
    expect(JSON.parse(JSON.stringify(body)).parameters).toEqual(JSON.parse('{"QLIK_CLIENT_ID":"new-client","QLIK_CLIENT_SECRET":"new-secret-value-0123456789","__proto__":"kept"}'));
  });

  it('the parameters the action writes must exist with their exact names', () => {
    const read = task({ parameters: { qlik_client_id: 'a', QLIK_CLIENT_SECRT: 'b' } });
    expect(() => inspectTask(read, TASK_NAMES, TYPES)).toThrow(/'QLIK_CLIENT_ID' \(close: 'qlik_client_id'\) or 'QLIK_CLIENT_SECRET' \(close: 'QLIK_CLIENT_SECRT'\)/);
  });

  it('a client ID parameter typed as a password could never confirm a delivery', () => {
    const types = new Map([...TYPES, ['QLIK_CLIENT_ID', 'Password']]);
    expect(inspectTask(task(), TASK_NAMES, types)).toMatchObject({ idHidden: true, clientId: undefined });
    expect(() => taskUpdate(task(), TASK_NAMES, PAIR, types, UNPROVEN)).toThrow(/client ID parameter of task task-1/);
  });

  it('taskHolds: the client ID must match; the secret too unless its type hides it', () => {
    const holds = (parameters: Record<string, string>, types: ParameterTypes = TYPES) => taskHolds(task({ parameters }), TASK_NAMES, PAIR, types);
    for (const mask of LOOKS) expect(holds({ QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: mask })).toBe('client-id-read-back');
    expect(holds({ QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: PAIR.clientSecret })).toBe('secret-read-back');
    expect(holds({ QLIK_CLIENT_ID: 'new-client', QLIK_CLIENT_SECRET: 'stale' }, new Map([['QLIK_CLIENT_SECRET', 'String']]))).toBeNull();
    expect(holds({ QLIK_CLIENT_ID: 'old-client' })).toBeNull();
  });
});

describe('closeMatches', () => {
  it('names what differs only in case or by two edits, at most three', () => {
    expect(closeMatches('client_id', ['CLIENT_ID', 'clientid', 'client_secret', 'tenant', 'Client_Id', 'cliend_id'])).toEqual(['CLIENT_ID', 'clientid', 'Client_Id']);
  });
});
