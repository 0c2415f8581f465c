import nock from './nock-setup.js';
import * as core from '@actions/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApiClient, ApiError } from '../../src/http/api-client.js';
import { MAX_ATTEMPTS } from '../../src/http/attempt.js';
import { createBudget } from '../../src/http/budget.js';
import type { RequestSpec } from '../../src/http/types.js';
import { registerSecret, resetSecretsForTest } from '../../src/secrets.js';
import {
  makeClient,
  netError,
  QLIK,
  QLIK_KEY,
  rejection,
  START,
  TALEND,
  TALEND_TOKEN,
} from './helpers.js';

vi.mock('@actions/core');

const CLIENTS = `${QLIK}/api/v1/oauth-clients`;
const CLIENT = `${CLIENTS}/c1`;
const SECRETS = `${CLIENT}/client-secrets`;
const TMC_AUTH = `${TALEND}/tmc/qlik-auth`;

type Spec = RequestSpec<unknown>;
/** A read of the OAuth client, or of `url`. */
const read = (url = CLIENT, more: Partial<Spec> = {}): Spec => ({
  method: 'GET', url, repeat: 'repeatable', doing: 'reading the OAuth client', ...more,
});
/** A creating POST: never repeated after an unknown outcome. */
const createSecret = (more: Partial<Spec> = {}): Spec => ({
  method: 'POST', url: SECRETS, json: {}, repeat: 'once', doing: 'creating a secret', ...more,
});
/** The idempotent PUT to TMC. */
const deliver = (more: Partial<Spec> = {}): Spec => ({
  method: 'PUT', url: TMC_AUTH, json: { clientId: 'c1', clientSecret: 's' }, repeat: 'repeatable',
  doing: 'delivering the secret to TMC', ...more,
});
const talend = { service: 'Talend', token: TALEND_TOKEN, allowedOrigins: [TALEND] } as const;
const times = <T>(n: number, reply: T): T[] => Array.from({ length: n }, () => reply);

/** Replies in order, counting what reached the server. */
function sequence(
  scope: nock.Scope,
  method: 'get' | 'post' | 'put' | 'delete',
  path: string,
  replies: Array<[number, unknown?, Record<string, string>?] | Error>,
) {
  const seen = { count: 0 };
  scope.on('request', () => seen.count++);
  for (const reply of replies) {
    const interceptor = scope.intercept(path, method.toUpperCase()).query(true);
    if (reply instanceof Error) {
      interceptor.replyWithError(reply);
      continue;
    }
    interceptor.reply(() => {
      const [status, body, headers] = reply;
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      return [status, text, headers ?? {}];
    });
  }
  return seen;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  resetSecretsForTest();
  registerSecret(QLIK_KEY);
  registerSecret(TALEND_TOKEN);
});
afterEach(() => {
  nock.cleanAll();
  vi.clearAllMocks();
});

describe('sending', () => {
  it('fails an unmocked request: nock must not be bypassed', async () => {
    const { client } = makeClient();
    const error = await rejection(client.request(createSecret({ url: `${SECRETS}?secret=query-value` })));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: 1 });
    // ENETUNREACH is nock's NetConnectNotAllowedError; a DNS error would mean nock was bypassed.
    expect(error.message).toContain('network error ENETUNREACH');
    expect(error.message).not.toContain('query-value');
  });

  it('sends the bearer token, Accept, default headers and a JSON body; validates the answer', async () => {
    const scope = nock(TALEND, {
      reqheaders: {
        authorization: `Bearer ${TALEND_TOKEN}`,
        accept: 'application/json',
        'content-type': 'application/json',
        'talend-version': '2021-03',
        'x-extra': 'yes',
      },
    })
      .post('/processing/executions', { executable: 'task-1' })
      .reply(201, { executionId: 'ex-1' });
    const { client } = makeClient({
      service: 'Talend',
      token: TALEND_TOKEN,
      allowedOrigins: [`${TALEND}/`],
      defaultHeaders: { 'Talend-Version': '2021-03' },
    });
    const res = await client.request({
      method: 'POST',
      url: `${TALEND}/processing/executions`,
      json: { executable: 'task-1' },
      headers: { 'X-Extra': 'yes' },
      repeat: 'once',
      schema: z.object({ executionId: z.string() }),
      doing: 'starting the check task',
    });
    expect(res).toMatchObject({ status: 201, body: { executionId: 'ex-1' }, attempts: 1 });
    expect(res.headers['content-type']).toContain('application/json');
    expect(scope.isDone()).toBe(true);
  });

  it('sends a form body and, with auth: false, no Authorization header', async () => {
    const scope = nock(QLIK, { badheaders: ['authorization'] })
      .post('/oauth/token', 'grant_type=client_credentials&client_id=c1&client_secret=s+1%26')
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, { access_token: 'at', token_type: 'bearer' });
    const { client } = makeClient();
    const res = await client.request({
      method: 'POST',
      url: `${QLIK}/oauth/token`,
      form: { grant_type: 'client_credentials', client_id: 'c1', client_secret: 's 1&' },
      auth: false,
      repeat: 'repeatable',
      doing: 'verifying the new secret',
    });
    expect(res.status).toBe(200);
    expect(scope.isDone()).toBe(true);
  });

  it('returns an empty 2xx body as undefined without applying the schema', async () => {
    nock(QLIK).delete('/api/v1/oauth-clients/c1/client-secrets/h1').reply(204);
    const { client } = makeClient();
    const res = await client.request({
      method: 'DELETE',
      url: `${SECRETS}/h1`,
      repeat: 'repeatable',
      schema: z.object({ never: z.string() }),
      doing: 'deleting a secret',
    });
    expect(res).toMatchObject({ status: 204, body: undefined, attempts: 1 });
  });

  it('returns an accepted status instead of throwing', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients/nope')
      .reply(404, { errors: [{ code: 'HTTP-404', title: 'Not found' }] });
    const { client } = makeClient();
    const res = await client.request(read(`${CLIENTS}/nope`, { accept: [404] }));
    expect(res).toMatchObject({ status: 404, attempts: 1 });
  });
});

