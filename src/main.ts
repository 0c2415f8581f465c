/**
 * The whole run, stage by stage: inputs → read state → plan (→ lease → plan again) → apply → report.
 * The same for the action and the command: where it reports is the host's business (host/).
 */
import { type Config, type RawInputs, SECRET_INPUTS } from './config.js';
import type { ApplyContext } from './apply/apply.js';
import type { Outcome } from './core/outcome.js';
import { ApiClient } from './http/api-client.js';
import { type RunBudget, createBudget } from './http/budget.js';
import { type RunIdentity, runIdentity } from './host/ci.js';
import { group, host } from './host/host.js';
import { InputError, parseInputs, readRawInputs } from './inputs.js';
import { logInfo } from './log.js';
import { QlikApi } from './qlik/client.js';
import { readState } from './read-state.js';
import { reportFailure, reportInvalidInputs, reportPlan, reportSuccess } from './report.js';
import { planAndApply } from './rotation.js';
import { registerSecret } from './secrets.js';
import { TALEND_API_VERSION, TalendApi } from './talend/client.js';
import { ServiceAccountToken } from './talend/service-account.js';

/** How a run ended, for the entry point's exit code. */
export type RunEnd = 'succeeded' | 'failed' | 'invalid-inputs';

/**
 * One run. A run that does not succeed also sets the process's exit code to 1 (the command makes
 * bad inputs 2); `@github/local-action` calls this with no arguments, as the runner's inputs.
 */
export async function run(
  raw: RawInputs = readRawInputs(process.env),
  identity: RunIdentity = runIdentity('github-actions', process.env),
): Promise<RunEnd> {
  const end = await stages(raw, identity);
  if (end !== 'succeeded') process.exitCode = 1;
  return end;
}

async function stages(raw: RawInputs, identity: RunIdentity): Promise<RunEnd> {
  logInfo(`qlik-talend-oauth on Node ${process.version}`);
  // The runner masks values that come from `secrets.*`, but not a key passed another way.
  for (const name of SECRET_INPUTS) {
    registerSecret(raw[name]);
    registerSecret(raw[name]?.trim());
  }

  let config: Config;
  try {
    const parsed = parseInputs(raw);
    config = parsed.config;
    for (const warning of parsed.warnings) host().warning(warning, 'Input');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    reportInvalidInputs(err);
    return 'invalid-inputs';
  }

  const ctx = connect(config, identity);
  // What the report reads: what was found, then what apply did (also when it failed part-way).
  let outcome: Outcome | undefined;
  try {
    const observed = await group('Read Qlik and Talend', () => readState(config, ctx.qlik, ctx.talend));
    const applied = await planAndApply(observed, ctx, {
      showPlan: (plan) => reportPlan(plan, config),
      applying: (changes) => group('Apply', changes),
    });
    outcome = applied.outcome;
    if (applied.failure === undefined) {
      await reportSuccess(config.dryRun ? 'planned' : outcome.plan.result, config, outcome, ctx.budget.now());
      return 'succeeded';
    }
    await reportFailure(applied.failure, config, outcome, ctx.budget.now());
    return 'failed';
  } catch (err) {
    // Read state stopped the run: nothing was changed.
    await reportFailure(err, config, outcome, ctx.budget.now());
    return 'failed';
  }
}

/** The run's budget, identity and the two services' clients, each with its credentials and origins. */
function connect(config: Config, { runId, runUrl }: RunIdentity): ApplyContext {
  const budget: RunBudget = createBudget(config.timeoutSeconds);
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
    allowedOrigins: [
      ...new Set([origin(config.talendApiBase), ...[config.talendQlikAuthUrl, config.talendQlikAuthDisconnect?.url].flatMap((url) => (url ? [origin(url)] : []))]),
    ],
    defaultHeaders: { 'talend-version': TALEND_API_VERSION },
    budget,
  });
  if (auth.kind === 'service-account') {
    serviceAccount = new ServiceAccountToken(talendHttp, config.talendApiBase, auth.clientId, auth.clientSecret, () => budget.now());
  }
  const talend = new TalendApi(talendHttp, config.talendApiBase, config.talendQlikAuthUrl, config.talendQlikAuthRequest, config.qlikTenantUrl);
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  return { config, qlik, talend, budget, runId, runUrl, sleep, log: logInfo };
}

function origin(url: string): string {
  return new URL(url).origin;
}
