// GET /api/v1/oauth-clients: filter, sort, limit, cursor pagination with absolute links.
import type { RouteRequest, RouteResponse } from './http.js';
import { compileFilter, FilterError, type ClientFilter, type FilterAttribute } from './qlik-filter.js';
import { adminView, badRequest, type TenantInfo } from './qlik-views.js';
import type { QlikClientState } from './types.js';

const SORTABLE = ['clientId', 'clientName', 'appType', 'tenantId', 'createdAt', 'updatedAt'] as const;
type SortKey = (typeof SORTABLE)[number];

interface Cursor {
  /** Offset into the (sorted; when pages are not sparse, also filtered) list. */
  o: number;
}

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify({ v: 1, ...c })).toString('base64url');

function decodeCursor(raw: string): Cursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed) {
      const o = (parsed as { o: unknown }).o;
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return { o };
    }
  } catch {
    // fall through
  }
  return undefined;
}

function sortValue(c: QlikClientState, key: SortKey, tenant: TenantInfo): string {
  return key === 'tenantId' ? tenant.tenantId : c[key];
}

export function listClients(all: QlikClientState[], req: RouteRequest, tenant: TenantInfo, sparsePages: boolean): RouteResponse {
  const q = req.query;
  if (q.has('next') && q.has('prev')) return badRequest('next and prev cannot be used together');

  let limit = 20;
  const rawLimit = q.get('limit');
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit.trim())) return badRequest('limit must be an integer between 1 and 100');
    limit = Number(rawLimit.trim());
    if (limit < 1 || limit > 100) return badRequest('limit must be an integer between 1 and 100');
  }

  let filter: ClientFilter | undefined;
  const rawFilter = q.get('filter');
  if (rawFilter !== null && rawFilter.trim() !== '') {
    try {
      filter = compileFilter(rawFilter);
    } catch (err) {
      if (err instanceof FilterError) return badRequest(`invalid filter: ${err.message}`);
      throw err;
    }
  }

  let ordered = all;
  const rawSort = q.get('sort');
  if (rawSort !== null && rawSort.trim() !== '') {
    // An unencoded '+' arrives as a space.
    const m = /^([+-]?)(\w+)$/.exec(rawSort.trim());
    const key = SORTABLE.find((k) => k === m?.[2]);
    if (!m || !key) return badRequest(`invalid sort '${rawSort}'`);
    const dir = m[1] === '-' ? -1 : 1;
    ordered = [...all].sort((a, b) => {
      const va = sortValue(a, key, tenant);
      const vb = sortValue(b, key, tenant);
      return va < vb ? -dir : va > vb ? dir : 0;
    });
  }

  const matches = (c: QlikClientState): boolean =>
    filter === undefined ||
    filter({ clientId: c.clientId, clientName: c.clientName, appType: c.appType, tenantId: tenant.tenantId, createdByType: 'user' } satisfies Record<
      FilterAttribute,
      string
    >);

  // Sparse: pages are fixed-size chunks of the whole list, filtered afterwards, so a page can be
  // short or empty and still have a next link. Otherwise: filter first, then cut pages.
  const sparse = sparsePages && filter !== undefined;
  const space = sparse ? ordered : ordered.filter(matches);

  let start = 0;
  const cursorParam = q.get('next') ?? q.get('prev');
  if (cursorParam !== null) {
    const cursor = decodeCursor(cursorParam);
    if (!cursor) return badRequest('invalid page cursor');
    start = cursor.o;
  }
  const chunk = space.slice(start, start + limit);
  const items = sparse ? chunk.filter(matches) : chunk;

  const link = (cursorName?: 'next' | 'prev', offset?: number): { href: string } => {
    const params: [string, string][] = [];
    for (const [k, v] of q) if (k !== 'next' && k !== 'prev') params.push([k, v]);
    if (cursorName !== undefined && offset !== undefined) params.push([cursorName, encodeCursor({ o: offset })]);
    // RFC 3986 encoding (%20 for a space), as Qlik's own links: URLSearchParams would write `+`.
    const qs = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    return { href: `${req.origin}/api/v1/oauth-clients${qs ? `?${qs}` : ''}` };
  };

  const links: Record<string, { href: string }> = { self: { href: `${req.origin}${req.rawPath}` } };
  if (start + limit < space.length) links.next = link('next', start + limit);
  if (start > 0) links.prev = link('prev', Math.max(0, start - limit));

  const body: Record<string, unknown> = { data: items.map((c) => adminView(c, tenant, 'list')), links };
  if (q.get('totalResults')?.toLowerCase() === 'true') body.totalResults = filter ? ordered.filter(matches).length : ordered.length;
  return { status: 200, body };
}
