/**
 * `chatops run` as a process manager stops it: SIGTERM cancels the run like Ctrl-C and waits for
 * it to end (exit 130), so a --local run never stays `running`; a --local run whose process died
 * anyway is called orphaned by `chatops status`, with the repair.
 */
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStatus } from '../../src/cli/status.js';
import { Keys } from '../../src/engine/keys.js';
import { readRunRecord } from '../../src/engine/records.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { harness, workflowsFrom } from '../helpers/engine-harness.js';
import { testRedis, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const SLOW = 'name: slow\nsteps:\n  - id: wait\n    run: |\n      echo started\n      sleep 120\n';
const prefix = uniquePrefix('cli-signals');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chatops-signals-'));
  await mkdir(join(dir, 'workflows'));
  await writeFile(join(dir, 'workflows', 'slow.yaml'), SLOW);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const redis = testRedis();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('chatops run and signals', () => {
  closeHarnessesAfterEach();

  it('SIGTERM cancels a --local run, waits for it to end and exits 130', async () => {
    const child = spawn(process.execPath, ['bin/chatops.js', 'run', 'slow', '--local'], {
      env: { ...process.env, NODE_OPTIONS: '', REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: dir, CHATOPS_SECRET_KEY: 'k', CHATOPS_USER: 'alice', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('started')) resolve();
      });
    });
    child.kill('SIGTERM');
    const code = await exited;
    expect(stderr).toContain('SIGTERM: cancelling the run');
    expect(code).toBe(130);
    expect(stdout).toMatch(/^cancelled/m);
    const runId = /^run (r-[0-9a-z]+)/m.exec(stdout)?.[1] ?? '';
    const redis = testRedis();
    const run = await readRunRecord(redis, new Keys(prefix), runId);
    redis.disconnect();
    expect(run?.state).toBe('cancelled');
    expect(run?.steps[0]?.state).toBe('cancelled');
  }, 120_000);

  it('status calls a --local run orphaned once its process is gone', async () => {
    const gone = spawnSync('true').pid;
    const h = await harness(workflowsFrom(SLOW), { workers: 0 });
    const { run } = await h.engine.startRun({ workflow: 'slow', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'shell:alice', local: { host: hostname(), pid: gone } } });
    expect(formatStatus(run).join('\n')).toMatch(new RegExp(`orphaned: .*chatops run --local\` \\(pid ${gone}\\), which is gone; start \`chatops worker\``));
    const alive = await h.engine.startRun({ workflow: 'slow', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'shell:alice', local: { host: hostname(), pid: process.ppid } } });
    expect(formatStatus(alive.run).join('\n')).not.toContain('orphaned');
  });
});
