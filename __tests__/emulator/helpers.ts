// Small fetch wrappers for the emulator's own tests.
import type { Emulator } from '../../emulator/index.js';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body: body as T, text };
}

export interface CallOptions {
  method?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Default: the service's own credential. `null`: none. */
  auth?: string | null;
}

function init(opts: CallOptions, defaultToken: string): RequestInit {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  const token = opts.auth === undefined ? defaultToken : opts.auth;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const req: RequestInit = { method: opts.method ?? 'GET', headers };
  if (body !== undefined) req.body = body;
  return req;
}

/** `path` is relative to the Qlik tenant root, or an absolute URL (pagination links). */
export async function qlik<T = any>(emu: Emulator, path: string, opts: CallOptions = {}): Promise<Answer<T>> {
  const url = path.startsWith('http') ? path : emu.qlikUrl + path;
  return answer<T>(await fetch(url, init(opts, emu.qlikApiKey)));
}

/** `path` is relative to the Talend API base (which has a path of its own). */
export async function talend<T = any>(emu: Emulator, path: string, opts: CallOptions = {}): Promise<Answer<T>> {
  const url = path.startsWith('http') ? path : emu.talendUrl + path;
  const req = init(opts, emu.talendToken);
  req.headers = { 'talend-version': '2021-03', ...(req.headers as Record<string, string>) };
  return answer<T>(await fetch(url, req));
}

export const filterParam = (name: string): string => `clientName eq "${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Follows links.next.href to the end; returns every page. */
export async function allPages(emu: Emulator, firstPath: string, maxPages = 1000): Promise<Answer[]> {
  const pages: Answer[] = [];
  let url: string | undefined = firstPath;
  while (url !== undefined) {
    const page: Answer = await qlik(emu, url);
    if (page.status !== 200) throw new Error(`page ${pages.length + 1}: status ${page.status} ${page.text}`);
    pages.push(page);
    if (pages.length > maxPages) throw new Error('too many pages');
    url = page.body.links.next?.href ?? undefined;
  }
  return pages;
}
