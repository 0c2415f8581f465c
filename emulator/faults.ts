// Fault rules: which request a rule applies to, and the answers it makes.
import type { FaultRule, ServiceKind } from './types.js';

interface ActiveRule {
  rule: FaultRule;
  /** Matching requests seen so far. */
  matches: number;
}

export class FaultBook {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    const occurrence = rule.occurrence ?? 1;
    const times = rule.times ?? 1;
    if (!Number.isInteger(occurrence) || occurrence < 1) throw new Error('emulator: fault occurrence must be an integer >= 1');
    if (!(times === Infinity || (Number.isInteger(times) && times >= 0))) throw new Error('emulator: fault times must be an integer >= 0 or Infinity');
    this.rules.push({ rule, matches: 0 });
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * Counts this request against every rule it matches and returns the first rule whose window
   * (`occurrence` .. `occurrence + times - 1`) contains it.
   */
  match(service: ServiceKind, method: string, path: string): FaultRule | undefined {
    let chosen: FaultRule | undefined;
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.service !== service) continue;
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!pathMatches(rule.path, path)) continue;
      active.matches += 1;
      const first = rule.occurrence ?? 1;
      const times = rule.times ?? 1;
      if (!chosen && active.matches >= first && active.matches < first + times) chosen = rule;
    }
    return chosen;
  }
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(path);
  }
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return path === pattern;
}

/** Error body in the style of the service (Qlik: `{errors:[…]}`, Talend: `{status, message, …}`). */
export function serviceErrorBody(
  service: ServiceKind,
  status: number,
  code: string,
  title: string,
  detail?: string,
  requestId?: string,
): unknown {
  if (service === 'qlik') {
    const error: Record<string, string> = { code, title };
    if (detail !== undefined) error.detail = detail;
    return { errors: [error] };
  }
  const body: Record<string, unknown> = { status, message: title };
  if (detail !== undefined) body.detail = detail;
  body.requestId = requestId;
  return body;
}

export function defaultFaultBody(
  service: ServiceKind,
  status: number,
  headers: Record<string, string> | undefined,
  reason: string,
  requestId: string,
): unknown {
  if (status === 429) {
    const retryAfter = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
    const detail = retryAfter ? `You need to wait ${retryAfter} seconds until limit is lifted.` : 'Too many requests.';
    return serviceErrorBody(service, status, 'HTTP-429', service === 'qlik' ? 'API rate limit reached.' : 'Too many requests', detail, requestId);
  }
  return serviceErrorBody(service, status, `HTTP-${status}`, reason, 'Injected fault', requestId);
}

/** What a badly behaved server sends: the request's credentials and body quoted in the error. */
export function echoBody(
  service: ServiceKind,
  status: number,
  authorization: string | undefined,
  rawBody: string,
  requestId: string,
): unknown {
  const title = `Request rejected (Authorization: ${authorization ?? '<none>'})`;
  const detail = `Could not process request body: ${rawBody}`;
  return serviceErrorBody(service, status, `HTTP-${status}`, title, detail, requestId);
}
