/**
 * The report's words: how a step, a reason, a warning, a target's holding, its evidence and the
 * check read for the person looking at the log or the job summary. Pure; server text in them has
 * already passed untrusted-text.ts or is escaped where it is written.
 */
import type { Config } from './config.js';
import { type TargetState, commonHolding } from './core/holdings.js';
import type { Outcome } from './core/outcome.js';
import type { NewSecretReason, PlanStep, PlanWarning } from './core/plan-model.js';
import { type SecretRef, dueAgeDays, formatDays, isoTime } from './core/secret-ref.js';
import type { ApiKeyState } from './qlik/api-key.js';
import { type Target, describeTarget } from './core/targets.js';
import { renderQlikAuthRequest } from './talend/qlik-auth-request.js';
import { plainText } from './untrusted-text.js';

const DAY_MS = 86_400_000;

/** What a delivery would send to each target, as a dry run shows it: the secret as ***. */
export function describeDeliveries(targets: Target[], config: Config): string[] {
  return targets.flatMap((target) => {
    if (target.kind !== 'qlik-auth') {
      const what = target.kind === 'connection' ? `TMC connection ${target.id}` : `the parameters of task ${target.id}`;
      return [`The delivery would update ${what}: ${target.names.clientId} = (client ID), ${target.names.clientSecret} = *** (read first, everything else sent back as read, read back after).`];
    }
    const rendered = renderQlikAuthRequest(config.talendQlikAuthRequest, {
      clientId: '(client ID)',
      clientSecret: '***',
      qlikTenantUrl: config.qlikTenantUrl,
    });
    const headers = ['authorization', 'content-type', 'talend-version', ...Object.keys(rendered.headers)];
    const body = rendered.form ? new URLSearchParams(rendered.form).toString() : JSON.stringify(rendered.json);
    return [
      `The delivery would send: ${rendered.method} ${target.url}`,
      `  headers: ${headers.join(', ')}`,
      `  body (${config.talendQlikAuthRequest.contentType}): ${body}`,
    ];
  });
}

export function describeWarning(warning: PlanWarning): { title: string; text: string } {
  switch (warning.kind) {
    case 'not-in-inputs':
      return {
        title: 'Talend targets',
        text:
          `The record on the OAuth client names Talend targets this run's inputs do not: ${warning.targets.map(describeTarget).join(', ')}. ` +
          "Their secrets are kept. If they no longer use this client, run once with 'retarget: true' to drop them (they lose their secrets).",
      };
    case 'age-unknown':
      return {
        title: 'Secret age unknown',
        text: "Qlik gives no usable creation time for the secret Talend holds (none, or one in the future), so 'rotate: auto' cannot tell its age and will not rotate it. Use 'rotate: always' on a schedule instead.",
      };
    case 'lease-ignored':
      return {
        title: 'Lease ignored',
        text: `The record on the OAuth client holds a lease that claims to last until ${plainText(warning.lease.expiresAt, 40)}, longer than any run of this action can: it is ignored.`,
      };
    case 'press-disconnect':
      return {
        title: 'Decommission',
        text:
          `The action does not call ${warning.targets.map(describeTarget).join(', ')} (no 'talend-qlik-auth-disconnect-request' for it): ` +
          "in TMC, open Configurations > Qlik Cloud and press Disconnect under Qlik Cloud Authentication, or TMC keeps a pair that no longer works.",
      };
    case 'bot-user-stays':
      return {
        title: 'Decommission',
        text: warning.botUserId
          ? `Qlik keeps the client's bot user ${warning.botUserId} after the client is deleted: it may own content and hold a licence. ` +
            "In Qlik's Management Console > Users, reassign what it owns, then delete it (or remove its licence)."
          : "Qlik keeps the client's bot user after the client is deleted, and the record does not name it (no run of this version verified a secret): " +
            "in Qlik's Management Console > Users, find the user named like the client, revoke its OAuth tokens, reassign what it owns and delete it.",
      };
    case 'revoke-without-rotation':
      return {
        title: 'revoke-tokens',
        text: "'revoke-tokens' is true, but this run makes no new secret and retires none, so it revokes no token. After a leak, run with 'rotate: always' and 'revoke-tokens: true'.",
      };
    case 'proof-needed':
      return {
        title: 'Talend targets',
        text:
          `Talend may hide values of ${warning.targets.map(describeTarget).join(', ')}, and their update must send every value back. ` +
          "A real run tests the value it reads for the client secret at Qlik's /oauth/token to prove that Talend shows such values in clear, and refuses these targets otherwise.",
      };
    case 'record-unreadable':
      return {
        title: 'Record',
        text: "The action's record on the OAuth client could not be read, so Talend may hold any of its secrets. A new secret will be delivered; the unreadable block stays in the description as it is.",
      };
  }
}

