/**
 * The places in Talend that receive the credential pair (docs/talend-targets.md): TMC's Qlik Cloud
 * Authentication setting, TMC connections and task parameters. Each has a stable key, which is how
 * the record names it: `qlik-auth:<url>`, `connection:<id>`, `task:<id>`. Pure.
 */
import type { Config } from '../config.js';
import type { ParameterNames } from '../talend/orchestration.js';
import { isPathSafeId, plainText } from '../untrusted-text.js';

export type Target =
  | { kind: 'qlik-auth'; key: string; url: string }
  | { kind: 'connection'; key: string; id: string; names: ParameterNames }
  | { kind: 'task'; key: string; id: string; names: ParameterNames };

export type TargetKind = Target['kind'];

/** At most this many targets in one rotation: the record of each has to fit in the client's description. */
export const MAX_TARGETS = 10;

/** The targets this run delivers to, in input order: the TMC setting, connections, tasks. */
export function configuredTargets(config: Config): Target[] {
  const targets: Target[] = [];
  if (config.talendQlikAuthUrl) targets.push({ kind: 'qlik-auth', key: normalizedKey(`qlik-auth:${config.talendQlikAuthUrl}`), url: config.talendQlikAuthUrl });
  for (const id of config.talendConnectionIds) {
    targets.push({ kind: 'connection', key: `connection:${id}`, id, names: config.talendConnectionParameters });
  }
  for (const id of config.talendTaskIds) targets.push({ kind: 'task', key: `task:${id}`, id, names: config.talendTaskParameters });
  return targets;
}

/** A record key is at most this long (longer ones were not written by the action). */
export const MAX_KEY_LENGTH = 2048;

/**
 * A key as the record compares it: the TMC setting at `…/qlik-auth` and at `…/qlik-auth/` is one
 * target, so trailing slashes do not count.
 */
export function normalizedKey(key: string): string {
  return key.startsWith('qlik-auth:') ? key.replace(/\/+$/, '') : key;
}

/**
 * The target a recorded key names, with this run's parameter names for a connection or task;
 * undefined for a key this version does not know or an ID that is not path-safe (a person may
 * have edited the record).
 */
export function targetOfKey(key: string, config: Config): Target | undefined {
  const kind = kindOfKey(key);
  const rest = key.slice(key.indexOf(':') + 1);
  if (kind === 'qlik-auth') return { kind, key, url: rest };
  if (kind === 'connection' && isPathSafeId(rest)) return { kind, key, id: rest, names: config.talendConnectionParameters };
  if (kind === 'task' && isPathSafeId(rest)) return { kind, key, id: rest, names: config.talendTaskParameters };
  return undefined;
}

/** The kind a key names, or undefined for a key this version does not know (kept, never delivered to). */
export function kindOfKey(key: string): TargetKind | undefined {
  const kind = key.slice(0, key.indexOf(':'));
  return kind === 'qlik-auth' || kind === 'connection' || kind === 'task' ? kind : undefined;
}

/**
 * A target as people read it. Keys from the record are text someone could have edited in Qlik,
 * so the ID goes through plainText.
 */
export function describeTarget(key: string): string {
  const id = plainText(key.slice(key.indexOf(':') + 1), 300);
  switch (kindOfKey(key)) {
    case 'qlik-auth':
      return `TMC's Qlik Cloud Authentication (${id})`;
    case 'connection':
      return `TMC connection ${id}`;
    case 'task':
      return `task ${id}`;
    default:
      return `target ${plainText(key, 300)}`;
  }
}

/**
 * A key fit for the `targets` and `plan` outputs, which a later `run:` step may paste into a shell.
 * Connection and task IDs from the inputs always are (path-safe); a TMC URL whose path holds
 * characters like `$&'()*` is not, nor is anything else a person edited into the record: those
 * show as null.
 */
export function isOutputSafeKey(key: string): boolean {
  return /^[a-z-]+:[A-Za-z0-9._~:/%-]{1,1000}$/.test(key);
}
