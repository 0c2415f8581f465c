import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { INPUT_NAMES, TALEND_REGIONS, type Config, type InputName, type RawInputs } from '../src/config.js';
import { DEFAULT_QLIK_AUTH_REQUEST } from '../src/talend/qlik-auth-request.js';
import {
  InputError,
  MAX_INPUT_LENGTH,
  parseInputs,
  readRawInputs,
} from '../src/inputs.js';

/** The smallest valid set of inputs, as a workflow would write it. */
function minimal(): RawInputs {
  return {
    'qlik-tenant-url': 'https://acme.eu.qlikcloud.com',
    'qlik-api-key': 'qlik-key-value',
    'talend-token': 'talend-token-value',
    'talend-region': 'eu',
    'talend-qlik-auth-url': '/tmc/qlik-auth',
  };
}

function config(overrides: RawInputs = {}): Config {
  return parseInputs({ ...minimal(), ...overrides }).config;
}

/** The InputError the overrides cause; fails the test if parsing succeeds or throws something else. */
function inputError(overrides: RawInputs): InputError {
  try {
    parseInputs({ ...minimal(), ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected parseInputs to throw an InputError');
}

/** The inputs that must come with `name`, in place of the ones it excludes. */
function companions(name: InputName): RawInputs {
  // talend-api-url is given instead of the region, never next to it.
  if (name === 'talend-api-url') return { 'talend-region': undefined };
  // A service account signs in instead of the token, with both of its inputs.
  if (name === 'talend-client-id') return { 'talend-token': undefined, 'talend-client-secret': 'sa-secret-value-0001' };
  if (name === 'talend-client-secret') return { 'talend-token': undefined, 'talend-client-id': 'sa-client-id-0001' };
  // Parameter names come with the targets they name parameters of.
  if (name === 'talend-connection-parameters') return { 'talend-connection-ids': 'conn-1' };
  if (name === 'talend-task-parameters') return { 'talend-task-ids': 'task-1' };
  // A decommission's settings come with it (and it with its confirmation).
  if (name === 'confirm-decommission') return { operation: 'decommission' };
  if (name === 'talend-qlik-auth-disconnect-request') return { operation: 'decommission', 'confirm-decommission': 'client-1' };
  return {};
}

/** Asserts a single problem with `name`, and returns its message. */
function problemWith(name: InputName, value: string | undefined): string {
  const error = inputError({ ...companions(name), [name]: value });
  expect(error.input).toBe(name);
  expect(error.message.startsWith(`Input '${name}' `)).toBe(true);
  expect(error.message.split('\n').every((line) => line.startsWith(`Input '${name}' `))).toBe(true);
  return error.message;
}

describe('parseInputs: defaults and required inputs', () => {
  it('applies every contract default when only the required inputs are given', () => {
    expect(parseInputs(minimal())).toEqual({
      config: {
        qlikTenantUrl: 'https://acme.eu.qlikcloud.com',
        qlikApiKey: 'qlik-key-value',
        clientName: 'Talend Management Console',
        clientId: undefined,
        scopes: ['admin_classic', 'user_default'],
        scopesExact: false,
        rotate: 'auto',
        maxSecretAgeDays: 30,
        keepPreviousSecrets: 0,
        reclaimUnrecordedSecrets: false,
        talendAuth: { kind: 'token', token: 'talend-token-value' },
        talendApiBase: 'https://api.eu.cloud.talend.com',
        talendQlikAuthUrl: 'https://api.eu.cloud.talend.com/tmc/qlik-auth',
        talendConnectionIds: [],
        talendConnectionParameters: { clientId: 'client_id', clientSecret: 'client_secret' },
        talendTaskIds: [],
        talendTaskParameters: { clientId: 'QLIK_CLIENT_ID', clientSecret: 'QLIK_CLIENT_SECRET' },
        talendCheckTaskId: undefined,
        talendQlikAuthRequest: DEFAULT_QLIK_AUTH_REQUEST,
        retarget: false,
        revokeTokens: false,
        apiKeyWarningDays: 14,
        operation: 'maintain',
        confirmDecommission: undefined,
        talendQlikAuthDisconnect: undefined,
        dryRun: false,
        timeoutSeconds: 300,
      } satisfies Config,
      warnings: [],
    });
  });

  it('gives the same result when the runner fills in the action.yml defaults as strings', () => {
    const filledByRunner = parseInputs({
      ...minimal(),
      'client-name': 'Talend Management Console',
      'client-id': '',
      scopes: 'user_default admin_classic',
      rotate: 'auto',
      'max-secret-age-days': '30',
      'keep-previous-secrets': '0',
      'reclaim-unrecorded-secrets': 'false',
      'talend-api-url': '',
      'talend-check-task-id': '',
      'dry-run': 'false',
      'timeout-seconds': '300',
    });
    expect(filledByRunner).toEqual(parseInputs(minimal()));
  });

  it('uses the same defaults as action.yml', () => {
    const action = parseYaml(readFileSync(new URL('../action.yml', import.meta.url), 'utf8')) as {
      inputs: Record<string, { default?: string }>;
    };
    const runnerDefaults: RawInputs = {};
    for (const [name, spec] of Object.entries(action.inputs)) {
      if (spec.default !== undefined) runnerDefaults[name] = spec.default;
    }
    expect(Object.keys(runnerDefaults).length).toBeGreaterThan(0);
    expect(parseInputs({ ...runnerDefaults, ...minimal() })).toEqual(parseInputs(minimal()));
  });

  const defaulted: [InputName, keyof Config, unknown][] = [
    ['client-name', 'clientName', 'Talend Management Console'],
    ['client-id', 'clientId', undefined],
    ['scopes', 'scopes', ['admin_classic', 'user_default']],
    ['rotate', 'rotate', 'auto'],
    ['max-secret-age-days', 'maxSecretAgeDays', 30],
    ['keep-previous-secrets', 'keepPreviousSecrets', 0],
    ['reclaim-unrecorded-secrets', 'reclaimUnrecordedSecrets', false],
    ['talend-check-task-id', 'talendCheckTaskId', undefined],
    ['retarget', 'retarget', false],
    ['dry-run', 'dryRun', false],
    ['timeout-seconds', 'timeoutSeconds', 300],
  ];
  describe.each(['', '   ', ' \n\t '])('a blank value (%j) counts as not given', (blank) => {
    it.each(defaulted)('%s defaults', (name, key, expected) => {
      expect(config({ [name]: blank })[key]).toEqual(expected);
    });
  });

  const required: InputName[] = ['qlik-tenant-url', 'qlik-api-key'];
  describe.each([undefined, '', '  \n'])('a required input that is %j', (value) => {
    it.each(required)('%s is reported as required', (name) => {
      expect(problemWith(name, value)).toBe(`Input '${name}' is required.`);
    });
  });

  describe('one way to sign in to Talend: a token or a service account', () => {
    const account = { 'talend-client-id': 'sa-client-id-0001', 'talend-client-secret': 'sa-secret-value-0001' };
    it('takes a token', () => {
      expect(config().talendAuth).toEqual({ kind: 'token', token: 'talend-token-value' });
    });
    it('takes a service account instead', () => {
      expect(config({ 'talend-token': undefined, ...account }).talendAuth).toEqual({
        kind: 'service-account',
        clientId: 'sa-client-id-0001',
        clientSecret: 'sa-secret-value-0001',
      });
    });
    it.each([undefined, '', '  \n'])('neither (talend-token %j): one error naming the three inputs', (value) => {
      const error = inputError({ 'talend-token': value });
      expect(error.input).toEqual(['talend-token', 'talend-client-id', 'talend-client-secret']);
      expect(error.message).toBe(
        "Inputs 'talend-token' and 'talend-client-id'/'talend-client-secret': set one way to sign in to Talend (a token, or a service account's ID and secret).",
      );
    });
    it('both: refused, without echoing a value', () => {
      const error = inputError(account);
      expect(error.message).toMatch(/set one way to sign in to Talend, not both/);
      expect(error.message).not.toMatch(/sa-client|sa-secret|talend-token-value/);
    });
    it.each([
      ['talend-client-id', 'talend-client-secret'],
      ['talend-client-secret', 'talend-client-id'],
    ] as const)('%s without %s: the missing one is required', (given, missing) => {
      const error = inputError({ 'talend-token': undefined, [given]: account[given] });
      expect(error.input).toBe(missing);
      expect(error.message).toBe(`Input '${missing}' is required with '${given}'.`);
    });
  });

  it('trims surrounding whitespace of every input', () => {
    const c = config({
      'qlik-tenant-url': '  https://acme.eu.qlikcloud.com/ \n',
      'client-name': '  My client  ',
      rotate: ' never ',
      'max-secret-age-days': ' 7 ',
      'talend-region': ' us ',
      'talend-qlik-auth-url': '\t/tmc/auth\n',
    });
    expect(c.qlikTenantUrl).toBe('https://acme.eu.qlikcloud.com');
    expect(c.clientName).toBe('My client');
    expect(c.rotate).toBe('never');
    expect(c.maxSecretAgeDays).toBe(7);
    expect(c.talendQlikAuthUrl).toBe('https://api.us.cloud.talend.com/tmc/auth');
  });
});

describe('parseInputs: qlik-tenant-url', () => {
  it.each([
    ['https://acme.eu.qlikcloud.com', 'https://acme.eu.qlikcloud.com'],
    ['https://acme.eu.qlikcloud.com/', 'https://acme.eu.qlikcloud.com'],
    ['HTTPS://ACME.EU.QlikCloud.com/', 'https://acme.eu.qlikcloud.com'],
    ['https://acme.eu.qlikcloud.com:8443/', 'https://acme.eu.qlikcloud.com:8443'],
    ['https://acme.eu.qlikcloud.com:443', 'https://acme.eu.qlikcloud.com'],
    ['https://acme.us.qlikcloudgov.com', 'https://acme.us.qlikcloudgov.com'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://127.5.6.7/', 'http://127.5.6.7'],
    ['http://localhost:8080/', 'http://localhost:8080'],
    ['http://LOCALHOST', 'http://localhost'],
    ['http://[::1]:9000/', 'http://[::1]:9000'],
    ['https://127.0.0.1', 'https://127.0.0.1'],
  ])('accepts %s as %s', (raw, origin) => {
    expect(config({ 'qlik-tenant-url': raw }).qlikTenantUrl).toBe(origin);
  });

  it.each([
    ['http on a public host', 'http://acme.eu.qlikcloud.com', 'must use https://'],
    ['http on a host that merely starts like loopback', 'http://127.0.0.1.example.com', 'must use https://'],
    ['http on localhost as a subdomain', 'http://localhost.example.com', 'must use https://'],
    ['http on an IPv6 host other than ::1', 'http://[::2]/', 'must use https://'],
    ['http on a private address', 'http://10.0.0.1', 'must use https://'],
    ['another scheme', 'ftp://acme.eu.qlikcloud.com', 'must use https://'],
    ['no scheme', 'acme.eu.qlikcloud.com', 'must be an absolute https:// URL'],
    ['garbage', 'not a url', 'must not contain spaces'],
    ['a port out of range', 'https://acme.eu.qlikcloud.com:99999', 'must be an absolute https:// URL'],
    ['a path', 'https://acme.eu.qlikcloud.com/api/v1', 'must not have a path'],
    ['a path with trailing slash', 'https://acme.eu.qlikcloud.com/sense/', 'must not have a path'],
    ['a user name', 'https://admin@acme.eu.qlikcloud.com', 'user-info'],
    ['a user name and password', 'https://admin:pw@acme.eu.qlikcloud.com/', 'user-info'],
    ['an empty user-info', 'https://@acme.eu.qlikcloud.com/', 'user-info'],
    ['a query', 'https://acme.eu.qlikcloud.com/?a=b', "query ('?')"],
    ['an empty query', 'https://acme.eu.qlikcloud.com/?', "query ('?')"],
    ['a fragment', 'https://acme.eu.qlikcloud.com/#x', "fragment ('#')"],
    ['an empty fragment', 'https://acme.eu.qlikcloud.com#', "fragment ('#')"],
    ['a tab inside (the parser would drop it)', 'https://acme.eu.qlik\tcloud.com', 'control characters'],
    ['a new line inside', 'https://acme.eu.qlikcloud.com\n/x', 'control characters'],
  ])('refuses %s', (_what, raw, fragment) => {
    expect(problemWith('qlik-tenant-url', raw)).toContain(fragment);
  });

  it('names the loopback rule in the https message', () => {
    expect(problemWith('qlik-tenant-url', 'http://acme.example.com')).toBe(
      "Input 'qlik-tenant-url' must use https:// (http:// is allowed only for loopback hosts).",
    );
  });

  it('warns, without the URL, when the host is not a qlikcloud.com host', () => {
    const { warnings } = parseInputs({ ...minimal(), 'qlik-tenant-url': 'https://analytics.corp-zq7.example/' });
    expect(warnings).toEqual(["qlik-tenant-url's host is not a qlikcloud.com host; continuing"]);
    expect(warnings.join('\n')).not.toContain('corp-zq7');
  });

  it.each([
    'https://acme.eu.qlikcloud.com',
    'https://acme.us.qlikcloudgov.com',
    'http://127.0.0.1:3000',
    'http://localhost',
    'http://[::1]',
  ])('does not warn for %s', (raw) => {
    expect(parseInputs({ ...minimal(), 'qlik-tenant-url': raw }).warnings).toEqual([]);
  });

  it('warns for a host that only contains qlikcloud.com', () => {
    const { warnings } = parseInputs({ ...minimal(), 'qlik-tenant-url': 'https://qlikcloud.com.evil.example' });
    expect(warnings).toHaveLength(1);
  });
});

describe('parseInputs: URL errors never contain the URL', () => {
  const password = 'Pw-Zebra-77-Unique';
  const cases: [InputName, string][] = [
    ['qlik-tenant-url', `https://admin:${password}@acme.eu.qlikcloud.com/`],
    ['qlik-tenant-url', `http://admin:${password}@acme.eu.qlikcloud.com/path?q#f`],
    ['qlik-tenant-url', `not-a-url-${password}`],
    ['talend-api-url', `https://svc:${password}@api.example.com/base`],
    ['talend-api-url', `ftp://api.example.com/${password}`],
    ['talend-qlik-auth-url', `https://svc:${password}@api.example.com/auth`],
    ['talend-qlik-auth-url', `/auth?token=${password}`],
    ['talend-qlik-auth-url', `${password}/relative`],
  ];
  it.each(cases)('%s: %s', (name, raw) => {
    const overrides: RawInputs = { [name]: raw };
    if (name === 'talend-api-url') overrides['talend-region'] = undefined;
    const error = inputError(overrides);
    expect(error.input).toBe(name);
    expect(error.message).not.toContain(password);
    expect(error.message).not.toContain('api.example.com');
    expect(error.message).not.toContain('acme.eu');
  });
});

describe('parseInputs: talend-region and talend-api-url', () => {
  it.each(Object.entries(TALEND_REGIONS))('maps region %s to %s', (region, base) => {
    const c = config({ 'talend-region': region });
    expect(c.talendApiBase).toBe(base);
    expect(c.talendQlikAuthUrl).toBe(`${base}/tmc/qlik-auth`);
  });

  it.each(['EU', 'Us', 'eu-west', 'emea', 'mars-region-9'])('refuses region %s, listing the allowed values', (region) => {
    const message = problemWith('talend-region', region);
    expect(message).toBe("Input 'talend-region' must be one of: eu, us, us-west, ap, au.");
    expect(message).not.toContain(region);
  });

  it('refuses both at once, naming both', () => {
    const error = inputError({ 'talend-region': 'eu', 'talend-api-url': 'https://api.example.com' });
    expect(error.input).toEqual(['talend-region', 'talend-api-url']);
    expect(error.message).toBe("Inputs 'talend-region' and 'talend-api-url': set exactly one (both are set).");
  });

  it.each([
    [undefined, undefined],
    ['', ''],
    [' ', '\n'],
  ])('refuses neither (region %j, api-url %j), naming both', (region, apiUrl) => {
    const error = inputError({ 'talend-region': region, 'talend-api-url': apiUrl });
    expect(error.input).toEqual(['talend-region', 'talend-api-url']);
    expect(error.message).toBe("Inputs 'talend-region' and 'talend-api-url': set exactly one (neither is set).");
  });

  it('reports both-set even when the region itself is invalid', () => {
    const error = inputError({ 'talend-region': 'nowhere', 'talend-api-url': 'https://api.example.com' });
    expect(error.message.split('\n')).toEqual([
      "Input 'talend-region' must be one of: eu, us, us-west, ap, au.",
      "Inputs 'talend-region' and 'talend-api-url': set exactly one (both are set).",
    ]);
  });

  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['https://api.example.com/', 'https://api.example.com'],
    ['https://api.example.com/tenant/v2', 'https://api.example.com/tenant/v2'],
    ['https://api.example.com/tenant/v2/', 'https://api.example.com/tenant/v2'],
    ['https://api.example.com/tenant//', 'https://api.example.com/tenant'],
    ['https://API.Example.com:8443/x', 'https://api.example.com:8443/x'],
    ['http://127.0.0.1:4010/talend/', 'http://127.0.0.1:4010/talend'],
    ['http://localhost:4010', 'http://localhost:4010'],
    ['http://[::1]:4010/t', 'http://[::1]:4010/t'],
  ])('accepts talend-api-url %s as base %s', (raw, base) => {
    expect(config({ 'talend-region': undefined, 'talend-api-url': raw }).talendApiBase).toBe(base);
  });

  it.each([
    ['http://api.example.com', 'must use https://'],
    ['https://u:p@api.example.com', 'user-info'],
    ['https://api.example.com/x?', "query ('?')"],
    ['https://api.example.com/x?a=1', "query ('?')"],
    ['https://api.example.com/x#', "fragment ('#')"],
    ['api.example.com', 'must be an absolute https:// URL'],
  ])('refuses talend-api-url %s', (raw, fragment) => {
    expect(problemWith('talend-api-url', raw)).toContain(fragment);
  });
});

describe('parseInputs: talend-qlik-auth-url', () => {
  it.each([
    // [talend-region, talend-api-url, talend-qlik-auth-url, expected]
    ['eu', undefined, '/tmc/auth', 'https://api.eu.cloud.talend.com/tmc/auth'],
    [undefined, 'https://h.example', '/tmc/auth', 'https://h.example/tmc/auth'],
    [undefined, 'https://h.example/', '/tmc/auth', 'https://h.example/tmc/auth'],
    [undefined, 'https://h.example/x', '/tmc/auth', 'https://h.example/x/tmc/auth'],
    [undefined, 'https://h.example/x/', '/tmc/auth', 'https://h.example/x/tmc/auth'],
    [undefined, 'https://h.example/x/y//', '/tmc/auth', 'https://h.example/x/y/tmc/auth'],
    [undefined, 'https://h.example/x', '/tmc/auth/', 'https://h.example/x/tmc/auth/'],
    [undefined, 'http://127.0.0.1:4010/talend', '/settings/qlik', 'http://127.0.0.1:4010/talend/settings/qlik'],
    ['us', undefined, "/a-b_c.d~e/!$&'()*+,;=:@/%20x", "https://api.us.cloud.talend.com/a-b_c.d~e/!$&'()*+,;=:@/%20x"],
    ['eu', undefined, 'https://other.example/settings/qlik', 'https://other.example/settings/qlik'],
    ['eu', undefined, 'https://other.example/settings/qlik/', 'https://other.example/settings/qlik/'],
    ['eu', undefined, 'https://other.example', 'https://other.example/'],
    [undefined, 'https://h.example/x', 'http://localhost:4010/auth', 'http://localhost:4010/auth'],
  ])('region %j, api-url %j, auth-url %j → %s', (region, apiUrl, authUrl, expected) => {
    const c = config({ 'talend-region': region, 'talend-api-url': apiUrl, 'talend-qlik-auth-url': authUrl });
    expect(c.talendQlikAuthUrl).toBe(expected);
  });

  it.each([
    ['a path without a leading slash', 'tmc/auth', "a path starting with '/'"],
    ['a query', '/tmc/auth?x=1', "query ('?')"],
    ['an empty query', '/tmc/auth?', "query ('?')"],
    ['a fragment', '/tmc/auth#x', "fragment ('#')"],
    ['an empty fragment', '/tmc/auth#', "fragment ('#')"],
    ['a .. segment', '/tmc/../admin', "'.' or '..' segments"],
    ['a trailing .. segment', '/tmc/..', "'.' or '..' segments"],
    ['an encoded .. segment', '/tmc/%2E%2e/admin', "'.' or '..' segments"],
    ['a . segment', '/tmc/./auth', "'.' or '..' segments"],
    ['a protocol-relative URL', '//evil.example/auth', "'//'"],
    ['a double slash inside', '/tmc//auth', "'//'"],
    ['a space', '/tmc/qlik auth', 'spaces or control characters'],
    ['a tab', '/tmc/\tauth', 'spaces or control characters'],
    ['a backslash', '/tmc\\auth', "'\\'"],
    ['a bad percent escape', '/tmc/%zzauth', "'%'"],
    ['only a slash', '/', "not '/' alone"],
    ['characters outside the path set', '/tmc/<auth>', 'may contain only'],
    ['a non-https absolute URL', 'http://other.example/auth', 'must use https://'],
    ['an absolute URL with user-info', 'https://u:p@other.example/auth', 'user-info'],
    ['an absolute URL with a query', 'https://other.example/auth?', "query ('?')"],
    ['an absolute URL with a fragment', 'https://other.example/auth#', "fragment ('#')"],
    ['the secret placeholder in an absolute URL', 'https://other.example/auth/{{clientSecret}}', 'must not hold a placeholder'],
    ['the secret placeholder in a path', '/tmc/{{clientSecret}}', 'must not hold a placeholder'],
    ['a URL too long for the record to name', `/tmc/${'a'.repeat(2100)}`, 'too long: the record on the OAuth client names the target by its URL'],
  ])('refuses %s', (_what, raw, fragment) => {
    expect(problemWith('talend-qlik-auth-url', raw)).toContain(fragment);
  });
});

describe('parseInputs: secrets', () => {
  const secret = 'SeKrEt-Qz9Vw-77';
  const secretInputs: InputName[] = ['qlik-api-key', 'talend-token', 'talend-client-id', 'talend-client-secret'];
  /** The configuration with `name` set, read back where the configuration keeps it. */
  const secretIn = (name: InputName, raw: string): string => {
    const c = config({ ...companions(name), [name]: raw });
    const auth = c.talendAuth;
    if (name === 'qlik-api-key') return c.qlikApiKey;
    if (auth.kind === 'token') return auth.token;
    return name === 'talend-client-id' ? auth.clientId : auth.clientSecret;
  };

  describe.each(secretInputs)('%s', (name) => {
    it.each([secret, `${secret}\n`, `${secret}\r\n`, `  ${secret}\t`, `\n${secret}\n\n`])(
      'trims surrounding whitespace from %j',
      (raw) => {
        expect(secretIn(name, raw)).toBe(secret);
      },
    );

    it('keeps an inner space (a header can carry it)', () => {
      expect(secretIn(name, 'abcd efgh')).toBe('abcd efgh');
    });

    it('refuses a value shorter than 8 characters: it could not be masked safely', () => {
      expect(problemWith(name, 'abc1234')).toBe(`Input '${name}' must be at least 8 characters long.`);
      expect(secretIn(name, 'abcd1234')).toBe('abcd1234');
    });

    it.each([
      ['a new line', `${secret}\n${secret}`],
      ['a carriage return', `${secret}\r${secret}`],
      ['a tab', `${secret}\t${secret}`],
      ['a NUL', `${secret}\u0000${secret}`],
      ['an escape', `${secret}\u001b[31m`],
      ['a DEL', `${secret}\u007f${secret}`],
      ['a C1 next-line', `${secret}\u0085${secret}`],
      ['a line separator', `${secret}\u2028${secret}`],
      ['a non-ASCII letter', `${secret}é${secret}`],
    ])('refuses %s inside, without echoing any part of it', (_what, raw) => {
      const message = problemWith(name, raw);
      expect(message).not.toContain(secret);
      for (const part of secret.split('-')) expect(message).not.toContain(part);
    });

    it(`accepts ${MAX_INPUT_LENGTH} characters and refuses ${MAX_INPUT_LENGTH + 1}`, () => {
      expect(secretIn(name, `${'k'.repeat(MAX_INPUT_LENGTH)}\n`)).toHaveLength(MAX_INPUT_LENGTH);
      const message = problemWith(name, `${secret}${'k'.repeat(MAX_INPUT_LENGTH)}`);
      expect(message).toBe(`Input '${name}' is longer than ${MAX_INPUT_LENGTH} characters.`);
    });
  });
});

describe('parseInputs: client-name and IDs', () => {
  it('keeps a client name with inner spaces and Unicode', () => {
    expect(config({ 'client-name': ' Talend – Prod (EU) ' }).clientName).toBe('Talend – Prod (EU)');
  });

  it('accepts 512 characters (counted as code points) and refuses 513', () => {
    expect(config({ 'client-name': 'n'.repeat(512) }).clientName).toHaveLength(512);
    expect(config({ 'client-name': '😀'.repeat(512) }).clientName).toBe('😀'.repeat(512));
    expect(problemWith('client-name', 'n'.repeat(513))).toContain('at most 512 characters');
  });

  it.each([
    ['a new line', 'Talend\nTMC'],
    ['a tab', 'Talend\tTMC'],
    ['an escape', 'Talend\u001bTMC'],
    ['a DEL', 'Talend\u007fTMC'],
  ])('refuses a client name with %s', (_what, raw) => {
    expect(problemWith('client-name', raw)).toContain('control characters');
  });

  describe.each([
    ['client-id', 'clientId'],
    ['talend-check-task-id', 'talendCheckTaskId'],
  ] as const)('%s', (name, key) => {
    it.each(['a1b2c3', 'AbC-123_x.y~z', '5f3e1c2a-0000-4000-8000-000000000000', 'x'.repeat(256), '...'])(
      'accepts %s',
      (id) => {
        expect(config({ [name]: id })[key]).toBe(id);
      },
    );

    it.each([
      ['a slash', 'abc/def'],
      ['an inner space', 'abc def'],
      ['a percent', 'abc%2F'],
      ['a query character', 'abc?x'],
      ['a non-ASCII letter', 'abcé'],
      ['257 characters', 'x'.repeat(257)],
      ['a lone dot', '.'],
      ['a dot-dot', '..'],
    ])('refuses %s', (_what, id) => {
      expect(problemWith(name, id)).toContain('1 to 256 characters');
    });
  });
});

describe('parseInputs: scopes', () => {
  it.each([
    ['user_default admin_classic', ['admin_classic', 'user_default']],
    ['user_default,admin_classic', ['admin_classic', 'user_default']],
    ['user_default\nadmin_classic\n', ['admin_classic', 'user_default']],
    [' user_default ,, admin_classic\r\n ,user_default ', ['admin_classic', 'user_default']],
    ['b a c a b', ['a', 'b', 'c']],
    ['only_one', ['only_one']],
    ["read:apps write!#$%&'()*+./;<=>?@[]^`{|}~", ["read:apps", "write!#$%&'()*+./;<=>?@[]^`{|}~"]],
  ])('parses %j as %j', (raw, expected) => {
    expect(config({ scopes: raw }).scopes).toEqual(expected);
  });

  it('accepts a 256-character scope and refuses 257', () => {
    expect(config({ scopes: 's'.repeat(256) }).scopes).toEqual(['s'.repeat(256)]);
    expect(problemWith('scopes', `ok ${'s'.repeat(257)}`)).toBe("Input 'scopes' entry 2 is longer than 256 characters.");
  });

  it('accepts 100 different scopes and refuses 101, counting duplicates once', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `scope${i}`);
    expect(config({ scopes: [...hundred, ...hundred].join(' ') }).scopes).toHaveLength(100);
    expect(problemWith('scopes', [...hundred, 'scope100'].join(','))).toContain('at most 100');
  });

  it.each([
    ['a double quote', 'user_default Zqv"Wk'],
    ['a backslash', 'user_default Zqv\\Wk'],
    ['a non-ASCII letter', 'user_default ZqvéWk'],
    ['a control character', 'user_default Zqv\u0001Wk'],
  ])('refuses a scope with %s, naming its position but not its text', (_what, raw) => {
    const message = problemWith('scopes', raw);
    expect(message).toMatch(/^Input 'scopes' entry 2 is not a valid scope/);
    expect(message).not.toContain('Zqv');
    expect(message).not.toContain('Wk');
  });

  it.each([',', ' , ,\n,'])('refuses %j: separators but no scope', (raw) => {
    expect(problemWith('scopes', raw)).toBe("Input 'scopes' must list at least one scope.");
  });
});

