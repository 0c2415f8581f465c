/**
 * Start-up (process start → first request) of several bundles side by side, in interleaved rounds
 * under the runner's Node, so that a change's effect is seen against the machine's noise of the
 * moment. The bundles get the no-op scenario's inputs and `url` (what the toolkit-only reference
 * reads), so the current `dist/index.js`, an older commit's and the reference compare alike:
 *
 *   mkdir -p /tmp/old && git archive <commit> dist | tar -x -C /tmp/old
 *   echo '{"type":"module"}' > /tmp/old/dist/package.json
 *   npx tsx bench/startup-compare.ts dist/index.js /tmp/old/dist/index.js [--rounds 40]
 *
 * An older bundle needs the package.json beside it: the bundle is an ES module.
 */
import { startEmulator } from '../emulator/index.js';
import { launch, median, trackRequests } from './measure.js';
import { SCENARIOS, type Scenario, scenarioInputs, seedHealthy } from './scenarios.js';

const argv = process.argv.slice(2);
const roundsAt = argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Math.max(1, Number(argv[roundsAt + 1])) : 40;
const bundles = argv.filter((a, i) => a !== '--rounds' && i !== roundsAt + 1);
if (bundles.length === 0) throw new Error('Name at least one bundle (a path to an index.js).');

const emu = await startEmulator();
try {
  seedHealthy(emu);
  const noop = SCENARIOS.find((s) => s.id === 'noop') as Scenario;
  const inputs = { ...scenarioInputs(emu, noop), url: `${emu.talendUrl}/account/subscription` };
  const samples = new Map<string, number[]>(bundles.map((b) => [b, []]));
  // Round 0 warms the file cache and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const bundle of bundles) {
      const requests = trackRequests(emu);
      const run = await launch({ node: 'node_modules/.bin/node', args: [bundle], inputs });
      requests.stop();
      const first = requests.firstAt();
      if (first === undefined) throw new Error(`${bundle} sent no request (exit ${run.code}): ${run.stderr.slice(0, 500)}`);
      if (round > 0) samples.get(bundle)!.push(first - run.spawnedAt);
    }
  }
  for (const [bundle, ms] of samples) {
    console.log(`${bundle}: median ${median(ms).toFixed(1)} ms, min ${Math.min(...ms).toFixed(1)} ms (${ms.length} rounds)`);
  }
} finally {
  await emu.close();
}