describe('credentials stay on their origin', () => {
  it('does not send the token to another origin, and does not name the URL', async () => {
    const foreign = nock('https://evil.example').get(/.*/).reply(200, {});
    const otherPort = nock('https://acme.eu.qlikcloud.com:8443').get(/.*/).reply(200, {});
    const { client } = makeClient();
    const foreignUrls = [
      'https://evil.example/api/v1/oauth-clients?page=tok',
      'https://acme.eu.qlikcloud.com:8443/x',
      'http://acme.eu.qlikcloud.com/x',
    ];
    for (const url of foreignUrls) {
      const doing = 'reading the next page of OAuth clients';
      const error = await rejection(client.request(read(url, { doing })));
      expect(error).toMatchObject({ kind: 'origin', attempts: 0 });
      expect(error.message).toBe(
        'Qlik: reading the next page of OAuth clients: refused to send the Qlik credentials to a link on another origin',
      );
    }
    // Client credentials in a body are credentials too.
    const error = await rejection(
      client.request({
        method: 'POST', url: 'https://evil.example/oauth/token', form: { client_secret: 's' }, auth: false,
        repeat: 'repeatable', doing: 'verifying',
      }),
    );
    expect(error).toMatchObject({ kind: 'origin' });
    expect(foreign.isDone()).toBe(false);
    expect(otherPort.isDone()).toBe(false);
  });

  it('does not follow a redirect: a 3xx is a status error', async () => {
    const foreign = nock('https://evil.example').get(/.*/).reply(200, {});
    nock(QLIK).get('/api/v1/oauth-clients').reply(302, '', { location: 'https://evil.example/steal' });
    const { client } = makeClient();
    const error = await rejection(client.request(read(CLIENTS)));
    expect(error).toMatchObject({ kind: 'status', status: 302, attempts: 1 });
    expect(foreign.isDone()).toBe(false);
  });

  it('refuses an unparsable URL without echoing it', async () => {
    const { client } = makeClient();
    const error = await rejection(client.request(read('not a url pw=hunter2')));
    expect(error).toMatchObject({ kind: 'origin' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds on a 429', async () => {
    const seen = sequence(nock(QLIK), 'get', '/api/v1/oauth-clients', [
      [429, { errors: [{ code: 'HTTP-429', title: 'API rate limit reached.' }] }, { 'Retry-After': '2' }],
      [200, { data: [] }],
    ]);
    const { client, time } = makeClient();
    const res = await client.request(read(CLIENTS));
    expect(res).toMatchObject({ status: 200, attempts: 2, body: { data: [] } });
    expect(time.sleeps).toEqual([2_000]);
    expect(seen.count).toBe(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    sequence(nock(QLIK), 'get', '/api/v1/oauth-clients', [
      [429, undefined, { 'Retry-After': new Date(START + 3_000).toUTCString() }],
      [200, { data: [] }],
    ]);
    const { client, time } = makeClient();
    await client.request(read(CLIENTS));
    expect(time.sleeps).toEqual([3_000]);
  });

  it.each([
    ['seconds to wait', () => '4', 4_000],
    ['epoch seconds', () => String(START / 1000 + 6), 6_000],
    ['epoch milliseconds', () => String(START + 1_500), 1_500],
  ])('honours Talend X-RateLimit-Reset as %s', async (_name, value, expected) => {
    sequence(nock(TALEND), 'get', '/processing/executions/ex-1', [
      [429, { status: 429, message: 'Too many requests' }, { 'X-RateLimit-Reset': value() }],
      [200, { status: 'executing' }],
    ]);
    const { client, time } = makeClient(talend);
    const res = await client.request(read(`${TALEND}/processing/executions/ex-1`));
    expect(res.attempts).toBe(2);
    expect(time.sleeps).toEqual([expected]);
  });

  it('retries a 429 for a creating POST: the server did not act', async () => {
    const seen = sequence(nock(QLIK), 'post', '/api/v1/oauth-clients/c1/client-secrets', [
      [429, undefined, { 'Retry-After': '1' }],
      [201, { secret: 'new-secret', hint: 'abcde' }],
    ]);
    const { client } = makeClient();
    const res = await client.request(createSecret());
    expect(res).toMatchObject({ status: 201, attempts: 2 });
    expect(seen.count).toBe(2);
  });

  it('retries a 503 with jittered backoff, then succeeds', async () => {
    const seen = sequence(nock(QLIK), 'get', '/api/v1/oauth-clients/c1', [
      [503],
      [503],
      [200, { clientId: 'c1' }],
    ]);
    const { client, time, budget } = makeClient();
    const res = await client.request(read());
    expect(res).toMatchObject({ status: 200, attempts: 3 });
    expect(seen.count).toBe(3);
    // random() = 0.5 of min(cap, base · 2^(n-1))
    expect(time.sleeps).toEqual([budget.backoffBaseMs / 2, budget.backoffBaseMs]);
  });

  it('Retry-After: 0 still waits half the backoff ceiling, growing: no tight loop', async () => {
    sequence(nock(QLIK), 'get', '/api/v1/oauth-clients/c1', [
      [503, undefined, { 'Retry-After': '0' }],
      [429, undefined, { 'Retry-After': '0' }],
      [429, undefined, { 'Retry-After': '0' }],
      [200, {}],
    ]);
    const { client, time, budget } = makeClient();
    await client.request(read());
    const base = budget.backoffBaseMs;
    expect(time.sleeps).toEqual([base / 2, base, base * 2]);
  });

  it('cuts an answer at the request\'s own size cap', async () => {
    nock(QLIK).get('/api/v1/oauth-clients/c1').times(8).reply(200, { clientId: 'c1', pad: 'x'.repeat(2048) });
    const { client } = makeClient({ timeoutSeconds: 5 });
    const error = await rejection(client.request(read(CLIENT, { maxBodyBytes: 1024 })));
    expect(error.message).toMatch(/larger than this request allows/);
  });

  it('honours Retry-After on a 503', async () => {
    sequence(nock(QLIK), 'get', '/api/v1/oauth-clients/c1', [
      [503, undefined, { 'Retry-After': '5' }],
      [200, {}],
    ]);
    const { client, time } = makeClient();
    await client.request(read());
    expect(time.sleeps).toEqual([5_000]);
  });

  it('never retries a 500', async () => {
    const seen = sequence(nock(QLIK), 'get', '/api/v1/oauth-clients/c1', [
      [500, { errors: [{ code: 'HTTP-500', title: 'Internal error' }] }],
      [200, {}],
    ]);
    const { client, time } = makeClient();
    const error = await rejection(client.request(read()));
    expect(error).toMatchObject({
      kind: 'status', status: 500, code: 'HTTP-500', title: 'Internal error', attempts: 1,
    });
    expect(error.message).toBe(
      'Qlik: reading the OAuth client failed: HTTP 500 (code HTTP-500: "Internal error")',
    );
    expect(seen.count).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it.each([
    ['a 502', [502] as [number]],
    ['a 503', [503] as [number]],
    ['a 504', [504] as [number]],
    ['a reset', netError('ECONNRESET', 'socket hang up')],
    ['an http-client socket timeout', new Error('Request timeout: /api/v1/oauth-clients?x=secret')],
  ])('never repeats a creating POST after %s: the outcome is unknown', async (_name, failure) => {
    const path = '/api/v1/oauth-clients/c1/client-secrets';
    const seen = sequence(nock(QLIK), 'post', path, [failure, [201, {}], [201, {}]]);
    const { client, time } = makeClient();
    const error = await rejection(client.request(createSecret()));
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: 1 });
    expect(error.message).toMatch(/^Qlik: creating a secret: .*the outcome is unknown$/);
    expect(error.message).not.toContain('x=secret');
    expect(time.sleeps).toEqual([]);
    expect(seen.count).toBe(1);
  });

  it('repeats an idempotent PUT until a definite answer', async () => {
    const seen = sequence(nock(TALEND), 'put', '/tmc/qlik-auth', [
      [502],
      netError('ECONNRESET'),
      [504],
      [200, { connected: true }],
    ]);
    const { client } = makeClient(talend);
    const res = await client.request(deliver());
    expect(seen.count).toBe(4);
    expect(res).toMatchObject({ status: 200, attempts: 4 });
  });

  it('retries a 429 even when the caller accepts every 4xx as a definite answer', async () => {
    const seen = sequence(nock(TALEND), 'put', '/tmc/qlik-auth', [
      [429, { status: 429, message: 'Too many requests' }, { 'X-RateLimit-Reset': '1' }],
      [429],
      [400, { status: 400, message: 'Connection check failed' }],
    ]);
    const { client } = makeClient(talend);
    const res = await client.request(deliver({ accept: [400, 401, 403, 404, 409, 429] }));
    expect(res).toMatchObject({ status: 400, attempts: 3, body: { message: 'Connection check failed' } });
    expect(seen.count).toBe(3);
  });

  it('a refusal after an attempt that may have acted (a 503) is an unknown outcome, not a refusal', async () => {
    sequence(nock(TALEND), 'put', '/tmc/qlik-auth', [[503], [400, { status: 400, message: 'Connection check failed' }]]);
    const { client } = makeClient(talend);
    const error = await rejection(client.request(deliver({ accept: [400] })));
    expect(error).toMatchObject({ kind: 'unknown-outcome', status: 400 });
  });

  it('ends a write that may have reached the server as unknown-outcome when retries run out', async () => {
    sequence(nock(TALEND), 'put', '/tmc/qlik-auth', [netError('ECONNRESET'), ...times(10, [503] as [number])]);
    const { client } = makeClient({ ...talend, timeoutSeconds: 3600 });
    const error = await rejection(client.request(deliver()));
    expect(error).toMatchObject({ kind: 'unknown-outcome', status: 503, attempts: MAX_ATTEMPTS });
    expect(error.message).toBe(
      `Talend: delivering the secret to TMC: HTTP 503 after ${MAX_ATTEMPTS} attempts; ` +
        'no more attempts allowed; the outcome is unknown',
    );
  });

  it('reports a read that timed out on its last attempt as unknown-outcome', async () => {
    sequence(nock(QLIK), 'get', '/api/v1/oauth-clients/c1', times(10, netError('ECONNRESET')));
    const { client } = makeClient({ timeoutSeconds: 3600 });
    const error = await rejection(client.request(read()));
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: MAX_ATTEMPTS });
    expect(error.status).toBeUndefined();
    expect(error.message).toBe(
      `Qlik: reading the OAuth client: no answer after ${MAX_ATTEMPTS} attempts (connection reset); ` +
        'no more attempts allowed; the outcome is unknown',
    );
  });
});

describe('the deadline', () => {
  it('stops retrying when the next wait would not fit before the work deadline', async () => {
    const scope = nock(QLIK);
    const seen = sequence(scope, 'get', '/api/v1/oauth-clients/c1', times(10, [503] as [number]));
    const { client, time, budget } = makeClient({ timeoutSeconds: 5, random: () => 0.99 });
    const startedAt: number[] = [];
    scope.on('request', () => {
      startedAt.push(time.clock.now());
      time.advance(400); // each answer takes 400 ms
    });
    const error = await rejection(client.request(read()));
    expect(error).toMatchObject({ kind: 'status', status: 503 });
    expect(error.message).toMatch(
      /HTTP 503 after \d attempts; the run's time budget leaves no time for another attempt$/,
    );
    expect(seen.count).toBe(error['attempts']);
    expect(seen.count).toBeGreaterThanOrEqual(3); // a 5-second run still retries a few times
    expect(seen.count).toBeLessThan(MAX_ATTEMPTS);
    // Every attempt started with at least the smallest useful slot left; the next would not have.
    for (const at of startedAt) {
      expect(at).toBeLessThanOrEqual(budget.workDeadline - budget.minRequestMs);
    }
    const ceiling = Math.min(budget.backoffCapMs, budget.backoffBaseMs * 2 ** (seen.count - 1));
    const nextWait = Math.floor(0.99 * ceiling);
    expect(time.clock.now() + nextWait + budget.minRequestMs).toBeGreaterThan(budget.workDeadline);
  });

  it('does not wait for a Retry-After that ends after the deadline', async () => {
    const seen = sequence(nock(QLIK), 'get', '/api/v1/oauth-clients', [
      [
        429,
        { errors: [{ code: 'HTTP-429', title: 'API rate limit reached.', detail: 'Wait 120 seconds' }] },
        { 'Retry-After': '120' },
      ],
      [200, {}],
    ]);
    const { client, time } = makeClient({ timeoutSeconds: 5 });
    const error = await rejection(client.request(read(CLIENTS, { doing: 'listing OAuth clients' })));
    expect(error).toMatchObject({ kind: 'status', status: 429, attempts: 1 });
    expect(error.message).toBe(
      'Qlik: listing OAuth clients failed: HTTP 429 (code HTTP-429: "API rate limit reached.") ' +
        "after 1 attempt; the server asked to wait 120 s, longer than the run's time budget allows",
    );
    expect(time.sleeps).toEqual([]);
    expect(seen.count).toBe(1);
  });

  it('sends nothing once the work deadline has passed, but a final-deadline request still goes', async () => {
    const scope = nock(QLIK).patch(/.*/).reply(204);
    const { client, time, budget } = makeClient({ timeoutSeconds: 10 });
    time.advance(budget.workDeadline - START);
    const error = await rejection(client.request(createSecret()));
    expect(error).toMatchObject({ kind: 'deadline', attempts: 0 });
    expect(error.message).toBe(
      "Qlik: creating a secret: the run's time budget ran out before the request could be sent",
    );
    const res = await client.request(
      read(CLIENT, { method: 'PATCH', json: [], until: 'final', doing: 'writing the record' }),
    );
    expect(res.status).toBe(204);
    expect(scope.isDone()).toBe(true);
  });

  it('times out a request that gets no answer (nock delay), without resending a creating POST', async () => {
    const scope = nock(QLIK)
      .post('/api/v1/oauth-clients/c1/client-secrets')
      .delay(3_000)
      .reply(201, {})
      .post(/.*/)
      .reply(201, {});
    let reached = 0;
    scope.on('request', () => reached++);
    const { client } = makeClient({ budget: createBudget(5) });
    const started = Date.now();
    const error = await rejection(client.request(createSecret()));
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: 1 });
    expect(error.message).toBe(
      'Qlik: creating a secret: no answer (timeout after 1 s); ' +
        'the request is not repeated because the server may have acted on it; the outcome is unknown',
    );
    expect(reached).toBe(1);
  });
});

