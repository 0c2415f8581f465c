import { isUsableSegment } from '../untrusted-text.js';

/** The OAuth client as the rest of the action sees it, whatever view (admin or plain) Qlik returned. */
export interface ClientSecretMeta {
  /** Qlik's public label of a secret, at most 5 characters. Not unique forever: match with createdAt. */
  hint: string;
  createdAt: string | undefined;
}

export type ConsentMethod = 'trusted' | 'required';

export interface OAuthClient {
  clientId: string;
  clientName: string;
  appType: string;
  description: string;
  allowedScopes: string[];
  /** Qlik's answer had the member (a JSON Patch `replace` needs it to exist). */
  scopesShown: boolean;
  allowedGrantTypes: string[];
  /** Undefined when the answer did not say (the field is optional in Qlik's spec). */
  allowedAuthMethods: string[] | undefined;
  consentMethod: ConsentMethod | undefined;
  secrets: ClientSecretMeta[];
  createdAt: string | undefined;
}

/**
 * Qlik documents a hint as a string of at most 5 characters and gives no character set, so any
 * short printable text is a hint (`a+b/c` included). Allow some slack on the length. `.` and `..`
 * are refused: as a path segment they would walk the URL (`DELETE …/client-secrets/..` is a
 * DELETE of the client itself).
 */
export const MAX_HINT_LENGTH = 16;

export function isValidHint(hint: string): boolean {
  return isUsableSegment(hint, MAX_HINT_LENGTH);
}

/**
 * A hint that may also be written to an output: a later `run:` step may paste an output into a
 * shell, so only characters that mean nothing to a shell (Qlik's hints are hex in practice).
 */
export function isOutputSafeHint(hint: string): boolean {
  return isValidHint(hint) && /^[A-Za-z0-9+/=._~-]+$/.test(hint);
}
