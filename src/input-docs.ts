/**
 * What each input means, word for word as action.yml describes it: the command's --help prints
 * these (src/cli/help.ts), and __tests__/action-metadata.test.ts holds action.yml to them. One
 * description, two front doors: change both together.
 */
import type { InputName } from './config.js';

export const INPUT_DOCS: Record<InputName, string> = {
  'qlik-tenant-url':
    "Qlik Cloud tenant URL, e.g. `https://TENANT.REGION.qlikcloud.com` (alias hosts allowed). `https://` only (`http://` only for loopback hosts); no path, user-info, query or fragment.",
  'qlik-api-key':
    "API key of a Qlik Cloud Tenant Admin. Secret: pass it from `secrets.*`.",
  'client-name':
    "Name of the OAuth client the action owns in Qlik. Found by exact, case-sensitive name; created if missing.",
  'client-id':
    "Pin the OAuth client by ID instead of by name (for tenants with several clients of that name). The client must exist: the action never creates one when this is set.",
  scopes:
    "Scopes the OAuth client must have, separated by spaces, commas or new lines; compared as a set. A repair adds the missing ones and keeps scopes a person granted (Talend's guide says: select all check boxes).",
  'scopes-exact':
    "`true`: the client's scopes become exactly `scopes` (scopes a person granted are removed). `false`: a repair only adds the missing ones.",
  rotate:
    "`auto`: new secret when due (see `max-secret-age-days`). `always`: new secret on every run. `never`: create and repair only; a new secret only when a Talend target must be given a known, working one (no record, a target new or behind, recorded secret gone, delivery pending).",
  'max-secret-age-days':
    "Integer 1-3650. With `rotate: auto`, the secret Talend holds is rotated once it is this many days old, less a tenth (at most 3 days) so that a schedule's jitter never skips a rotation: at 30, from 27 days, so a monthly schedule rotates every month.",
  'keep-previous-secrets':
    "Integer 0-3: older secrets kept after a successful rotation, as a grace period for other holders.",
  'reclaim-unrecorded-secrets':
    "When the client already holds 5 secrets and the record does not say which one every Talend target holds (no record, or a target new to it), delete the oldest secret no target is recorded to hold to make room. Can disconnect a target until the new secret is delivered.",
  'talend-token':
    "Talend Cloud personal access token (or a ready service-account token). Secret: pass it from `secrets.*`. Exactly one of this or the pair `talend-client-id`/`talend-client-secret`.",
  'talend-region':
    "Talend Cloud region: `eu`, `us`, `us-west`, `ap` or `au` (selects `https://api.REGION.cloud.talend.com`). Exactly one of `talend-region` and `talend-api-url` is required.",
  'talend-api-url':
    "Talend API base URL, for regions not in the `talend-region` list. `https://` only (`http://` only for loopback hosts); a path is allowed. Exactly one of `talend-region` and `talend-api-url` is required.",
  'talend-qlik-auth-url':
    "TMC's Qlik Cloud Authentication setting as a target: an absolute URL, or a path appended to the Talend API base. Talend publishes no API for this setting; the action sends `PUT` with `{\"clientId\",\"clientSecret\"}` unless `talend-qlik-auth-request` says otherwise. At least one of `talend-qlik-auth-url`, `talend-connection-ids` and `talend-task-ids` is required.",
  'talend-check-task-id':
    "A TMC task to run as an end-to-end check after a delivery, and again on any run while the last check is recorded as failed. The run fails unless the task ends `execution_successful`.",
  'talend-qlik-auth-request':
    "JSON describing the request that stores the pair in TMC (Talend publishes no API for it): `method` (PUT, POST or PATCH), `contentType` (json or form), `body` with the placeholders {{clientId}}, {{clientSecret}} and {{qlikTenantUrl}}, extra `headers` (no placeholders, no hop-by-hop headers), the 2xx statuses in `success`, and what a 2xx answer must hold to count as stored (`stored`) or refused (`refused`), each {\"pointer\": \"/a/json/pointer\", \"equals\": value}. Only a 4xx (or a body matching `refused`) is a refusal; anything unclear may have stored the pair. Default: PUT with the JSON body {\"clientId\": \"{{clientId}}\", \"clientSecret\": \"{{clientSecret}}\"}.",
  'talend-client-id':
    "A Talend service account's ID: the action signs in with it (`POST /security/oauth/token`) and asks again when the token expires. Secret. Give it with `talend-client-secret`, instead of `talend-token`.",
  'talend-client-secret':
    "The Talend service account's secret, with `talend-client-id`. Secret.",
  'talend-connection-ids':
    "TMC connection IDs (separated by spaces, commas or new lines) whose parameters receive the pair through Talend's Orchestration API: the client ID parameter is set, the secret parameter set and encrypted, every other parameter kept. At most 10 targets in all.",
  'talend-connection-parameters':
    "The two connection parameter names, client ID first, then secret. Default: `client_id client_secret`.",
  'talend-task-ids':
    "Task IDs whose parameters receive the pair through Talend's Orchestration API (the whole task is read and sent back with only the two values changed). At most 10 targets in all.",
  'talend-task-parameters':
    "The two task parameter names, client ID first, then secret. Default: `QLIK_CLIENT_ID QLIK_CLIENT_SECRET`.",
  retarget:
    "`true`: Talend targets recorded on this client that the inputs no longer name are dropped once every named target holds the new secret; they lose their secrets. Without it their secrets are kept, and a run for a TMC setting at another URL fails before changing anything, whatever `rotate` says.",
  'revoke-tokens':
    "After a leak: `true` revokes every OAuth token of the client's bot user once the old secrets are retired (tokens outlive their secret for hours). A secret older than the new one that would stay valid (a target the inputs do not name holds it) then fails the run before any change, naming `retarget`; `keep-previous-secrets` must be 0.",
  'qlik-api-key-warning-days':
    "Integer 0-3650. Within this many days of the admin API key's expiry (read from Qlik by the key's ID), the run warns and names the date; it never fails for it. 0: no warning.",
  operation:
    "`maintain`: find or create the client, repair it, rotate and deliver its secret. `decommission`: retire the integration: detach every Talend target, delete the client, revoke its bot user's tokens, report the bot user (needs `confirm-decommission`).",
  'confirm-decommission':
    "With `operation: decommission`: the ID of the OAuth client to delete; the run fails before any change unless it is the client found (by `client-id` or `client-name`).",
  'talend-qlik-auth-disconnect-request':
    "With `operation: decommission`: JSON describing the request that disconnects TMC's Qlik Cloud Authentication (the shape of `talend-qlik-auth-request`, with an optional `url` defaulting to `talend-qlik-auth-url`; no `{{clientSecret}}`). Without it, TMC is not called and the run tells you to press Disconnect in TMC.",
  'dry-run':
    "`true`: read both systems, print the plan, change nothing.",
  'timeout-seconds':
    "Integer 5-3600: time budget for the whole run; every request, retry and wait fits inside it.",
};
