/**
 * The typed configuration the action runs with. `src/inputs.ts` is the only place that builds it
 * from the raw `INPUT_*` strings; every later stage reads this and nothing else.
 */

import type { ParameterNames } from './talend/orchestration.js';
import type { QlikAuthDisconnect, QlikAuthRequest } from './talend/qlik-auth-request.js';

export type RotateMode = 'auto' | 'always' | 'never';

export type TalendAuth =
  | { kind: 'token'; token: string }
  /** A Talend service account: the action asks `POST /security/oauth/token` for a token. */
  | { kind: 'service-account'; clientId: string; clientSecret: string };

export interface Config {
  /** Origin of the Qlik tenant, e.g. `https://acme.eu.qlikcloud.com` (no trailing slash, no path). */
  qlikTenantUrl: string;
  qlikApiKey: string;
  clientName: string;
  /** Pinned client ID; when set, the action never creates a client. */
  clientId: string | undefined;
  /** Requested scopes: unique, sorted. */
  scopes: string[];
  /** The client's scopes become exactly `scopes`; otherwise repair only adds the missing ones. */
  scopesExact: boolean;
  rotate: RotateMode;
  maxSecretAgeDays: number;
  keepPreviousSecrets: number;
  reclaimUnrecordedSecrets: boolean;
  /** How the action signs in to Talend: a token given as is, or a service account it signs in with. */
  talendAuth: TalendAuth;
  /** Talend API base URL without a trailing slash; may carry a path. */
  talendApiBase: string;
  /** Absolute URL of TMC's Qlik Cloud Authentication setting; undefined: not a target of this run. */
  talendQlikAuthUrl: string | undefined;
  /** How to shape the request to that setting (`talend-qlik-auth-request`). */
  talendQlikAuthRequest: QlikAuthRequest;
  /** TMC connections that receive the pair (unique, in input order), and the names of its two parameters there. */
  talendConnectionIds: string[];
  talendConnectionParameters: ParameterNames;
  /** Tasks whose parameters receive the pair (unique, in input order), and the two parameter names. */
  talendTaskIds: string[];
  talendTaskParameters: ParameterNames;
  talendCheckTaskId: string | undefined;
  /**
   * Talend targets recorded on the client that this run does not configure are dropped from the
   * record once every configured target holds the new secret (they lose theirs). Without it they
   * keep their secrets, and a TMC setting at another URL stops the run, whatever `rotate` says.
   */
  retarget: boolean;
  /** After a leak: revoke every OAuth token of the client's bot user once the old secrets are retired. */
  revokeTokens: boolean;
  /** Warn when the admin API key expires within this many days (0: never). */
  apiKeyWarningDays: number;
  /** `maintain` (rotate and deliver) or `decommission` (detach, delete the client, revoke its tokens). */
  operation: 'maintain' | 'decommission';
  /** With `decommission`: the ID of the client the user means to delete. */
  confirmDecommission: string | undefined;
  /** With `decommission`: how to disconnect TMC's setting; undefined: TMC is not called. */
  talendQlikAuthDisconnect: QlikAuthDisconnect | undefined;
  dryRun: boolean;
  timeoutSeconds: number;
}

/** Raw input values keyed by the action.yml input name (kebab-case), as the runner passes them. */
export type RawInputs = Record<string, string | undefined>;

/** Every input the action declares, in action.yml order. */
export const INPUT_NAMES = [
  'qlik-tenant-url',
  'qlik-api-key',
  'client-name',
  'client-id',
  'scopes',
  'scopes-exact',
  'rotate',
  'max-secret-age-days',
  'keep-previous-secrets',
  'reclaim-unrecorded-secrets',
  'talend-token',
  'talend-region',
  'talend-api-url',
  'talend-qlik-auth-url',
  'talend-check-task-id',
  'talend-qlik-auth-request',
  'talend-client-id',
  'talend-client-secret',
  'talend-connection-ids',
  'talend-connection-parameters',
  'talend-task-ids',
  'talend-task-parameters',
  'retarget',
  'revoke-tokens',
  'qlik-api-key-warning-days',
  'operation',
  'confirm-decommission',
  'talend-qlik-auth-disconnect-request',
  'dry-run',
  'timeout-seconds',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];

/** Inputs whose values are secrets: never echoed, registered with the mask before anything else. */
export const SECRET_INPUTS = ['qlik-api-key', 'talend-token', 'talend-client-id', 'talend-client-secret'] as const satisfies readonly InputName[];

export const OUTPUT_NAMES = [
  'result',
  'client-id',
  'client-secret',
  'secret-hint',
  'secret-created-at',
  'next-rotation-due',
  'plan',
  'targets',
  'qlik-api-key-expires-at',
  'tokens-revoked',
] as const;

export type OutputName = (typeof OUTPUT_NAMES)[number];

export const TALEND_REGIONS = {
  eu: 'https://api.eu.cloud.talend.com',
  us: 'https://api.us.cloud.talend.com',
  'us-west': 'https://api.us-west.cloud.talend.com',
  ap: 'https://api.ap.cloud.talend.com',
  au: 'https://api.au.cloud.talend.com',
} as const;
