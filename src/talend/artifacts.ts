/**
 * What a task's artifact version declares about its parameters
 * (`GET /orchestration/artifacts/{artifactId}/versions/{version}`): their types, which say what
 * the task's own answer may hide (a password). The published answer's exact shape and the password
 * type's spelling are unconfirmed (docs/talend-targets.md), so `parameters` is read as a list of
 * `{name, type}` or a map from name to `{type}` (or to the type), and anything else as "Talend did
 * not say". Never fails the run: what cannot be read counts as unknown.
 */
import type { ApiClient } from '../http/api-client.js';
import { lazySchema } from '../lazy.js';
import { isUsableSegment } from '../untrusted-text.js';
import type { ParameterTypes } from './orchestration.js';

/** An artifact version's declared parameters: a list of `{name, type}` or a map by name (the published shape is unconfirmed). */
const artifactSchema = lazySchema((z) => z.looseObject({ parameters: z.optional(z.unknown()) }));

/** The declared types, or null when Talend does not say (the version unreadable, a shape this version does not know). */
export async function readParameterTypes(http: ApiClient, apiBase: string, id: string, version: string): Promise<ParameterTypes> {
  if (!isUsableSegment(id, 256) || !isUsableSegment(version, 256)) return null;
  try {
    const res = await http.request({
      method: 'GET',
      url: `${apiBase}/orchestration/artifacts/${encodeURIComponent(id)}/versions/${encodeURIComponent(version)}`,
      repeat: 'repeatable',
      accept: [401, 403, 404],
      schema: artifactSchema,
      maxBodyBytes: 1024 * 1024,
      doing: `reading the parameters of the artifact ${id} ${version}`,
    });
    return res.status === 200 && res.body ? declaredTypes(res.body.parameters) : null;
  } catch {
    return null;
  }
}

/**
 * The declared types, by parameter name, from an artifact version's `parameters`: a list of objects
 * with `name` and `type`, or a map from name to an object with `type` (or to the type itself).
 * Null when neither shape is there: Talend did not say.
 */
export function declaredTypes(parameters: unknown): ParameterTypes {
  const types = new Map<string, string>();
  const add = (name: unknown, type: unknown) => {
    if (typeof name === 'string' && typeof type === 'string') types.set(name, type);
  };
  if (Array.isArray(parameters)) {
    for (const p of parameters) if (typeof p === 'object' && p !== null) add((p as Record<string, unknown>).name, (p as Record<string, unknown>).type);
  } else if (typeof parameters === 'object' && parameters !== null) {
    for (const [name, p] of Object.entries(parameters)) add(name, typeof p === 'object' && p !== null ? (p as Record<string, unknown>).type : p);
  } else {
    return null;
  }
  return types;
}