/** How a delivery was confirmed, in words. */
export function describeEvidence(evidence: NonNullable<TargetState['evidence']>): string {
  switch (evidence) {
    case 'secret-read-back':
      return 'confirmed: the secret read back';
    case 'client-id-read-back':
      return 'confirmed: the client ID read back (Talend hides the secret, so the read-back cannot prove it)';
    case 'answer-only':
      return "confirmed by Talend's answer only (TMC's setting cannot be read back)";
    case 'check-task':
      return 'confirmed: the check task ran with it and passed';
  }
}

export function qlikState(progress: Outcome): string {
  const done = progress.done.length > 0 ? `this run ${progress.done.join('; ')}. ` : '';
  const hints = progress.secrets.map((s) => s.hint).join(', ');
  return `${done}The client holds ${progress.secrets.length} secret(s)${hints ? ` (${hints})` : ''}.`;
}

export function talendState(progress: Outcome): string {
  const newHint = progress.newSecret?.meta?.hint;
  switch (progress.delivery) {
    case 'stored':
      return `holds the new secret ${newHint}${progress.targets.length > 1 ? ' at every target' : ''}.`;
    case 'refused': {
      const held = commonHolding(progress.targets);
      return `refused the new secret and still holds its previous one${held ? ` (${held.hint})` : ''}.`;
    }
    case 'unknown':
      return `may hold the new secret ${newHint} or its previous one; both are kept in Qlik.`;
    case 'partial':
      return `not every target took the new secret ${newHint}: ${progress.targets.map((t) => `${describeTarget(t.key)} ${describeHolding(t)}`).join('; ')}. Every secret a target holds or may hold is kept in Qlik.`;
    default: {
      const held = commonHolding(progress.targets);
      return held ? `unchanged, holds secret ${held.hint}.` : 'unchanged; which secret it holds is not known.';
    }
  }
}

/** What one target holds, in words. */
export function describeHolding(t: TargetState): string {
  const held = t.holds ? `holds ${t.holds.hint}` : 'holds an unknown secret';
  switch (t.status) {
    case 'delivered':
      return `took ${t.holds?.hint ?? 'the new secret'}`;
    case 'refused':
      return `refused it (${t.detail ?? 'no reason given'}) and ${held}`;
    case 'unknown':
      return t.detail ? `gave no definite answer (${t.detail}): it may hold the new secret or its previous one` : 'holds an unknown secret';
    case 'not-in-inputs':
      return `is not in this run's inputs; ${held} (kept)`;
    case 'dropped':
      return 'was dropped from the record (retarget)';
    case 'detached':
      return "detached: the client's ID and secret emptied there";
    case 'holds':
      return held;
  }
}

export function describeCheck(config: Config, progress: Outcome | undefined): string {
  if (!config.talendCheckTaskId) return 'not configured';
  if (progress && progress.check !== 'not-run') return `${progress.check}${progress.checkDetail ? `: ${progress.checkDetail}` : ''}`;
  const last = progress?.lastCheck;
  return last ? `not needed this run (last check ${last.result} at ${last.at})` : 'not run';
}

export function describeStep(step: PlanStep): string {
  const list = (secrets: SecretRef[]) => secrets.map((x) => x.hint).join(', ');
  switch (step.step) {
    case 'create-client':
      return `create the OAuth client "${step.clientName}" (web, client_credentials, consent trusted, scopes ${step.scopes.join(' ')})`;
    case 'repair-grant-types':
      return 'add the grant type client_credentials';
    case 'repair-auth-methods':
      return 'add the auth method client_secret';
    case 'repair-scopes':
      return `change the scopes from "${step.from.join(' ')}" to "${step.to.join(' ')}"${step.op === 'replace' ? ' (scopes-exact)' : ' (the scopes a person granted stay)'}`;
    case 'repair-consent':
      return `change the consent method from ${step.from} to trusted`;
    case 'make-room':
      return `delete secret(s) ${list(step.secrets)} to make room (${step.reclaim ? 'reclaim-unrecorded-secrets' : 'not held by Talend'})`;
    case 'create-secret':
      return `create a new secret: ${describeReason(step.reason)}`;
    case 'verify-secret':
      return 'verify the new secret at Qlik /oauth/token';
    case 'deliver-to-talend':
      return `deliver it to ${step.targets.map((t) => describeTarget(t.key)).join(', ')}${step.drop.length > 0 ? `; then drop ${step.drop.map(describeTarget).join(', ')} from the record` : ''}`;
    case 'check-talend-task':
      return `run the Talend check task (${step.after === 'unfinished-check' ? 'the last check did not pass' : 'after delivery'})`;
    case 'write-record':
      return 'update the record on the client';
    case 'retire-secrets':
      return `retire secrets: ${list(step.secrets)}`;
    case 'revoke-tokens':
      return step.after === 'rotation'
        ? "revoke every OAuth token of the client's bot user (revoke-tokens), once the old secrets are retired"
        : "revoke every OAuth token of the client's bot user";
    case 'detach-targets':
      return `detach ${step.targets.map((t) => describeTarget(t.key)).join(', ')}: empty the client's ID and secret there, keep everything else`;
    case 'disconnect-tmc':
      return `disconnect TMC's Qlik Cloud Authentication (talend-qlik-auth-disconnect-request to ${plainText(step.url, 300)})`;
    case 'delete-client':
      return 'delete the OAuth client (its secrets and the record go with it)';
    case 'retire-older-secrets':
      return `retire secrets older than the new one, beyond keep-previous-secrets (${step.keep})${step.protect.length > 0 ? `, but not ${list(step.protect)} (held by targets not in the inputs)` : ''}`;
  }
}

