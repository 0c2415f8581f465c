/**
 * I6 "bad input fails first", end to end: the bundle is run as the runner runs it (`node
 * dist/index.js`, INPUT_* variables) with invalid inputs, each against its own emulator. Every
 * case must exit non-zero with an `::error::` that names the input, write `result=failed`, echo
 * no secret and no URL value anywhere (stdout outside `::add-mask::`, stderr, GITHUB_OUTPUT, the
 * job summary) and send no request at all.
 *
 * Where a case's URL points at the emulator (loopback), an action that wrongly accepted it would
 * talk to the emulator, so "zero requests" is meaningful; the control case proves it.
 */
import { describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { type ActionRun, baseInputs, runAction } from '../../scripts/action-runner.js';

/** Inputs whose values must never be echoed: secrets, and URLs (a URL may carry a password). */
const SECRET_INPUTS = ['qlik-api-key', 'talend-token', 'talend-client-id', 'talend-client-secret'];
const URL_INPUTS = ['qlik-tenant-url', 'talend-api-url', 'talend-qlik-auth-url'];

const PASSWORD = 'hunter2-SECRETPW';
const NL_SECRET = 'def-distinctive-secret-1234';
const CR_SECRET = 'cr-distinctive-talend-secret-5678';
const TAB_SECRET = 'tab-distinctive-talend-secret-9012';

/** A value of `length` characters made of a distinctive, repeated marker. */
function huge(marker: string, length: number): string {
  return marker.repeat(Math.ceil(length / marker.length)).slice(0, length);
}
const HUGE_KEY = huge('huge-qlik-key-0123456789abcdef-', 10_500);
const HUGE_TOKEN = huge('huge-talend-token-fedcba9876543210-', 12_000);

type Overrides = Record<string, string | undefined>;

interface BadCase {
  label: string;
  /** Changes to the valid base inputs; `undefined` removes the input. */
  inputs: (emu: Emulator) => Overrides;
  /** Kebab-case input names the error must mention. */
  names: string[];
  /** Distinctive text that must not appear anywhere (besides every secret and URL value given). */
  forbidden?: string[];
}

const noApiUrl = (region: string): Overrides => ({ 'talend-region': region, 'talend-api-url': undefined });

const CASES: BadCase[] = [
  // ---- rotate / integers / booleans ------------------------------------------------------------
  { label: "rotate 'sometimes'", inputs: () => ({ rotate: 'sometimes' }), names: ['rotate'] },
  { label: "rotate 'auto always'", inputs: () => ({ rotate: 'auto always' }), names: ['rotate'] },
  { label: 'max-secret-age-days 0', inputs: () => ({ 'max-secret-age-days': '0' }), names: ['max-secret-age-days'] },
  { label: 'max-secret-age-days 3651', inputs: () => ({ 'max-secret-age-days': '3651' }), names: ['max-secret-age-days'] },
  { label: "max-secret-age-days '1e3'", inputs: () => ({ 'max-secret-age-days': '1e3' }), names: ['max-secret-age-days'] },
  { label: "max-secret-age-days '30.5'", inputs: () => ({ 'max-secret-age-days': '30.5' }), names: ['max-secret-age-days'] },
  { label: "max-secret-age-days '0x1f'", inputs: () => ({ 'max-secret-age-days': '0x1f' }), names: ['max-secret-age-days'] },
  { label: 'keep-previous-secrets 4', inputs: () => ({ 'keep-previous-secrets': '4' }), names: ['keep-previous-secrets'] },
  { label: 'keep-previous-secrets -1', inputs: () => ({ 'keep-previous-secrets': '-1' }), names: ['keep-previous-secrets'] },
  { label: 'timeout-seconds 4', inputs: () => ({ 'timeout-seconds': '4' }), names: ['timeout-seconds'] },
  { label: 'timeout-seconds 3601', inputs: () => ({ 'timeout-seconds': '3601' }), names: ['timeout-seconds'] },
  { label: "timeout-seconds '+20'", inputs: () => ({ 'timeout-seconds': '+20' }), names: ['timeout-seconds'] },
  { label: "dry-run 'yes'", inputs: () => ({ 'dry-run': 'yes' }), names: ['dry-run'] },
  { label: "dry-run '1'", inputs: () => ({ 'dry-run': '1' }), names: ['dry-run'] },
  { label: "reclaim-unrecorded-secrets 'yes'", inputs: () => ({ 'reclaim-unrecorded-secrets': 'yes' }), names: ['reclaim-unrecorded-secrets'] },

  // ---- scopes, IDs, names ----------------------------------------------------------------------
  { label: "scopes ',,,'", inputs: () => ({ scopes: ',,,' }), names: ['scopes'] },
  { label: 'scopes with a double quote', inputs: () => ({ scopes: 'user_default "admin_classic"' }), names: ['scopes'] },
  { label: "client-id with '/'", inputs: () => ({ 'client-id': 'abc/def' }), names: ['client-id'] },
  { label: "client-id '..'", inputs: () => ({ 'client-id': '..' }), names: ['client-id'] },
  { label: "talend-check-task-id with '/' and '..'", inputs: () => ({ 'talend-check-task-id': 'task/../other' }), names: ['talend-check-task-id'] },
  { label: 'client-name with a new line', inputs: () => ({ 'client-name': 'Talend Management Console\n::warning::forged' }), names: ['client-name'] },

  // ---- Talend base: region or URL ---------------------------------------------------------------
  { label: "talend-region 'mars'", inputs: () => noApiUrl('mars'), names: ['talend-region'] },
  { label: "talend-region 'EU' (case matters)", inputs: () => noApiUrl('EU'), names: ['talend-region'] },
  { label: 'both talend-region and talend-api-url', inputs: () => ({ 'talend-region': 'eu' }), names: ['talend-region', 'talend-api-url'] },
  { label: 'neither talend-region nor talend-api-url', inputs: () => ({ 'talend-api-url': undefined }), names: ['talend-region', 'talend-api-url'] },

  // ---- missing required inputs -----------------------------------------------------------------
  { label: 'qlik-tenant-url missing', inputs: () => ({ 'qlik-tenant-url': undefined }), names: ['qlik-tenant-url'] },
  { label: 'qlik-api-key missing', inputs: () => ({ 'qlik-api-key': undefined }), names: ['qlik-api-key'] },
  { label: 'qlik-api-key whitespace only', inputs: () => ({ 'qlik-api-key': '  \t ' }), names: ['qlik-api-key'] },
  {
    label: 'talend-qlik-auth-request that is not JSON',
    inputs: () => ({ 'talend-qlik-auth-request': '{"method": "PUT", "body": {"clientSecret": "{{clientSecret}}"' }),
    names: ['talend-qlik-auth-request'],
  },
  {
    label: 'talend-qlik-auth-request with an unknown placeholder',
    inputs: () => ({ 'talend-qlik-auth-request': '{"body": {"secret": "{{clientSecret}}", "token": "{{talendToken}}"}}' }),
    names: ['talend-qlik-auth-request'],
    forbidden: ['talendToken'],
  },
  {
    label: 'talend-qlik-auth-request with a Cookie header',
    inputs: () => ({ 'talend-qlik-auth-request': '{"body": {"s": "{{clientSecret}}"}, "headers": {"Cookie": "JSESSIONID=COOKIE-VALUE-4711"}}' }),
    names: ['talend-qlik-auth-request'],
    forbidden: ['COOKIE-VALUE-4711'],
  },
  // ---- where the secret goes ---------------------------------------------------------------------
  {
    label: 'no target at all (no TMC setting, connection or task)',
    inputs: () => ({ 'talend-qlik-auth-url': undefined }),
    names: ['talend-qlik-auth-url', 'talend-connection-ids', 'talend-task-ids'],
  },
  { label: 'talend-connection-ids empty of IDs', inputs: () => ({ 'talend-qlik-auth-url': undefined, 'talend-connection-ids': ' , ,\n' }), names: ['talend-connection-ids'] },
  { label: "talend-connection-ids with '..'", inputs: () => ({ 'talend-connection-ids': 'conn-1 ../admin-distinct' }), names: ['talend-connection-ids'], forbidden: ['admin-distinct'] },
  { label: "talend-task-ids with '/'", inputs: () => ({ 'talend-task-ids': 'task/other-distinct' }), names: ['talend-task-ids'], forbidden: ['other-distinct'] },
  { label: 'eleven targets', inputs: () => ({ 'talend-task-ids': Array.from({ length: 10 }, (_, i) => `t${i}`).join(' ') }), names: ['talend-task-ids'] },
  { label: 'talend-connection-parameters with one name', inputs: () => ({ 'talend-connection-ids': 'conn-1', 'talend-connection-parameters': 'only_one' }), names: ['talend-connection-parameters'] },
  { label: 'talend-task-parameters naming one parameter twice', inputs: () => ({ 'talend-task-ids': 'task-1', 'talend-task-parameters': 'SAME SAME' }), names: ['talend-task-parameters'] },
  { label: 'talend-task-parameters without talend-task-ids', inputs: () => ({ 'talend-task-parameters': 'ID SECRET' }), names: ['talend-task-parameters'] },
  {
    label: 'talend-qlik-auth-request without talend-qlik-auth-url',
    inputs: () => ({ 'talend-qlik-auth-url': undefined, 'talend-connection-ids': 'conn-1', 'talend-qlik-auth-request': '{"method": "POST"}' }),
    names: ['talend-qlik-auth-request'],
  },
  {
    label: 'neither talend-token nor a service account',
    inputs: () => ({ 'talend-token': undefined }),
    names: ['talend-token', 'talend-client-id', 'talend-client-secret'],
  },
  {
    label: 'both talend-token and a service account',
    inputs: () => ({ 'talend-client-id': 'sa-client-distinct-0001', 'talend-client-secret': 'sa-secret-distinct-0002' }),
    names: ['talend-token', 'talend-client-id', 'talend-client-secret'],
    forbidden: ['sa-client-distinct-0001', 'sa-secret-distinct-0002'],
  },
  {
    label: 'talend-client-id without talend-client-secret',
    inputs: () => ({ 'talend-token': undefined, 'talend-client-id': 'sa-client-distinct-0003' }),
    names: ['talend-client-secret'],
    forbidden: ['sa-client-distinct-0003'],
  },
  { label: 'talend-qlik-auth-url missing', inputs: () => ({ 'talend-qlik-auth-url': undefined }), names: ['talend-qlik-auth-url'] },

  // ---- URL rules -------------------------------------------------------------------------------
  {
    label: 'qlik-tenant-url with user-info (qlikcloud host)',
    inputs: () => ({ 'qlik-tenant-url': `https://admin:${PASSWORD}@tenant.eu.qlikcloud.com` }),
    names: ['qlik-tenant-url'],
    forbidden: [PASSWORD, 'tenant.eu.qlikcloud.com'],
  },
  {
    label: 'qlik-tenant-url with user-info (loopback emulator)',
    inputs: (emu) => ({ 'qlik-tenant-url': emu.qlikUrl.replace('http://', `http://admin:${PASSWORD}@`) }),
    names: ['qlik-tenant-url'],
    forbidden: [PASSWORD],
  },
  {
    label: 'qlik-tenant-url with a query',
    inputs: (emu) => ({ 'qlik-tenant-url': `${emu.qlikUrl}/?access_token=SECRETQUERY-4711` }),
    names: ['qlik-tenant-url'],
    forbidden: ['SECRETQUERY-4711'],
  },
  {
    label: 'qlik-tenant-url with a fragment',
    inputs: (emu) => ({ 'qlik-tenant-url': `${emu.qlikUrl}/#SECRETFRAGMENT-4712` }),
    names: ['qlik-tenant-url'],
    forbidden: ['SECRETFRAGMENT-4712'],
  },
  { label: "qlik-tenant-url with an empty '?'", inputs: (emu) => ({ 'qlik-tenant-url': `${emu.qlikUrl}?` }), names: ['qlik-tenant-url'] },
  { label: "qlik-tenant-url with an empty '#'", inputs: (emu) => ({ 'qlik-tenant-url': `${emu.qlikUrl}/#` }), names: ['qlik-tenant-url'] },
  {
    label: 'qlik-tenant-url http:// on a public host',
    inputs: () => ({ 'qlik-tenant-url': 'http://tenant-plainhttp.eu.qlikcloud.com' }),
    names: ['qlik-tenant-url'],
    forbidden: ['tenant-plainhttp'],
  },
  {
    label: 'qlik-tenant-url with a path',
    inputs: (emu) => ({ 'qlik-tenant-url': `${emu.qlikUrl}/tenant-path-4713` }),
    names: ['qlik-tenant-url'],
    forbidden: ['tenant-path-4713'],
  },
  { label: 'qlik-tenant-url not absolute', inputs: () => ({ 'qlik-tenant-url': 'tenant-noscheme.eu.qlikcloud.com' }), names: ['qlik-tenant-url'], forbidden: ['tenant-noscheme'] },
  {
    label: 'talend-api-url with user-info',
    inputs: (emu) => ({ 'talend-api-url': emu.talendUrl.replace('http://', `http://svc:${PASSWORD}@`) }),
    names: ['talend-api-url'],
    forbidden: [PASSWORD],
  },
  {
    label: 'talend-api-url http:// on a public host',
    inputs: () => ({ 'talend-api-url': 'http://api.plainhttp.cloud.talend.com' }),
    names: ['talend-api-url'],
    forbidden: ['api.plainhttp'],
  },
  {
    label: 'talend-api-url with a query',
    inputs: (emu) => ({ 'talend-api-url': `${emu.talendUrl}?token=SECRETQUERY-4714` }),
    names: ['talend-api-url'],
    forbidden: ['SECRETQUERY-4714'],
  },
  {
    label: 'talend-qlik-auth-url absolute with user-info',
    inputs: (emu) => ({ 'talend-qlik-auth-url': emu.talendQlikAuthUrl.replace('http://', `http://svc:${PASSWORD}@`) }),
    names: ['talend-qlik-auth-url'],
    forbidden: [PASSWORD],
  },
  { label: "talend-qlik-auth-url path with '..'", inputs: () => ({ 'talend-qlik-auth-url': '/x/../tmc/qlik-cloud-authentication' }), names: ['talend-qlik-auth-url'] },
  { label: "talend-qlik-auth-url path with '%2e%2e'", inputs: () => ({ 'talend-qlik-auth-url': '/x/%2e%2e/tmc/qlik-cloud-authentication' }), names: ['talend-qlik-auth-url'] },
  {
    // WHATWG URL parsing silently removes the dot segments, so an unchecked value would PUT the
    // client secret to a path other than the one written.
    label: "talend-qlik-auth-url absolute URL with '..'",
    inputs: (emu) => ({ 'talend-qlik-auth-url': `${emu.talendUrl}/x/../tmc/qlik-cloud-authentication` }),
    names: ['talend-qlik-auth-url'],
  },
  {
    label: 'talend-qlik-auth-url http:// on a public host',
    inputs: () => ({ 'talend-qlik-auth-url': 'http://tmc-plainhttp.example.com/qlik-auth' }),
    names: ['talend-qlik-auth-url'],
    forbidden: ['tmc-plainhttp'],
  },

  // ---- secrets with control characters ---------------------------------------------------------
  { label: 'qlik-api-key with a new line inside', inputs: () => ({ 'qlik-api-key': `abc\n${NL_SECRET}` }), names: ['qlik-api-key'], forbidden: [NL_SECRET] },
  { label: 'talend-token with a carriage return inside', inputs: () => ({ 'talend-token': `tok\r${CR_SECRET}` }), names: ['talend-token'], forbidden: [CR_SECRET] },
  { label: 'talend-token with a tab inside', inputs: () => ({ 'talend-token': `pat\t${TAB_SECRET}` }), names: ['talend-token'], forbidden: [TAB_SECRET] },
  {
    label: 'qlik-api-key with an escape sequence',
    inputs: () => ({ 'qlik-api-key': '\u001b[31mesc-distinctive-secret-3456' }),
    names: ['qlik-api-key'],
    forbidden: ['esc-distinctive-secret-3456'],
  },
  {
    label: 'qlik-api-key with non-ASCII characters',
    inputs: () => ({ 'qlik-api-key': 'clé-distinctive-secret-7890' }),
    names: ['qlik-api-key'],
    forbidden: ['distinctive-secret-7890'],
  },

  // ---- huge values -----------------------------------------------------------------------------
  { label: 'qlik-api-key of 10,500 characters', inputs: () => ({ 'qlik-api-key': HUGE_KEY }), names: ['qlik-api-key'], forbidden: ['huge-qlik-key-0123456789abcdef'] },
  { label: 'talend-token of 12,000 characters', inputs: () => ({ 'talend-token': HUGE_TOKEN }), names: ['talend-token'], forbidden: ['huge-talend-token-fedcba9876543210'] },
  {
    label: 'qlik-tenant-url of 10,000 characters',
    inputs: () => ({ 'qlik-tenant-url': `https://tenant-huge.eu.qlikcloud.com/${'p'.repeat(10_000)}` }),
    names: ['qlik-tenant-url'],
    forbidden: ['tenant-huge'],
  },
  { label: 'client-name of 10,000 characters', inputs: () => ({ 'client-name': huge('Huge client name ', 10_000) }), names: ['client-name'] },
  { label: 'scopes of 12,000 characters', inputs: () => ({ scopes: huge('scope_huge ', 12_000) }), names: ['scopes'] },

  // ---- several problems at once: every one is named --------------------------------------------
  {
    label: 'several bad inputs at once',
    inputs: () => ({ rotate: 'sometimes', 'keep-previous-secrets': '9', 'dry-run': 'maybe', 'talend-token': undefined }),
    names: ['rotate', 'keep-previous-secrets', 'dry-run', 'talend-token'],
  },
];

/** stdout without the `::add-mask::` commands: the only place a secret may be written. */
function stdoutOutsideMasks(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

/** Values that must not be echoed: every secret and URL input given (and each of their lines). */
function unechoable(inputs: Record<string, string>, extra: string[]): string[] {
  const values = [...SECRET_INPUTS, ...URL_INPUTS].map((n) => inputs[n]).filter((v): v is string => v !== undefined);
  const parts = values.flatMap((v) => [v, v.trim(), ...v.split(/[\r\n\t]/)]);
  return [...new Set([...parts, ...extra])].filter((v) => v.trim().length >= 8);
}

/** Lets a request the child sent just before exiting reach the emulator's log. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

async function runCase(make: (emu: Emulator) => Overrides): Promise<{ run: ActionRun; inputs: Record<string, string>; requests: number }> {
  const emu = await startEmulator();
  try {
    const inputs: Record<string, string> = { ...baseInputs(emu) };
    for (const [name, value] of Object.entries(make(emu))) {
      if (value === undefined) delete inputs[name];
      else inputs[name] = value;
    }
    const run = await runAction(inputs);
    await settle();
    return { run, inputs, requests: emu.log.length };
  } finally {
    await emu.close();
  }
}

describe('I6: bad input fails before any request', () => {
  it('has a corpus of at least 30 invalid input sets', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.label)).size).toBe(CASES.length);
  });

  it('control: the valid base inputs make requests and succeed', async () => {
    const { run, requests } = await runCase(() => ({}));
    expect(run.code, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('created');
    expect(requests).toBeGreaterThan(0);
  });

  it.concurrent.each(CASES.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const { run, inputs, requests } = await runCase(c.inputs);
    const context = `stdout:\n${run.stdout.slice(0, 4000)}\nstderr:\n${run.stderr.slice(0, 2000)}`;

    // Fails, with result=failed.
    expect(run.code, context).not.toBe(0);
    expect(run.code, context).not.toBeNull();
    expect(run.outputs.result, context).toBe('failed');

    // An ::error:: that names every input concerned.
    const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors.length, context).toBeGreaterThan(0);
    const errorText = errors.join('\n');
    for (const name of c.names) expect(errorText, `the error names '${name}'\n${context}`).toContain(name);

    // No secret, no URL value, nothing distinctive of the case anywhere but ::add-mask::.
    const places: [string, string][] = [
      ['stdout', stdoutOutsideMasks(run)],
      ['stderr', run.stderr],
      ['GITHUB_OUTPUT', run.outputFile],
      ['summary', run.summary],
    ];
    const leaks: string[] = [];
    for (const value of unechoable(inputs, c.forbidden ?? [])) {
      for (const [where, text] of places) if (text.includes(value)) leaks.push(`${where} echoes ${JSON.stringify(value.slice(0, 40))}`);
    }
    expect(leaks, context).toEqual([]);

    // Checked before any request: the emulator saw nothing.
    expect(requests, context).toBe(0);
  });
});
