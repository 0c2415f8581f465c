// Credential-handling mistakes visible on the wire: a secret sent to the wrong service, the API
// key sent to the token endpoint, a client secret written where it does not belong.
import type { EmulatorState } from './state.js';
import type { ServiceKind } from './types.js';

export interface InspectedRequest {
  service: ServiceKind;
  method: string;
  /** Path without query, relative to the service's base. */
  routePath: string;
  /** Path and query as received. */
  rawPath: string;
  headers: Record<string, string>;
  body: string;
  /** True for the Talend PUT that legitimately carries a client secret. */
  isQlikAuthPut: boolean;
}

interface Haystack {
  headers: [string, string][];
  urls: string[];
  bodies: string[];
}

function haystackOf(req: InspectedRequest): Haystack {
  return {
    headers: Object.entries(req.headers),
    urls: [req.rawPath, safeDecode(req.rawPath)],
    bodies: [req.body, safeDecode(req.body)],
  };
}

/**
 * Values shorter than this are not searched for: a test may seed a hand-pasted secret like 'old'
 * that would otherwise be "found" inside unrelated text.
 */
const MIN_CHECKED_LENGTH = 12;

/** Where a value occurs in the request: header names, 'URL', 'body'. */
function placesOf(value: string, hay: Haystack): string[] {
  if (value.length < MIN_CHECKED_LENGTH) return [];
  const places: string[] = [];
  for (const [name, v] of hay.headers) if (v.includes(value)) places.push(`${name} header`);
  if (hay.urls.some((u) => u.includes(value))) places.push('URL');
  if (hay.bodies.some((b) => b.includes(value))) places.push('body');
  return places;
}

function safeDecode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function findViolations(state: EmulatorState, req: InspectedRequest): string[] {
  const where = `${req.method} ${req.rawPath.split('?')[0]}`;
  const out: string[] = [];
  const hay = haystackOf(req);
  const report = (phrase: string, places: string[]): void => {
    if (places.length > 0) out.push(`${phrase}: ${where} (${places.join(', ')})`);
  };

  if (req.service === 'qlik') {
    report('Talend token sent to Qlik', placesOf(state.talendToken, hay));
    for (const token of state.talendAccessTokens.keys()) report('Talend service-account token sent to Qlik', placesOf(token, hay));
    for (const [id, { secret }] of state.serviceAccounts) report('Talend service-account secret sent to Qlik', [...placesOf(secret, hay), ...placesOf(Buffer.from(`${id}:${secret}`).toString('base64'), hay)]);
    if (req.routePath === '/oauth/token') {
      const auth = req.headers.authorization;
      if (auth !== undefined && state.apiKey.length >= MIN_CHECKED_LENGTH && auth.includes(state.apiKey)) out.push(`Qlik API key sent to /oauth/token: ${where}`);
      else if (auth !== undefined && /^bearer\b/i.test(auth)) out.push(`bearer token sent to /oauth/token: ${where}`);
    }
    report('Qlik API key sent outside the Authorization header', placesOf(state.apiKey, hay).filter((p) => p !== 'authorization header'));
    if (!(req.method === 'POST' && req.routePath === '/oauth/token')) {
      for (const secret of state.clientSecretValues) report('client secret sent to Qlik outside /oauth/token', placesOf(secret, hay));
    }
  } else {
    report('Qlik API key sent to Talend', placesOf(state.apiKey, hay));
    for (const token of state.accessTokens.keys()) report('Qlik access token sent to Talend', placesOf(token, hay));
    if (!req.isQlikAuthPut) {
      for (const secret of state.clientSecretValues) {
        report('client secret sent to Talend outside the Qlik Cloud Authentication PUT', placesOf(secret, hay));
      }
    }
  }
  return out;
}
