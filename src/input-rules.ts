/**
 * The rules between inputs, checked after every input on its own (so one run reports everything):
 * one way to reach and sign in to Talend, where the pair goes, and what a decommission and a
 * token revocation need. They read the converted values, and which inputs were given at all.
 */
import type { InputName } from './config.js';
import { MAX_KEY_LENGTH, MAX_TARGETS } from './core/targets.js';
import { type AuthLocation, resolveAuthUrl } from './input-urls.js';
import type { InputValues, Problem } from './inputs.js';

/**
 * Rules between inputs, checked after every input on its own (so one run reports everything).
 * `given`: the inputs whose text was not blank, also when it failed its own rule (a failed input is
 * still given); `values`: the converted values, undefined where blank or failed.
 */
export function crossInputProblems(values: Partial<InputValues>, given: ReadonlySet<InputName>): Problem[] {
  const problems: Problem[] = [];
  const bases = (['talend-region', 'talend-api-url'] as const).filter((name) => given.has(name));
  if (bases.length !== 1) {
    problems.push({
      inputs: ['talend-region', 'talend-api-url'],
      line: `Inputs 'talend-region' and 'talend-api-url': set exactly one (${bases.length === 0 ? 'neither is set' : 'both are set'}).`,
    });
  }
  // One way to sign in to Talend: a token, or a service account (both of its inputs).
  const token = given.has('talend-token');
  const account = (['talend-client-id', 'talend-client-secret'] as const).filter((name) => given.has(name));
  if (token && account.length > 0) {
    problems.push({
      inputs: ['talend-token', ...account],
      line: "Inputs 'talend-token' and 'talend-client-id'/'talend-client-secret': set one way to sign in to Talend, not both.",
    });
  } else if (!token && account.length === 0) {
    problems.push({
      inputs: ['talend-token', 'talend-client-id', 'talend-client-secret'],
      line: "Inputs 'talend-token' and 'talend-client-id'/'talend-client-secret': set one way to sign in to Talend (a token, or a service account's ID and secret).",
    });
  } else if (!token && account.length === 1) {
    const missing = account[0] === 'talend-client-id' ? 'talend-client-secret' : 'talend-client-id';
    problems.push({ inputs: [missing], line: `Input '${missing}' is required with '${account[0]}'.` });
  }
  problems.push(...targetProblems(values, given), ...lifecycleProblems(values, given));
  return problems;
}

/** The TMC setting's URL (and the disconnect's), resolved against the Talend API base. */
export function qlikAuthUrlOf(values: Partial<InputValues>, location: AuthLocation | undefined = values['talend-qlik-auth-url']): string | undefined {
  return resolveAuthUrl(values['talend-api-url'] ?? values['talend-region'] ?? '', location);
}

/** Where the pair goes: at least one target, at most MAX_TARGETS; settings only with what they shape. */
function targetProblems(values: Partial<InputValues>, given: ReadonlySet<InputName>): Problem[] {
  const problems: Problem[] = [];
  const kinds = ['talend-qlik-auth-url', 'talend-connection-ids', 'talend-task-ids'] as const;
  // A decommission detaches what the record names too: it may need no target of its own.
  if (!kinds.some((name) => given.has(name)) && values.operation !== 'decommission') {
    problems.push({
      inputs: [...kinds],
      line: "Inputs 'talend-qlik-auth-url', 'talend-connection-ids' and 'talend-task-ids': set at least one, so the secret has somewhere to go.",
    });
  }
  // A list that failed its own rule (too long, say) is reported by its input and not counted here.
  const count = (given.has('talend-qlik-auth-url') ? 1 : 0) + (values['talend-connection-ids']?.length ?? 0) + (values['talend-task-ids']?.length ?? 0);
  if (count > MAX_TARGETS) {
    problems.push({
      inputs: [...kinds],
      line: `Inputs 'talend-qlik-auth-url', 'talend-connection-ids' and 'talend-task-ids': name at most ${MAX_TARGETS} targets together (the record of each is kept in the client's description).`,
    });
  }
  const authUrl = qlikAuthUrlOf(values);
  if (authUrl !== undefined && `qlik-auth:${authUrl}`.length > MAX_KEY_LENGTH) {
    problems.push({
      inputs: ['talend-qlik-auth-url'],
      line: `Input 'talend-qlik-auth-url' is too long: the record on the OAuth client names the target by its URL, in at most ${MAX_KEY_LENGTH - 'qlik-auth:'.length} characters (with the API base).`,
    });
  }
  const shapes = [
    ['talend-qlik-auth-request', 'talend-qlik-auth-url'],
    ['talend-connection-parameters', 'talend-connection-ids'],
    ['talend-task-parameters', 'talend-task-ids'],
  ] as const;
  for (const [setting, target] of shapes) {
    if (given.has(setting) && !given.has(target)) {
      problems.push({ inputs: [setting], line: `Input '${setting}' is given without '${target}', the target it applies to.` });
    }
  }
  return problems;
}

/** Decommission needs its confirmation; its settings need it; revoking tokens keeps no older secret. */
function lifecycleProblems(values: Partial<InputValues>, given: ReadonlySet<InputName>): Problem[] {
  const problems: Problem[] = [];
  const decommission = values.operation === 'decommission';
  if (decommission && !given.has('confirm-decommission')) {
    problems.push({ inputs: ['confirm-decommission'], line: "Input 'confirm-decommission' is required with 'operation: decommission': the ID of the OAuth client to delete." });
  }
  for (const name of ['confirm-decommission', 'talend-qlik-auth-disconnect-request'] as const) {
    if (given.has(name) && values.operation === 'maintain') {
      problems.push({ inputs: [name], line: `Input '${name}' is given without 'operation: decommission', the only operation it applies to.` });
    }
  }
  const disconnect = values['talend-qlik-auth-disconnect-request'];
  if (disconnect && disconnect.location === undefined && !given.has('talend-qlik-auth-url')) {
    problems.push({ inputs: ['talend-qlik-auth-disconnect-request'], line: "Input 'talend-qlik-auth-disconnect-request' needs a 'url' field, or 'talend-qlik-auth-url'." });
  }
  if (values['revoke-tokens'] && (values['keep-previous-secrets'] ?? 0) > 0) {
    problems.push({
      inputs: ['revoke-tokens', 'keep-previous-secrets'],
      line: "Inputs 'revoke-tokens' and 'keep-previous-secrets': after a leak no older secret may stay valid; set 'keep-previous-secrets: 0' with 'revoke-tokens: true'.",
    });
  }
  return problems;
}
