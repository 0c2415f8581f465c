/**
 * The Verify step (docs/protocol.md): Qlik must accept the new secret at `/oauth/token` before any
 * Talend target gets it. A new secret may take a moment to propagate, so a refusal is asked again
 * with backoff for a short window; no verdict at all (5xx, timeouts) ends at once: the secret is
 * not proven.
 */
import type { RunBudget } from '../http/budget.js';
import type { QlikApi } from '../qlik/client.js';
import { waitLogger } from './wait-log.js';

export type Verification =
  /** `revoked` settles when Qlik confirmed the verification token's revocation (never rejects). */
  | { accepted: true; revoked: Promise<boolean>; botUserId: string | undefined }
  | { accepted: false; why: string };

export async function verifySecret(
  deps: { qlik: QlikApi; budget: RunBudget; sleep: (ms: number) => Promise<void>; log: (line: string) => void },
  clientId: string,
  secret: string,
): Promise<Verification> {
  const { qlik, budget } = deps;
  const windowEnds = Math.min(budget.workDeadline, budget.now() + budget.verifyWindowMs);
  const waiting = waitLogger(budget, deps.log);
  let wait = budget.backoffBaseMs;
  for (;;) {
    let why: string;
    try {
      const answer = await qlik.exchangeToken(clientId, secret);
      if (answer.accepted) return { accepted: true, revoked: answer.revoked, botUserId: answer.botUserId };
      why = `HTTP ${answer.status}`;
    } catch (err) {
      return { accepted: false, why: (err as Error).message };
    }
    if (budget.now() + wait >= windowEnds) return { accepted: false, why };
    waiting((seconds) => `Qlik does not accept the new secret yet (${why}) after ${seconds} s; trying again.`);
    await deps.sleep(wait);
    wait = Math.min(wait * 2, budget.backoffCapMs);
  }
}
