import { describe, expect, it } from 'vitest';
import { apiKeyWarning, describeApiKey, qlikRefusedTheKey } from '../../src/report-words.js';
import { NOW } from './fixtures.js';

const DAY = 86_400_000;

describe('the admin API key in the report', () => {
  it('warns within the warning days, naming the date; never otherwise, and never for a key it could not read', () => {
    const soon = { read: true as const, expiresAt: NOW + 5 * DAY, status: 'active' };
    expect(apiKeyWarning(soon, 14, NOW)).toMatch(/^The Qlik API key \(qlik-api-key\) expires 2026-12-02, in 5 days\. Once it expires every run fails with HTTP 401/);
    expect(apiKeyWarning(soon, 4, NOW)).toBeUndefined();
    expect(apiKeyWarning(soon, 0, NOW)).toBeUndefined();
    expect(apiKeyWarning({ read: true, expiresAt: undefined, status: 'active' }, 14, NOW)).toBeUndefined();
    expect(apiKeyWarning({ read: false, why: 'the key is not a JWT with a key ID' }, 14, NOW)).toBeUndefined();
    expect(apiKeyWarning({ read: true, expiresAt: NOW + 100 * DAY, status: 'revoked' }, 14, NOW)).toMatch(/Qlik says it is revoked/);
  });

  it('says in the summary when the key expires, or why that is unknown', () => {
    expect(describeApiKey({ read: true, expiresAt: NOW + 40 * DAY, status: 'active' }, NOW)).toBe('expires 2027-01-06, in 40 days');
    expect(describeApiKey({ read: false, why: "Qlik did not show the key's record (HTTP 403: its owner may not manage API keys)" }, NOW)).toMatch(/^expiry unknown: Qlik did not show/);
    expect(describeApiKey(undefined, NOW)).toBe('not read');
  });

  it('a 401 names what to check: expired or revoked, the Manage API keys permission, the Developer role', () => {
    expect(qlikRefusedTheKey()).toMatch(/expired or been revoked.*'Manage API keys'.*Developer role in February 2026/);
  });
});
