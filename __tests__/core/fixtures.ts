import type { Config } from '../../src/config.js';
import { DEFAULT_QLIK_AUTH_REQUEST } from '../../src/talend/qlik-auth-request.js';
import type { ObservedState } from '../../src/core/plan-model.js';
import { EMPTY_RECORD, type RotationRecord } from '../../src/core/record.js';
import type { SecretRef } from '../../src/core/secret-ref.js';
import type { ClientSecretMeta, OAuthClient } from '../../src/qlik/model.js';

export const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const DAY = 86_400_000;

export function daysAgo(days: number): string {
  return new Date(NOW - days * DAY).toISOString();
}

export function secret(hint: string, ageDays: number): ClientSecretMeta {
  return { hint, createdAt: daysAgo(ageDays) };
}

export function config(overrides: Partial<Config> = {}): Config {
  return {
    qlikTenantUrl: 'https://tenant.eu.qlikcloud.example',
    qlikApiKey: 'qlik-key-test-0000000000000000000000',
    clientName: 'Talend Management Console',
    clientId: undefined,
    scopes: ['admin_classic', 'user_default'],
    scopesExact: false,
    rotate: 'auto',
    maxSecretAgeDays: 30,
    keepPreviousSecrets: 0,
    reclaimUnrecordedSecrets: false,
    talendAuth: { kind: 'token', token: 'talend-token-test-000000000000000000' },
    talendApiBase: 'https://api.eu.cloud.talend.example',
    talendQlikAuthUrl: 'https://api.eu.cloud.talend.example/tmc/qlik',
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
    ...overrides,
  };
}

export function client(overrides: Partial<OAuthClient> = {}): OAuthClient {
  return {
    clientId: 'client-1',
    clientName: 'Talend Management Console',
    appType: 'web',
    description: '',
    allowedScopes: ['user_default', 'admin_classic'],
    scopesShown: true,
    allowedGrantTypes: ['client_credentials'],
    allowedAuthMethods: ['client_secret'],
    consentMethod: 'trusted',
    secrets: [secret('aaaaa', 10)],
    createdAt: daysAgo(100),
    ...overrides,
  };
}

/** The key of the default config's one target (TMC's setting). */
export const TMC_KEY = 'qlik-auth:https://api.eu.cloud.talend.example/tmc/qlik';

/**
 * A record. `delivered` and `pending` describe the default config's one target (TMC's setting);
 * `targets`, when given, replaces them.
 */
export function record(overrides: Partial<RotationRecord> & { delivered?: SecretRef | null; pending?: SecretRef[] } = {}): RotationRecord {
  const { delivered = { hint: 'aaaaa', createdAt: daysAgo(10) }, pending = [], ...rest } = overrides;
  const targets = delivered === null && pending.length === 0 ? [] : [{ key: TMC_KEY, delivered, pending }];
  return { ...EMPTY_RECORD, targets, ...rest };
}

export function observed(c: OAuthClient | null, r: RotationRecord | null): ObservedState {
  return { client: c, record: r, recordState: r ? 'ok' : 'absent' };
}