describe('parseInputs: rotate, booleans and integers', () => {
  it.each([
    ['auto', 'auto'],
    ['always', 'always'],
    ['never', 'never'],
    ['ALWAYS', 'always'],
    ['Never', 'never'],
    ['aUtO', 'auto'],
  ])('rotate %s → %s', (raw, expected) => {
    expect(config({ rotate: raw }).rotate).toBe(expected);
  });

  it.each(['sometimes', 'true', 'auto always', 'rot-Zq81'])('refuses rotate %s, listing the values', (raw) => {
    const message = problemWith('rotate', raw);
    expect(message).toBe("Input 'rotate' must be one of: auto, always, never.");
  });

  describe.each([
    ['reclaim-unrecorded-secrets', 'reclaimUnrecordedSecrets'],
    ['retarget', 'retarget'],
    ['dry-run', 'dryRun'],
  ] as const)('%s', (name, key) => {
    it.each([
      ['true', true],
      ['TRUE', true],
      ['True', true],
      ['tRuE', true],
      ['false', false],
      ['FALSE', false],
      ['False', false],
      ['fAlSe', false],
    ])('%s → %s', (raw, expected) => {
      expect(config({ [name]: raw })[key]).toBe(expected);
    });

    it.each(['yes', 'no', '1', '0', 'on', 't', 'truee', 'true false'])('refuses %s', (raw) => {
      expect(problemWith(name, raw)).toBe(`Input '${name}' must be 'true' or 'false'.`);
    });
  });

  describe.each([
    ['max-secret-age-days', 'maxSecretAgeDays', 1, 3650],
    ['keep-previous-secrets', 'keepPreviousSecrets', 0, 3],
    ['timeout-seconds', 'timeoutSeconds', 5, 3600],
  ] as const)('%s (%i–%i)', (name, key, min, max) => {
    it.each([min, max, min + 1, max - 1])('accepts %i', (value) => {
      expect(config({ [name]: String(value) })[key]).toBe(value);
    });

    it('accepts leading zeros as decimal', () => {
      expect(config({ [name]: `00${max}` })[key]).toBe(max);
    });

    it.each([
      String(min - 1),
      String(max + 1),
      '99999999999999999999999',
      '1e3',
      '30.0',
      '3.5',
      '+5',
      '-1',
      '0x1f',
      '1_000',
      '3 0',
      '٣',
      'thirty',
    ])('refuses %j, giving the range', (raw) => {
      expect(problemWith(name, raw)).toBe(`Input '${name}' must be a whole number from ${min} to ${max}.`);
    });
  });

  it.each([
    ['max-secret-age-days', '0', false],
    ['max-secret-age-days', '1', true],
    ['max-secret-age-days', '3650', true],
    ['max-secret-age-days', '3651', false],
    ['timeout-seconds', '4', false],
    ['timeout-seconds', '5', true],
    ['timeout-seconds', '3600', true],
    ['timeout-seconds', '3601', false],
    ['keep-previous-secrets', '0', true],
    ['keep-previous-secrets', '3', true],
    ['keep-previous-secrets', '4', false],
  ] as const)('edge: %s = %s is valid: %s', (name, raw, valid) => {
    const run = () => parseInputs({ ...minimal(), [name]: raw });
    if (valid) expect(run).not.toThrow();
    else expect(run).toThrow(InputError);
  });
});

