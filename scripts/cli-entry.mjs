/**
 * `npm run bundle` builds the command into dist/cli/ (ncc names its entry index.js, beside its
 * own chunks); package.json's `bin` runs dist/cli.js, written here: a shebang and the import.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'dist', 'cli.js');
writeFileSync(entry, "#!/usr/bin/env node\nimport './cli/index.js';\n");
chmodSync(entry, 0o755);
