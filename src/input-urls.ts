/**
 * The policy for every URL input (qlik-tenant-url, talend-api-url, talend-qlik-auth-url): https
 * only (http for loopback hosts), no user-info, query or fragment, no `.` or `..` segments. Each
 * function converts the trimmed text of one input for the table in inputs.ts and reports every
 * problem as a predicate about the input, never quoting the value (a URL may carry a password).
 */

/** Reports one problem with the input being converted; the caller adds the input's name. */
export type Report = (problem: string) => void;

/** Characters that would break a URL, an HTTP header or a log line. */
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/;

const QLIK_CLOUD_HOST_SUFFIXES = ['.qlikcloud.com', '.qlikcloudgov.com'];

export function isLoopbackHost(hostname: string): boolean {
  // WHATWG URL has already normalised the host: lower-case, IPv4 as dotted decimal, IPv6 compressed.
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(hostname)
  );
}

/** `.` or `..`, also percent-encoded: a URL parser would walk the path there. */
function isDotSegment(segment: string): boolean {
  const s = segment.replace(/%2e/gi, '.');
  return s === '.' || s === '..';
}

/**
 * The URL rules shared by every URL input. Checks the raw text as well as the parsed URL, because
 * the parser quietly drops an empty query or fragment and removes tabs and new lines.
 */
function checkedUrl(text: string, report: Report): URL | undefined {
  let rawProblems = 0;
  const note: Report = (problem) => {
    rawProblems += 1;
    report(problem);
  };
  if (WHITESPACE_OR_CONTROL.test(text)) note('must not contain spaces or control characters');
  if (text.includes('@')) note("must not contain user-info or any '@'");
  if (text.includes('?')) note("must not contain a query ('?')");
  if (text.includes('#')) note("must not contain a fragment ('#')");
  // The URL parser resolves '.' and '..' silently: the request would go to a path other than the
  // one written. Checked on the raw text, after the scheme and host.
  const rawPath = text.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '');
  if (rawPath.split('/').some(isDotSegment)) note("must not contain '.' or '..' segments");

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    if (rawProblems === 0) report('must be an absolute https:// URL');
    return undefined;
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))) {
    report('must use https:// (http:// is allowed only for loopback hosts)');
  }
  // Unreachable after the raw checks above; kept so a parser quirk cannot let one through.
  const hidden = url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '';
  if (rawProblems === 0 && hidden) {
    report('must not contain user-info, a query or a fragment');
  }
  return url;
}

/** The tenant's origin: no path, no trailing slash. */
export function qlikTenantUrl(text: string, report: Report): string {
  const url = checkedUrl(text, report);
  if (url === undefined) return '';
  if (url.pathname !== '/') report("must not have a path (a trailing '/' is allowed)");
  return url.origin;
}

/** A base URL: origin plus path, without a trailing slash. */
export function talendApiUrl(text: string, report: Report): string {
  const url = checkedUrl(text, report);
  if (url === undefined) return '';
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A TMC URL input as given (absolute, or a path) resolved against the Talend API base, whose own path is kept. */
export function resolveAuthUrl(apiBase: string, location: AuthLocation | undefined): string | undefined {
  if (location === undefined) return undefined;
  // The base never ends in '/', the path always starts with one.
  return location.kind === 'absolute' ? location.url : `${apiBase}${location.path}`;
}

export type AuthLocation = { kind: 'absolute'; url: string } | { kind: 'path'; path: string };

/** RFC 3986 path characters; anything else would be re-encoded or reinterpreted by a URL parser. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]+$/;

export function talendQlikAuthUrl(text: string, report: Report): AuthLocation {
  // The URL reaches logs and proxies: placeholders are filled only in the request's body.
  if (/\{\{[^{}]*\}\}/.test(text)) report('must not hold a placeholder such as {{clientSecret}} (the pair goes only in the body of talend-qlik-auth-request)');
  if (text.startsWith('/')) {
    const path = text;
    if (WHITESPACE_OR_CONTROL.test(path)) report('must not contain spaces or control characters');
    if (path.includes('?')) report("must not contain a query ('?')");
    if (path.includes('#')) report("must not contain a fragment ('#')");
    if (path.includes('\\')) report("must not contain '\\'");
    if (path.includes('//')) report("must not contain '//'");
    if (path.split('/').some(isDotSegment)) {
      report("must not contain '.' or '..' segments");
    }
    if (/%(?![0-9A-Fa-f]{2})/.test(path)) report("must use '%' only as a %XX escape");
    if (path === '/') report("must name a path below the Talend API base, not '/' alone");
    // Characters already reported above are left out, so each problem is named once.
    if (!WHITESPACE_OR_CONTROL.test(path) && !PATH_CHARS.test(path.replace(/[?#\\]/g, ''))) {
      report("may contain only letters, digits and the characters -._~!$&'()*+,;=:@%/");
    }
    return { kind: 'path', path };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) {
    const url = checkedUrl(text, report);
    return { kind: 'absolute', url: url === undefined ? '' : `${url.origin}${url.pathname}` };
  }
  report("must be an absolute https:// URL or a path starting with '/'");
  return { kind: 'path', path: '' };
}

export function qlikHostWarnings(origin: string): string[] {
  const { hostname } = new URL(origin);
  if (isLoopbackHost(hostname) || QLIK_CLOUD_HOST_SUFFIXES.some((s) => hostname.endsWith(s))) return [];
  return ["qlik-tenant-url's host is not a qlikcloud.com host; continuing"];
}