export function describeReason(reason: NewSecretReason): string {
  switch (reason.why) {
    case 'no-record':
      return 'there is no record of which secret Talend holds';
    case 'new-target':
      return `${describeTarget(reason.target)} is new to the record`;
    case 'target-drifted':
      return `${describeTarget(reason.target)} names another client ID than this client's (changed by hand?)`;
    case 'targets-differ':
      return 'the Talend targets hold different secrets (an earlier delivery reached only some)';
    case 'pending-delivery':
      return 'an earlier delivery to Talend has an unknown outcome';
    case 'nothing-delivered':
      return 'no secret has been delivered to Talend yet';
    case 'delivered-gone':
      return 'the secret Talend holds no longer exists in Qlik';
    case 'retarget':
      return "recorded Talend targets are not in this run's inputs and 'retarget' is true";
    case 'rotate-always':
      return "'rotate' is 'always'";
    case 'age':
      return `the secret Talend holds is ${formatDays(reason.ageDays)} days old ('max-secret-age-days' is ${reason.maxAgeDays}; due from ${formatDays(dueAgeDays(reason.maxAgeDays))}, so that a schedule's jitter never skips a rotation)`;
  }
}

/**
 * What a 401 from Qlik's API means, for the admin who gets paged: the API key is what Qlik
 * refused (the client's own credentials go only to /oauth/token, which never fails the run so).
 */
export function qlikRefusedTheKey(): string {
  return (
    "Qlik refused the API key (HTTP 401). Check, in Qlik's Management Console: has the key expired or been revoked (Settings > API keys)? " +
    "Does its owner still have the 'Manage API keys' permission? (Qlik removed the Developer role in February 2026: a key whose owner lacks that permission now gets 401.) " +
    "Create a new key as a Tenant Admin who has it, and update the secret the workflow passes as 'qlik-api-key'."
  );
}

/** The key's expiry for the summary. */
export function describeApiKey(apiKey: ApiKeyState | undefined, now: number): string {
  if (!apiKey) return 'not read';
  if (!apiKey.read) return `expiry unknown: ${apiKey.why}`;
  const status = apiKey.status && apiKey.status !== 'active' ? ` (Qlik says it is ${apiKey.status})` : '';
  if (apiKey.expiresAt === undefined) return `Qlik shows no expiry${status}`;
  return `expires ${isoTime(apiKey.expiresAt)?.slice(0, 10) ?? 'at an unknown time'}, in ${formatDays(Math.max(0, apiKey.expiresAt - now) / DAY_MS)} days${status}`;
}

/** A warning when the key expires within `warningDays` (0: never), or Qlik says it is no longer active. */
export function apiKeyWarning(apiKey: ApiKeyState | undefined, warningDays: number, now: number): string | undefined {
  if (!apiKey?.read) return undefined;
  const inactive = apiKey.status !== undefined && apiKey.status !== 'active';
  const soon = apiKey.expiresAt !== undefined && warningDays > 0 && apiKey.expiresAt - now <= warningDays * DAY_MS;
  if (!inactive && !soon) return undefined;
  return (
    `The Qlik API key (qlik-api-key) ${describeApiKey(apiKey, now)}. ` +
    "Once it expires every run fails with HTTP 401: create a new key as a Tenant Admin (Management Console > Settings > API keys) and update the workflow's secret before then."
  );
}
