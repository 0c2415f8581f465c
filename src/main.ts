/**
 * The whole run, in order: inputs → read state → plan → apply → report.
 */
import * as core from '@actions/core';
import { randomBytes } from 'node:crypto';
import { type Config, SECRET_INPUTS } from './config.js';
import { type ApplyContext, applyPlan } from './core/apply.js';
import { ApplyFailure, type Outcome, initialOutcome } from './core/outcome.js';
import { RunFailure } from './core/failure.js';
import { type ObservedState, planRotation, secretAgeDays } from './core/plan.js';
import { parseDescription } from './core/record.js';
import { configuredTargets, describeTarget } from './core/targets.js';
import { ApiClient } from './http/api-client.js';
import { createBudget } from './http/budget.js';
import { InputError, parseInputs, readRawInputs } from './inputs.js';
import { QlikApi } from './qlik/client.js';
import type { OAuthClient } from './qlik/model.js';
import { reportFailure, reportPlan, reportSuccess } from './report.js';
import { registerSecret } from './secrets.js';
import { TALEND_API_VERSION, TalendApi } from './talend/client.js';
import { ServiceAccountToken } from './talend/service-account.js';
import { logInfo } from './log.js';
import { plainText } from './untrusted-text.js';

/** An error lists at most this many client IDs: the rest is a count. */
const MAX_LISTED_IDS = 10;

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  logInfo(`qlik-talend-oauth on Node ${process.version}`);
  const raw = readRawInputs(env);
  // The runner masks values that come from `secrets.*`, but not a key passed another way.
  for (const name of SECRET_INPUTS) {
    registerSecret(raw[name]);
    registerSecret(raw[name]?.trim());
  }

  let config: Config;
  try {
    const parsed = parseInputs(raw);
    config = parsed.config;
    for (const warning of parsed.warnings) core.warning(warning, { title: 'Input' });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    core.setOutput('result', 'failed');
    core.error(err.message, { title: 'Invalid input' });
    process.exitCode = 1;
    return;
  }

  const budget = createBudget(config.timeoutSeconds);
  const runId = `${env.GITHUB_RUN_ID ?? 'local'}.${env.GITHUB_RUN_ATTEMPT ?? '1'}.${randomBytes(4).toString('hex')}`;
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const qlik = new QlikApi(
    new ApiClient({ service: 'Qlik', token: config.qlikApiKey, allowedOrigins: [origin(config.qlikTenantUrl)], budget }),
    config.qlikTenantUrl,
    logInfo,
  );
  const auth = config.talendAuth;
  // A service account signs in through the same client (to the API base's origin, no bearer).
  let serviceAccount: ServiceAccountToken | undefined;
  const talendHttp = new ApiClient({
    service: 'Talend',
    token: auth.kind === 'token' ? auth.token : () => (serviceAccount as ServiceAccountToken).token(),
    allowedOrigins: [...new Set([origin(config.talendApiBase), ...(config.talendQlikAuthUrl ? [origin(config.talendQlikAuthUrl)] : [])])],
    defaultHeaders: { 'talend-version': TALEND_API_VERSION },
    budget,
  });
  if (auth.kind === 'service-account') {
    serviceAccount = new ServiceAccountToken(talendHttp, config.talendApiBase, auth.clientId, auth.clientSecret, () => budget.now());
  }
  const talend = new TalendApi(talendHttp, config.talendApiBase, config.talendQlikAuthUrl, config.talendQlikAuthRequest, config.qlikTenantUrl);

  // What the report reads: what was found, then what apply did (also when it failed part-way).
  let outcome: Outcome | undefined;
  try {
    const observed = await core.group('Read Qlik and Talend', () => readState(config, qlik, talend));
    // What was found is reported also when planning stops the run.
    const keys = configuredTargets(config).map((t) => t.key);
    outcome = initialOutcome(observed, keys);
    const plan = planRotation(config, observed, budget.now(), runId);
    outcome = { ...outcome, plan };
    reportPlan(plan, config);
    if (plan.notInInputs.length > 0) {
      core.warning(
        `The record on the OAuth client names Talend targets this run's inputs do not: ${plan.notInInputs.map(describeTarget).join(', ')}. ` +
          "Their secrets are kept. If they no longer use this client, run once with 'retarget: true' to drop them (they lose their secrets).",
        { title: 'Talend targets' },
      );
    }
    if (config.rotate === 'auto' && outcome.talendHolds && secretAgeDays(outcome.talendHolds, budget.now()) === null) {
      core.warning(
        "Qlik gives no usable creation time for the secret Talend holds (none, or one in the future), so 'rotate: auto' cannot tell its age and will not rotate it. Use 'rotate: always' on a schedule instead.",
        { title: 'Secret age unknown' },
      );
    }
    if (plan.ignoredLease) {
      core.warning(
        `The record on the OAuth client holds a lease that claims to last until ${plainText(plan.ignoredLease.expiresAt, 40)}, longer than any run of this action can: it is ignored.`,
        { title: 'Lease ignored' },
      );
    }
    if (config.dryRun) {
      await reportSuccess('planned', config, outcome, budget.now());
      return;
    }
    if (plan.foreignLease && plan.result !== 'unchanged') {
      throw new RunFailure(
        `Another run is changing this OAuth client (its lease expires at ${plainText(plan.foreignLease.expiresAt, 40)}); this run changed nothing.`,
        { changedNothing: true, nextRun: 'Re-run after the lease expires. Use a `concurrency:` group per environment so runs do not overlap.' },
      );
    }
    const ctx: ApplyContext = {
      config,
      qlik,
      talend,
      budget,
      runId,
      runUrl,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      log: logInfo,
    };
    if (plan.result !== 'unchanged') {
      try {
        outcome = await core.group('Apply', () => applyPlan(plan, observed, ctx));
      } catch (err) {
        if (!(err instanceof ApplyFailure)) throw err;
        outcome = err.outcome;
        throw err.cause;
      }
    }
    await reportSuccess(outcome.plan.result, config, outcome, budget.now());
  } catch (err) {
    await reportFailure(err, config, outcome, budget.now());
  }
}

