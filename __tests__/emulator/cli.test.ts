import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('emulator CLI', () => {
  it('prints URLs and credentials, serves both APIs, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', '--quiet'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`CLI did not start: ${out}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Press Ctrl+C')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`CLI exited early (${code}): ${out}`)));
      });
      const field = (label: string): string => {
        const m = new RegExp(`^${label}:\\s+(\\S+)$`, 'm').exec(out);
        if (!m?.[1]) throw new Error(`no ${label} in ${out}`);
        return m[1];
      };
      const qlikUrl = field('Qlik tenant URL');
      const talendUrl = field('Talend API URL');
      const apiKey = field('Qlik API key');
      const token = field('Talend token');
      expect(field('Talend Qlik auth URL')).toBe(`${talendUrl}/tmc/qlik-cloud-authentication`);

      expect((await fetch(`${qlikUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(200);
      const run = await fetch(`${talendUrl}/processing/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'talend-version': '2021-03' },
        body: JSON.stringify({ executable: 'smoke-test-task' }),
      });
      expect(run.status).toBe(201);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
