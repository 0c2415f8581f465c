/**
 * The claims of a JWT Qlik issued (an API key, an access token), read without checking the
 * signature: the action only needs to know which key or which bot user it holds, and trusts
 * nothing else in it. Pure; nothing here is ever logged.
 */
import { isPathSafeId } from '../untrusted-text.js';

/** The payload as an object, or null when the text is not a JWT. */
export function jwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? '')) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A claim that can name something in a URL path or query (`jti`, `sub`), or undefined. */
export function idClaim(token: string, claim: 'jti' | 'sub'): string | undefined {
  const value = jwtPayload(token)?.[claim];
  return typeof value === 'string' && isPathSafeId(value) ? value : undefined;
}
