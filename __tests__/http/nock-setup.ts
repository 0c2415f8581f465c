/**
 * Import this before anything that loads `@actions/http-client` (directly, or through
 * `@actions/core`, which imports it). http-client binds `https.request` through an ESM namespace
 * import; when it is loaded before nock patches the module, requests bypass nock and go to DNS,
 * even with net connect disabled. Syncing the builtin ESM exports makes the patch visible.
 */
import { syncBuiltinESMExports } from 'node:module';
import nock from 'nock';

syncBuiltinESMExports();
nock.disableNetConnect();

export default nock;
