/**
 * Hangs, stalls and resets against a real local server: these are the failures a mock cannot
 * fake faithfully (a body that never ends, a connection cut mid-body, a refused port).
 */
import nock from './nock-setup.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from '@actions/http-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_ATTEMPTS } from '../../src/http/attempt.js';
import { createBudget, type RunBudget } from '../../src/http/budget.js';
import type { RequestSpec } from '../../src/http/types.js';
import { makeClient, QLIK_KEY, rejection } from './helpers.js';

vi.mock('@actions/core');

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server;
let origin: string;
let handler: Handler = (_req, res) => res.end('{}');
interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  /** The connection closed before the server finished answering. */
  cutOff?: boolean;
}
let received: Received[] = [];

beforeAll(async () => {
  nock.enableNetConnect('127.0.0.1');
  server = createServer((req, res) => {
    const { method = '', url = '' } = req;
    const entry: Received = { method, url, authorization: req.headers.authorization };
    received.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) entry.cutOff = true;
    });
    req.resume();
    handler(req, res, received.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  received = [];
  server.closeAllConnections();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  nock.disableNetConnect();
});

const get = (url: string, more: Partial<RequestSpec> = {}): RequestSpec => ({
  method: 'GET', url, repeat: 'repeatable', doing: 'reading', ...more,
});
const create = (url: string): RequestSpec => ({
  method: 'POST', url, json: {}, repeat: 'once', doing: 'creating a secret',
});

const local = (overrides: Parameters<typeof makeClient>[0] = {}) =>
  makeClient({ allowedOrigins: [origin], budget: createBudget(5), ...overrides });

describe('timeouts and resets (real server, 5-second budget)', () => {
  it('reaches the real server with the token (sanity check of this file)', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const { client } = local();
    const res = await client.request(get(`${origin}/ping`));
    expect(res).toMatchObject({ status: 200, body: { ok: true }, attempts: 1 });
    expect(received).toEqual([{ method: 'GET', url: '/ping', authorization: `Bearer ${QLIK_KEY}` }]);
  });

  it('times out a creating POST that gets no answer and never sends it again', async () => {
    handler = () => undefined; // never answers
    const { client } = local();
    const started = Date.now();
    const error = await rejection(client.request(create(`${origin}/api/v1/oauth-clients`)));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: 1 });
    expect(error.message).toContain('no answer (timeout after 1 s)');
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2_000);
    expect(received).toHaveLength(1);
    // Destroyed, not merely abandoned: the server sees the connection close.
    await vi.waitFor(() => expect(received[0]?.cutOff).toBe(true), { timeout: 500 });
  });

  it('adds its timeout to an injected http client too', async () => {
    handler = () => undefined;
    const httpClient = new HttpClient('test', [], { allowRedirects: false, socketTimeout: 60_000 });
    const { client } = local({ httpClient });
    const started = Date.now();
    const error = await rejection(client.request(get(`${origin}/x`, { repeat: 'once' })));
    expect(error.message).toContain('timeout after 1 s');
    expect(Date.now() - started).toBeLessThan(2_000);
    await vi.waitFor(() => expect(received[0]?.cutOff).toBe(true), { timeout: 500 });
  });

  it('times out a server that sent headers but stalls in the body, then retries a read', async () => {
    handler = (_req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data": [');
        return; // stalls
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
    };
    const { client, debugLines } = local();
    const started = Date.now();
    const res = await client.request(get(`${origin}/api/v1/oauth-clients?filter=x`));
    expect(res).toMatchObject({ status: 200, body: { data: [] }, attempts: 2 });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(debugLines[0]).toBe('Qlik GET /api/v1/oauth-clients?… → timeout after 1 s (attempt 1)');
  });

  it('bounds a request by what is left of the deadline, not only by the request timeout', async () => {
    handler = () => undefined;
    let now = 0;
    const budget: RunBudget = {
      startedAt: 0, deadline: 60_000, workDeadline: 50_000, reserveMs: 10_000,
      requestTimeoutMs: 20_000, minRequestMs: 100, backoffBaseMs: 100, backoffCapMs: 500,
      leaseSettleMs: 200, verifyWindowMs: 2_000, pollStartMs: 200, pollCapMs: 500,
      now: () => now,
      remainingMs: (until = 'work') => Math.max(0, (until === 'final' ? 60_000 : 50_000) - now),
    };
    now = 49_600; // 400 ms of work time left
    const { client } = local({ budget });
    const started = Date.now();
    const error = await rejection(client.request(create(`${origin}/x`)));
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error.message).toContain('timeout after 0.4 s');
  });

  it('does not hang when the connection is cut mid-body; a creating POST is not resent', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"secret":"half');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const { client } = local();
    const started = Date.now();
    const error = await rejection(client.request(create(`${origin}/api/v1/oauth-clients/c1/client-secrets`)));
    // Ended by the cut itself, not by the 1-second attempt timeout.
    expect(error.message).toContain('no answer (connection reset)');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: 1 });
    expect(error.message).not.toContain('half');
    expect(received).toHaveLength(1);
  });

  it('retries a read on a reset before any answer', async () => {
    handler = (req, res, n) => {
      if (n === 1) req.socket.destroy();
      else res.end('{}');
    };
    const { client } = local();
    const res = await client.request(get(`${origin}/x`));
    expect(res.attempts).toBe(2);
  });

  it('retries a refused connection for a read until the attempt cap, as unknown-outcome', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = `http://127.0.0.1:${port}`;
    const { client } = local({ allowedOrigins: [refused] });
    const error = await rejection(client.request(get(`${refused}/x`)));
    expect(error).toMatchObject({ kind: 'unknown-outcome', attempts: MAX_ATTEMPTS });
    expect(error.message).toContain('(connection refused)');
  });
});