async function readState(config: Config, qlik: QlikApi, talend: TalendApi): Promise<ObservedState> {
  // Independent reads overlap: the Qlik lookup, the Talend token preflight and the targets.
  const [client, targetClientIds] = await Promise.all([findClient(config, qlik), checkTalend(config, talend)]);
  if (!client) {
    logInfo(`No OAuth client named "${config.clientName}" exists yet.`);
    return { client: null, record: null, recordState: 'absent' };
  }
  const parsed = parseDescription(client.description);
  if (parsed.state === 'duplicate') {
    throw new RunFailure(
      "The OAuth client's description holds more than one block of the action's record, so which one is true is unknown. " +
        "Delete all but the newest block in Qlik's admin page (each starts with the line '--- qlik-talend-oauth record').",
      { changedNothing: true, nextRun: 'fails the same way until only one record block is left.' },
    );
  }
  if (parsed.state === 'unreadable') {
    core.warning(
      "The action's record on the OAuth client could not be read, so Talend may hold any of its secrets. A new secret will be delivered; the unreadable block stays in the description as it is.",
      { title: 'Record' },
    );
  }
  logInfo(`Found the OAuth client (${client.secrets.length} secret(s)); Talend accepted the token.`);
  return { client, record: parsed.record, recordState: parsed.state, targetClientIds };
}

/**
 * The token preflight and every connection and task target, side by side: each target must exist
 * and take an update without losing a value, or the run stops before anything changes. A refused
 * token makes every read fail; its own error says the most, so it wins.
 */
async function checkTalend(config: Config, talend: TalendApi): Promise<Record<string, string>> {
  const targets = configuredTargets(config);
  const [token, ...reads] = await Promise.allSettled([talend.checkToken(), ...targets.map((target) => talend.inspect(target))]);
  if (token?.status === 'rejected') throw token.reason;
  const found = reads.flatMap((r, i) => (r.status === 'rejected' ? [`${describeTarget(targets[i]!.key)}: ${(r.reason as Error).message}`] : []));
  const clientIds: Record<string, string> = {};
  reads.forEach((r, i) => {
    if (r.status === 'fulfilled' && r.value !== undefined) clientIds[targets[i]!.key] = r.value;
  });
  if (found.length > 0) {
    throw new RunFailure(`A Talend target cannot take the new secret:\n${found.join('\n')}`, {
      changedNothing: true,
      nextRun: 'fails the same way until the target is fixed or left out of the inputs.',
    });
  }
  return clientIds;
}

async function findClient(config: Config, qlik: QlikApi): Promise<OAuthClient | null> {
  if (config.clientId) {
    registerSecret(config.clientId);
    const client = await qlik.getClient(config.clientId);
    if (!client) {
      throw new RunFailure(
        "Input 'client-id': no OAuth client with this ID exists in the Qlik tenant. The action never creates a client when 'client-id' is given.",
        { changedNothing: true },
      );
    }
    return client;
  }
  const matches = await qlik.findClientsByName(config.clientName);
  if (matches.length > 1) {
    // Before reading any of them in full: a tenant with thousands of matches costs no extra request.
    const ids = matches.slice(0, MAX_LISTED_IDS).map((c) => c.clientId).join(', ');
    const more = matches.length > MAX_LISTED_IDS ? ` and ${matches.length - MAX_LISTED_IDS} more` : '';
    throw new RunFailure(
      `${matches.length} OAuth clients are named "${config.clientName}" (IDs: ${ids}${more}). Set 'client-id' to the one Talend uses.`,
      { changedNothing: true },
    );
  }
  const [only] = matches;
  if (!only) return null;
  // Half of the credential pair: masked before any request path or debug line names it.
  registerSecret(only.clientId);
  return qlik.completeListed(only);
}

function origin(url: string): string {
  return new URL(url).origin;
}