describe('parseInputs: huge values and error shape', () => {
  /** A value that is valid for the input apart from its length. */
  function longValue(name: InputName, length: number): string {
    switch (name) {
      case 'qlik-tenant-url':
        return `https://${'a'.repeat(length - 'https://.qlikcloud.com'.length)}.qlikcloud.com`;
      case 'talend-api-url':
        return `https://api.example.com/${'a'.repeat(length - 'https://api.example.com/'.length)}`;
      case 'talend-qlik-auth-url':
        return `/${'a'.repeat(length - 1)}`;
      case 'max-secret-age-days':
      case 'keep-previous-secrets':
      case 'timeout-seconds':
        return `${'0'.repeat(length - 1)}3`;
      default:
        return 'a'.repeat(length);
    }
  }

  it.each(INPUT_NAMES)(`refuses %s longer than ${MAX_INPUT_LENGTH} characters`, (name) => {
    const value = longValue(name, MAX_INPUT_LENGTH + 1);
    expect(value).toHaveLength(MAX_INPUT_LENGTH + 1);
    expect(problemWith(name, value)).toBe(`Input '${name}' is longer than ${MAX_INPUT_LENGTH} characters.`);
  });

  it('counts the length after trimming', () => {
    expect(config({ 'talend-check-task-id': `${' '.repeat(MAX_INPUT_LENGTH)}x${' '.repeat(10)}` }).talendCheckTaskId).toBe('x');
    expect(config({ 'qlik-api-key': `${'k'.repeat(MAX_INPUT_LENGTH)}\n` }).qlikApiKey).toHaveLength(MAX_INPUT_LENGTH);
  });

  it('reports every bad input in one error, one line each, in input order', () => {
    const error = inputError({
      'qlik-tenant-url': 'http://acme.example.com',
      'qlik-api-key': 'abcd\nefgh',
      rotate: 'sometimes',
      'dry-run': 'maybe',
      'talend-region': undefined,
      'talend-qlik-auth-url': undefined,
    });
    expect(error.input).toEqual([
      'qlik-tenant-url',
      'qlik-api-key',
      'rotate',
      'dry-run',
      'talend-region',
      'talend-api-url',
      'talend-qlik-auth-url',
      'talend-connection-ids',
      'talend-task-ids',
    ]);
    expect(error.message.split('\n')).toEqual([
      "Input 'qlik-tenant-url' must use https:// (http:// is allowed only for loopback hosts).",
      "Input 'qlik-api-key' must be a single line without control characters (after trimming surrounding whitespace).",
      "Input 'rotate' must be one of: auto, always, never.",
      "Input 'dry-run' must be 'true' or 'false'.",
      "Inputs 'talend-region' and 'talend-api-url': set exactly one (neither is set).",
      "Inputs 'talend-qlik-auth-url', 'talend-connection-ids' and 'talend-task-ids': set at least one, so the secret has somewhere to go.",
    ]);
  });

  it('is an Error named InputError', () => {
    const error = inputError({ rotate: 'x' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InputError');
  });

  it('reports a non-string value (a JavaScript caller) without zod wording', () => {
    const error = inputError({ rotate: 5 as unknown as string });
    expect(error.message).toBe("Input 'rotate' must be a string.");
  });

  it('never echoes an invalid value of any input', () => {
    const marker = 'Mk7Qv';
    const invalid: Record<InputName, string> = {
      'qlik-tenant-url': `http://${marker}.example/`,
      'qlik-api-key': `${marker}\n${marker}`,
      'client-name': `${marker}\u0000`,
      'client-id': `${marker}/x`,
      scopes: `${marker}"`,
      'scopes-exact': marker,
      rotate: marker,
      'max-secret-age-days': marker,
      'keep-previous-secrets': marker,
      'reclaim-unrecorded-secrets': marker,
      'talend-token': `${marker}\r${marker}`,
      'talend-region': marker,
      'talend-api-url': `https://${marker}.example/?`,
      'talend-qlik-auth-url': `/${marker}/../x`,
      'talend-check-task-id': `${marker} x`,
      'talend-qlik-auth-request': `{"body": "${marker}"`,
      'talend-client-id': `${marker}\n${marker}`,
      'talend-client-secret': `${marker}\u0000${marker}`,
      'talend-connection-ids': `${marker}/..`,
      'talend-connection-parameters': `${marker}`,
      'talend-task-ids': `x ${marker}\u0000`,
      'talend-task-parameters': `${marker}$ b`,
      retarget: marker,
      'revoke-tokens': marker,
      'qlik-api-key-warning-days': marker,
      operation: marker,
      'confirm-decommission': `${marker}/..`,
      'talend-qlik-auth-disconnect-request': `{"url": "${marker}"`,
      'dry-run': marker,
      'timeout-seconds': marker,
    };
    let message = '';
    try {
      parseInputs(invalid);
    } catch (error) {
      message = (error as Error).message;
    }
    // One line per input, the base rule, and the sign-in rule (a token and a service account).
    expect(message.split('\n')).toHaveLength(INPUT_NAMES.length + 2);
    expect(message).not.toContain(marker);
    expect(message.toLowerCase()).not.toContain(marker.toLowerCase());
  });
});

describe('readRawInputs', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads INPUT_<NAME> with hyphens kept, untrimmed, undefined when missing', () => {
    const env: NodeJS.ProcessEnv = {
      'INPUT_QLIK-TENANT-URL': 'https://acme.eu.qlikcloud.com',
      'INPUT_QLIK-API-KEY': ' key-with-spaces \n',
      'INPUT_TALEND-TOKEN': 'talend-token-value',
      'INPUT_TALEND-REGION': 'eu',
      'INPUT_TALEND-QLIK-AUTH-URL': '/tmc/auth',
      INPUT_SCOPES: 'a,b',
      'INPUT_DRY-RUN': '',
      // Underscored names are not what the runner sets; they must not be picked up.
      INPUT_CLIENT_NAME: 'wrong',
      INPUT_TIMEOUT_SECONDS: '10',
    };
    const raw = readRawInputs(env);
    expect(Object.keys(raw)).toEqual([...INPUT_NAMES]);
    expect(raw['qlik-tenant-url']).toBe('https://acme.eu.qlikcloud.com');
    expect(raw['qlik-api-key']).toBe(' key-with-spaces \n');
    expect(raw.scopes).toBe('a,b');
    expect(raw['dry-run']).toBe('');
    expect(raw['client-name']).toBeUndefined();
    expect(raw['timeout-seconds']).toBeUndefined();
    expect(raw['talend-api-url']).toBeUndefined();

    const { config: c } = parseInputs(raw);
    expect(c.qlikApiKey).toBe('key-with-spaces');
    expect(c.scopes).toEqual(['a', 'b']);
    expect(c.clientName).toBe('Talend Management Console');
    expect(c.timeoutSeconds).toBe(300);
  });

  it('reads process.env by default', () => {
    vi.stubEnv('INPUT_TALEND-CHECK-TASK-ID', 'task-42');
    expect(readRawInputs()['talend-check-task-id']).toBe('task-42');
  });
});



