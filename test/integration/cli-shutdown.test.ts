/**
 * `chatops worker` and `chatops serve` as an orchestrator runs them, on a private redis-server that
 * the test kills: a Redis outage is logged once (and its end once), never as stack traces; SIGTERM
 * stops the process while Redis is unreachable; a shutdown that cannot finish (a step still
 * running) ends at CHATOPS_SHUTDOWN_TIMEOUT, and the step's processes die with the worker.
 */
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createEngine } from '../../src/engine/index.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.ts';
import { spawnCli, type CliChild } from '../helpers/cli-child.ts';
import { uniquePrefix } from '../helpers/redis.ts';

const FIXTURE = 'test/fixtures/lifecycle';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Nothing but log records and the CLI's own plain lines: no stack trace, no "[ioredis] Unhandled error event". */
function expectNoStackTraces(out: string): void {
  expect(out).not.toContain('[ioredis]');
  expect(out).not.toMatch(/^\s+at /m);
  expect(out).not.toMatch(/ECONNREFUSED[^"]/);
}

describe('cli: shutdown and Redis outages', () => {
  let redis: PrivateRedis;
  const children: CliChild[] = [];
  let dir: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    dir = mkdtempSync(join(tmpdir(), 'cli-shutdown-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) await c.kill();
  });
  afterAll(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (prefix: string, extra: Record<string, string> = {}) => ({ REDIS_URL: redis.url, CHATOPS_PREFIX: prefix, CHATOPS_DIR: FIXTURE, CHATOPS_SECRET_KEY: 'cli-shutdown-key', CHATOPS_ALLOW_ALL: '1', ...extra });
  const start = (args: string[], e: Record<string, string>) => {
    const c = spawnCli(args, e);
    children.push(c);
    return c;
  };
  const messages = (c: CliChild, msg: string) => c.records().filter((r) => r.msg?.startsWith(msg));

  it('worker: each outage is one structured line, its end another; SIGTERM while Redis is down stops it', async () => {
    const worker = start(['worker'], env(uniquePrefix('shutdown-w')));
    await worker.waitFor(/"msg":"worker started"/);
    const port = redis.port;

    process.kill(redis.pid, 'SIGKILL');
    await worker.waitFor(/redis unreachable/);
    await sleep(1500); // several reconnect attempts, each of which used to print a stack trace
    redis = await startPrivateRedis({ port });
    await worker.waitFor(/"msg":"redis back"/);

    process.kill(redis.pid, 'SIGKILL');
    await until('the second outage', () => messages(worker, 'redis unreachable').length === 2);
    worker.child.kill('SIGTERM');
    const { code } = await worker.exited;
    redis = await startPrivateRedis({ port });

    expect(code).toBe(0);
    expect(messages(worker, 'redis unreachable')).toHaveLength(2);
    expect(messages(worker, 'redis unreachable')[0]).toMatchObject({ level: 50, redis: `redis://127.0.0.1:${port}`, err: expect.stringMatching(/^(ECONNREFUSED|ECONNRESET|EPIPE)$/) });
    expect(messages(worker, 'redis back')).toHaveLength(1);
    expect(messages(worker, 'redis back')[0]?.downMs).toEqual(expect.any(Number));
    expect(messages(worker, 'shutting down')).toHaveLength(1);
    expect(messages(worker, 'worker stopped')).toHaveLength(1);
    expect(messages(worker, 'shutdown did not finish')).toHaveLength(0);
    expectNoStackTraces(worker.out());
  }, 120_000);

  it('serve: /readyz says not ready while Redis is down; SIGTERM then stops it', async () => {
    const port = await freePort();
    const serve = start(['serve'], env(uniquePrefix('shutdown-s'), { PORT: String(port) }));
    await serve.waitFor(/chatops serve listening/);
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
    expect(await ready()).toBe(200);
    const redisPort = redis.port;

    process.kill(redis.pid, 'SIGKILL');
    await serve.waitFor(/redis unreachable/);
    const body = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json() as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks.redis).not.toBe('ok');
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    serve.child.kill('SIGTERM');
    const { code } = await serve.exited;
    redis = await startPrivateRedis({ port: redisPort });
    expect(code).toBe(0);
    expect(messages(serve, 'redis unreachable')).toHaveLength(1);
    expect(messages(serve, 'shutdown did not finish')).toHaveLength(0);
    expect(messages(serve, 'stopped')).toHaveLength(1);
    expectNoStackTraces(serve.out());
  }, 120_000);

  it('worker: a step still running at CHATOPS_SHUTDOWN_TIMEOUT does not hold the exit, and its processes die with the worker', async () => {
    const prefix = uniquePrefix('shutdown-d');
    const worker = start(['worker'], env(prefix, { CHATOPS_SHUTDOWN_TIMEOUT: '1s' }));
    await worker.waitFor(/"msg":"worker started"/);
    const project = await loadProject(FIXTURE);
    const engine = createEngine({ redisUrl: redis.url, prefix, project, log: silentLogger, secretKey: 'cli-shutdown-key' });
    try {
      const pidfile = join(dir, 'nap.pid');
      await engine.startRun({ workflow: 'nap', inputs: { pidfile }, trigger: { kind: 'cli', source: 'cli', requester: 'shell:test' } });
      await until('the step to start', () => existsSync(pidfile) && readFileSync(pidfile, 'utf8').trim() !== '');
      const stepPid = Number(readFileSync(pidfile, 'utf8').trim());
      expect(alive(stepPid)).toBe(true);

      worker.child.kill('SIGTERM');
      const { code } = await worker.exited;
      expect(code).toBe(1);
      expect(messages(worker, 'shutdown did not finish within CHATOPS_SHUTDOWN_TIMEOUT')).toHaveLength(1);
      await until('the step to be killed with its worker', () => !alive(stepPid));
    } finally {
      await engine.close();
    }
  }, 120_000);
});
