/**
 * A Talend service account signs in at `POST /security/oauth/token` (client credentials, the ID and
 * secret as HTTP Basic, as Talend documents it) and gets a short-lived token. The token is masked
 * the moment it is parsed, kept while it is valid, and asked for again when the run outlasts it.
 */
import type { ApiClient } from '../http/api-client.js';
import { lazySchema } from '../lazy.js';
import { isMaskableSecret, registerSecret } from '../secrets.js';

const tokenSchema = lazySchema((z) =>
  z.looseObject({
    access_token: z.string().check(z.refine((v) => isMaskableSecret(v, 16_384))),
    // Talend's spec types it as a string ("3600"); a number is taken too.
    expires_in: z.optional(z.union([z.string(), z.number()])),
  }),
);

/** When `expires_in` is missing or unreadable: Talend's help says tokens last 30 minutes. */
const DEFAULT_LIFETIME_S = 30 * 60;

export class ServiceAccountToken {
  private current: { token: string; renewAt: number } | undefined;
  private signingIn: Promise<string> | undefined;

  constructor(
    /** The Talend API client: the sign-in goes to the same origin, without a bearer token. */
    private readonly http: ApiClient,
    /** The Talend API base (`https://api.eu.cloud.talend.com`, or `talend-api-url`). */
    private readonly apiBase: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly now: () => number,
  ) {}

  /** A valid token: the one held, or a new one when it is about to expire. */
  token(): Promise<string> {
    if (this.current && this.now() < this.current.renewAt) return Promise.resolve(this.current.token);
    this.signingIn ??= this.signIn().finally(() => {
      this.signingIn = undefined;
    });
    return this.signingIn;
  }

  private async signIn(): Promise<string> {
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
    // Derived from the secret: masked like it.
    registerSecret(basic);
    const asked = this.now();
    const res = await this.http.request({
      method: 'POST',
      url: `${this.apiBase}/security/oauth/token`,
      auth: false,
      headers: { authorization: `Basic ${basic}` },
      json: { audience: this.apiBase, grant_type: 'client_credentials' },
      // A sign-in changes nothing: another attempt after an unknown outcome is harmless.
      repeat: 'repeatable',
      schema: tokenSchema,
      maxBodyBytes: 64 * 1024,
      doing: 'signing in to Talend with the service account (talend-client-id)',
    });
    if (!res.body) throw new Error('Talend: signing in with the service account: the answer had no token.');
    const token = res.body.access_token;
    registerSecret(token);
    const lifetimeS = Number(res.body.expires_in);
    const lifetimeMs = (Number.isFinite(lifetimeS) && lifetimeS > 0 ? lifetimeS : DEFAULT_LIFETIME_S) * 1000;
    // Renew a little early (a tenth of the lifetime, at most a minute): a request sent just before
    // the expiry must not arrive just after it.
    this.current = { token, renewAt: asked + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
    return token;
  }
}