describe('parseInputs: where the secret goes (talend targets)', () => {
  const noTmc: RawInputs = { 'talend-qlik-auth-url': undefined };

  it('takes connections and tasks without the TMC setting: IDs split on spaces, commas and new lines, duplicates dropped, order kept', () => {
    const c = config({ ...noTmc, 'talend-connection-ids': ' c2, c1\nc2 ', 'talend-task-ids': 't-1' });
    expect(c.talendQlikAuthUrl).toBeUndefined();
    expect(c.talendConnectionIds).toEqual(['c2', 'c1']);
    expect(c.talendTaskIds).toEqual(['t-1']);
    const named = config({ 'talend-task-ids': 't-1', 'talend-task-parameters': 'MY_ID,MY_SECRET' });
    expect(named.talendTaskParameters).toEqual({ clientId: 'MY_ID', clientSecret: 'MY_SECRET' });
  });

  it('needs at least one target, and at most 10 in all', () => {
    expect(inputError(noTmc).message).toBe(
      "Inputs 'talend-qlik-auth-url', 'talend-connection-ids' and 'talend-task-ids': set at least one, so the secret has somewhere to go.",
    );
    const ids = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`).join(' ');
    expect(config({ 'talend-connection-ids': ids(5, 'c'), 'talend-task-ids': ids(4, 't') }).talendTaskIds).toHaveLength(4);
    expect(inputError({ 'talend-connection-ids': ids(5, 'c'), 'talend-task-ids': ids(5, 't') }).message).toMatch(/name at most 10 targets together/);
    expect(problemWith('talend-task-ids', ids(11, 't'))).toMatch(/must list at most 10 IDs/);
  });

  it.each([
    ['talend-connection-ids', 'c1 ../x', /entry 2 is not an ID/],
    ['talend-connection-ids', '..', /entry 1 is not an ID/],
    ['talend-connection-ids', ' , ,\n', /must list at least one ID/],
    ['talend-task-ids', 't1/t2', /entry 1 is not an ID/],
    ['talend-task-ids', 'tâche', /entry 1 is not an ID/],
    ['talend-connection-parameters', 'client_id', /exactly two parameters/],
    ['talend-connection-parameters', 'a b c', /exactly two parameters/],
    ['talend-task-parameters', 'SAME SAME', /two different parameters/],
    ['talend-task-parameters', 'ID "SECRET"', /letters, digits/],
  ] as const)('%s %j is refused with one message naming the input', (name, value, problem) => {
    expect(problemWith(name, value)).toMatch(problem);
  });

  it.each([
    ['talend-qlik-auth-request', '{"method":"POST"}', 'talend-qlik-auth-url'],
    ['talend-connection-parameters', 'a b', 'talend-connection-ids'],
    ['talend-task-parameters', 'a b', 'talend-task-ids'],
  ] as const)('%s without its target is refused', (name, value, target) => {
    const error = inputError({ 'talend-connection-ids': name === 'talend-connection-parameters' ? undefined : 'c1', [name]: value, ...(name === 'talend-qlik-auth-request' ? noTmc : {}) });
    expect(error.message).toBe(`Input '${name}' is given without '${target}', the target it applies to.`);
  });
});