describe('DELETE', () => {
  it('counts a 404 after a retry as done', async () => {
    sequence(nock(QLIK), 'delete', '/api/v1/oauth-clients/c1/client-secrets/h1', [
      [503],
      [404, { errors: [{ code: 'HTTP-404', title: 'Not found' }] }],
    ]);
    const { client } = makeClient();
    const res = await client.request(read(`${SECRETS}/h1`, { method: 'DELETE', doing: 'deleting a secret' }));
    expect(res).toMatchObject({ status: 404, attempts: 2 });
  });

  it('reports a 404 on the first attempt', async () => {
    nock(QLIK)
      .delete('/api/v1/oauth-clients/c1/client-secrets/h1')
      .reply(404, { errors: [{ code: 'HTTP-404', title: 'Not found' }] });
    const { client } = makeClient();
    const error = await rejection(
      client.request(read(`${SECRETS}/h1`, { method: 'DELETE', doing: 'deleting a secret' })),
    );
    expect(error).toMatchObject({ kind: 'status', status: 404, attempts: 1 });
  });
});

describe('untrusted answers', () => {
  it('keeps secrets echoed in a Qlik error body out of the error', async () => {
    registerSecret('correct horse battery staple');
    nock(QLIK)
      .post('/oauth/token')
      .reply(401, {
        errors: [
          {
            code: QLIK_KEY,
            title: 'invalid client_secret correct horse battery staple',
            detail: 'you sent client_secret=correct horse battery staple with SHOULD-NOT-APPEAR',
          },
        ],
      });
    const { client } = makeClient();
    const error = await rejection(
      client.request({
        method: 'POST', url: `${QLIK}/oauth/token`, form: { client_secret: 'correct horse battery staple' },
        auth: false, repeat: 'repeatable', doing: 'verifying the new secret',
      }),
    );
    expect(error).toMatchObject({ kind: 'status', status: 401, code: undefined });
    expect(error.message).toBe(
      'Qlik: verifying the new secret failed: HTTP 401 ("invalid client_secret ***")',
    );
    const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
    for (const leak of [QLIK_KEY, 'correct horse', 'SHOULD-NOT-APPEAR']) {
      expect(everything).not.toContain(leak);
    }
  });

  it('keeps secrets echoed in a Talend error body out of the error; shows status and message', async () => {
    nock(TALEND)
      .put('/tmc/qlik-auth')
      .reply(400, {
        status: 400,
        message: `Connection check failed for ${TALEND_TOKEN}\n::error::forged`,
        detail: 'clientSecret=abc',
        requestId: 'r1',
      });
    const { client } = makeClient(talend);
    const error = await rejection(client.request(deliver()));
    const title = 'Connection check failed for *** ::error::forged';
    expect(error).toMatchObject({ kind: 'status', status: 400, title });
    expect(error.message).toBe(`Talend: delivering the secret to TMC failed: HTTP 400 ("${title}")`);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('clientSecret');
  });

  it('gives invalid-response without the body for a 2xx that is not JSON', async () => {
    nock(QLIK)
      .post('/api/v1/oauth-clients/c1/client-secrets')
      .reply(201, `{"secret":"sk_live_SECRET_VALUE", oops`);
    const { client } = makeClient();
    const error = await rejection(client.request(createSecret()));
    expect(error).toMatchObject({ kind: 'invalid-response', status: 201, attempts: 1 });
    expect(error.message).toBe('Qlik: creating a secret: the answer (HTTP 201) is not valid JSON');
  });

  it('gives invalid-response with the paths of a schema mismatch, never the values', async () => {
    nock(QLIK)
      .get('/api/v1/oauth-clients')
      .query(true)
      .reply(200, {
        data: [{ clientId: 'c1' }, { clientId: 42, clientName: 'SECRET-VALUE-IN-BODY' }],
        links: { next: 'x' },
      });
    const schema = z.object({
      data: z.array(z.object({ clientId: z.string(), clientName: z.string() })),
      links: z.object({ next: z.object({ href: z.string() }) }),
    });
    const { client } = makeClient();
    const error = await rejection(
      client.request(read(`${CLIENTS}?filter=x`, { schema, doing: 'listing OAuth clients' })),
    );
    expect(error).toMatchObject({ kind: 'invalid-response', status: 200 });
    expect(error.message).toBe(
      'Qlik: listing OAuth clients: the answer (HTTP 200) does not have the expected shape ' +
        '(at data.0.clientName, data.1.clientId, links.next)',
    );
  });

  it('writes debug lines with method, path, status, attempt and wait only', async () => {
    sequence(nock(QLIK), 'post', '/oauth/token', [
      [429, { errors: [{ code: 'HTTP-429', title: `echo ${QLIK_KEY}` }] }, { 'Retry-After': '1' }],
      [200, { access_token: 'ACCESS-TOKEN-VALUE' }],
    ]);
    const { client, debugLines } = makeClient();
    await client.request({
      method: 'POST', url: `${QLIK}/oauth/token?client_secret=QUERY-SECRET`, json: { client_secret: 'BODY-SECRET' },
      repeat: 'repeatable', doing: 'verifying',
    });
    expect(debugLines).toEqual([
      'Qlik POST /oauth/token?… → 429 (attempt 1)',
      'Qlik POST /oauth/token?…: retrying in 1000 ms',
      'Qlik POST /oauth/token?… → 200 (attempt 2)',
    ]);
  });

  it('uses core.debug by default and never hands it the token or a body', async () => {
    nock(QLIK).get('/api/v1/oauth-clients/c1').reply(200, { clientId: 'c1', note: 'BODY-TEXT' });
    const budget = createBudget(60);
    const client = new ApiClient({ service: 'Qlik', token: QLIK_KEY, allowedOrigins: [QLIK], budget });
    await client.request(read());
    const lines = vi.mocked(core.debug).mock.calls.map((c) => c[0]);
    expect(lines).toEqual(['Qlik GET /api/v1/oauth-clients/c1 → 200 (attempt 1)']);
    client.dispose();
  });
});
