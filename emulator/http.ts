// The HTTP shell shared by both emulated services: read the body, log, look for violations,
// apply faults and latency, send the route's answer.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { defaultFaultBody, echoBody, serviceErrorBody, type FaultBook } from './faults.js';
import type { FaultRule, LoggedRequest, ServiceKind } from './types.js';

const MAX_BODY_BYTES = 1_000_000;

export interface RouteRequest {
  method: string;
  /** Path without query, relative to the service's base path. */
  path: string;
  /** Path and query as received. */
  rawPath: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  /** The service's own origin, for absolute links. */
  origin: string;
  requestId: string;
}

export interface RouteResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string; omitted for 204. */
  body?: unknown;
}

export interface ServiceDefinition {
  kind: ServiceKind;
  /** '' for Qlik; e.g. '/talend-api' for Talend. */
  basePath: string;
  /** `underBase`: the path is under basePath (else the route answers 404). */
  route(req: RouteRequest, underBase: boolean): RouteResponse;
  /** Looks for credential mistakes; called once per request before it is handled. */
  inspect(req: RouteRequest, underBase: boolean): string[];
}

/** What both services share: the log, listeners, faults, global latency, shutdown. */
export class Wire {
  readonly log: LoggedRequest[] = [];
  readonly violations: string[] = [];
  latencyMs = 0;
  private seq = 0;
  private readonly listeners = new Set<(r: LoggedRequest, phase: 'received' | 'done') => void>();
  private readonly closing = new AbortController();

  constructor(readonly faults: FaultBook) {}

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  close(): void {
    this.closing.abort();
  }

  onRequest(cb: (r: LoggedRequest, phase: 'received' | 'done') => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  emit(r: LoggedRequest, phase: 'received' | 'done'): void {
    for (const cb of [...this.listeners]) {
      try {
        cb(r, phase);
      } catch {
        // A test's listener must not break the emulator.
      }
    }
  }

  /** Resolves true after `ms`, false if the emulator closed meanwhile. */
  async sleep(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.closed;
    try {
      await sleepFor(ms, undefined, { signal: this.closing.signal });
      return true;
    } catch {
      return false;
    }
  }
}

export interface RunningService {
  origin: string;
  server: Server;
  close(): Promise<void>;
}

export async function startService(def: ServiceDefinition, wire: Wire, port = 0): Promise<RunningService> {
  const server = createServer((req, res) => {
    void handle(def, wire, server, req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.statusCode = 500;
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${actual}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(def: ServiceDefinition, wire: Wire, server: Server, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawBody = await readBody(req);
  const address = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${address.port}`;
  const rawPath = req.url ?? '/';
  const url = new URL(rawPath.startsWith('/') ? origin + rawPath : `${origin}/${rawPath}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = flattenHeaders(req);
  const underBase = def.basePath === '' || url.pathname === def.basePath || url.pathname.startsWith(`${def.basePath}/`);
  const routePath = underBase && def.basePath !== '' ? url.pathname.slice(def.basePath.length) || '/' : url.pathname;

  const entry: LoggedRequest = { seq: wire.nextSeq(), service: def.kind, method, path: rawPath, status: 0, at: Date.now(), headers };
  if (headers.authorization !== undefined) entry.authorization = headers.authorization;
  if (rawBody) entry.body = rawBody;
  wire.log.push(entry);

  const routeReq: RouteRequest = {
    method,
    path: routePath,
    rawPath,
    query: url.searchParams,
    headers,
    body: rawBody ?? '',
    origin,
    requestId: randomUUID(),
  };
  wire.violations.push(...def.inspect(routeReq, underBase));
  wire.emit(entry, 'received');

  const finish = (status: number): void => {
    entry.status = status;
    wire.emit(entry, 'done');
  };

  const send = async (answer: RouteResponse): Promise<void> => {
    if (!(await wire.sleep(wire.latencyMs)) || res.destroyed) return finish(0);
    const { status } = answer;
    const outHeaders: Record<string, string> = { ...(answer.headers ?? {}) };
    let payload = '';
    if (status !== 204 && status !== 304 && answer.body !== undefined) {
      if (typeof answer.body === 'string') {
        payload = answer.body;
        if (!hasHeader(outHeaders, 'content-type')) outHeaders['content-type'] = 'text/plain; charset=utf-8';
      } else {
        payload = JSON.stringify(answer.body);
        if (!hasHeader(outHeaders, 'content-type')) outHeaders['content-type'] = 'application/json; charset=utf-8';
      }
    }
    res.writeHead(status, outHeaders);
    await new Promise<void>((resolve) => res.end(payload, resolve));
    finish(status);
  };

  if (rawBody === undefined) {
    return send({ status: 413, body: serviceErrorBody(def.kind, 413, 'HTTP-413', 'Payload Too Large', undefined, routeReq.requestId) });
  }

  const rule = wire.faults.match(def.kind, method, routePath);
  const when = rule?.when ?? 'before';
  const runRoute = (): RouteResponse => {
    try {
      return def.route(routeReq, underBase);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return { status: 500, body: serviceErrorBody(def.kind, 500, 'HTTP-500', 'Internal emulator error', detail, routeReq.requestId) };
    }
  };

  if (!rule) return send(runRoute());

  const { action } = rule;
  if ('latencyMs' in action) {
    if (when === 'before' && !(await wire.sleep(action.latencyMs))) return finish(0);
    const answer = runRoute();
    if (when === 'after' && !(await wire.sleep(action.latencyMs))) return finish(0);
    return send(answer);
  }
  if ('rewrite' in action) return send(action.rewrite(runRoute()));
  if ('endless' in action) return sendEndless(wire, res, finish);
  if (when === 'after') runRoute();
  if ('hang' in action) return finish(0); // never answer; close() destroys the socket
  if ('reset' in action) {
    req.socket.destroy();
    return finish(0);
  }
  return send(faultAnswer(def.kind, rule, routeReq));
}

/** A 200 whose body never ends: chunks until the client hangs up or the emulator closes. */
async function sendEndless(wire: Wire, res: ServerResponse, finish: (status: number) => void): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  res.write('{"data":[');
  const chunk = `${'{"clientId":"x","clientName":"y","appType":"web"},'.repeat(256)}`;
  while (!res.destroyed && !wire.closed) {
    res.write(chunk);
    // Yield every chunk (the loop must not starve the emulator), longer while the client is slow.
    await new Promise((resolve) => setTimeout(resolve, res.writableNeedDrain ? 5 : 0));
  }
  finish(200);
}

function faultAnswer(service: ServiceKind, rule: FaultRule, req: RouteRequest): RouteResponse {
  const { action } = rule;
  if ('echo' in action) {
    const status = action.status ?? 400;
    return { status, body: echoBody(service, status, req.headers.authorization, req.body, req.requestId) };
  }
  if ('status' in action) {
    const reason = STATUS_CODES[action.status] ?? 'Error';
    const body = action.body !== undefined ? action.body : defaultFaultBody(service, action.status, action.headers, reason, req.requestId);
    const answer: RouteResponse = { status: action.status, body };
    if (action.headers) answer.headers = action.headers;
    return answer;
  }
  return { status: 500 };
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
