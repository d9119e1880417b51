/**
 * Issue 15: runs steered from a terminal are watched like chat ones. `chatops run`, `approve`,
 * `deny` and `cancel` as child processes (they serve no /metrics) against a real front and a real
 * worker with its HTTP side: their engine events are relayed through Redis and counted once on the
 * /metrics of the front and the worker together (trigger="cli"), and each leaves an audit entry
 * that `chatops audit` shows, with the terminal identity as who.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { Keys } from '../../src/engine/keys.js';
import type { RunRecord } from '../../src/engine/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Front } from '../../src/server/front.js';
import { startServedWorker, type ServedWorker } from '../../src/server/worker-http.js';
import { removeDir, startAlertsFront, writeProject } from '../helpers/alerts-front.js';
import { runChatops, spawnCli, type CliChild } from '../helpers/cli-child.js';
import { scrape, sumOf } from '../helpers/prom-text.js';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js';
import { until, untilRunEnds } from '../helpers/until.js';

const SECRET_KEY = 'alerts-tests-secret-key';
const prefix = uniquePrefix('terminal');
let dir: string;
let front: Front;
let frontBase: string;
let served: ServedWorker;
let workerBase: string;
let redis: Redis;
const children: CliChild[] = [];
/** The runs started from the terminal, by what is done to them. */
const runs: Record<'approved' | 'denied' | 'cancelled', string> = { approved: '', denied: '', cancelled: '' };
const exits: Record<string, number | null> = {};

const env = (): Record<string, string> => ({ REDIS_URL: testRedisUrl(), CHATOPS_PREFIX: prefix, CHATOPS_DIR: dir, CHATOPS_SECRET_KEY: SECRET_KEY, CHATOPS_USER: 'alice', LOG_LEVEL: 'warn' });

const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> => until(what, fn, ms);
const finished = (runId: string): Promise<RunRecord> => untilRunEnds(front.engine, runId, 60_000);

/** `chatops run gated` in the background, once its approval waits: its run id. */
async function startGated(): Promise<{ child: CliChild; runId: string }> {
  const child = spawnCli(['run', 'gated'], env());
  children.push(child);
  await child.waitFor(/waiting for approval/, 90_000);
  const runId = /run (r-[0-9a-z]{6})/.exec(child.out())?.[1];
  if (runId === undefined) throw new Error(`no run id in:\n${child.out()}`);
  return { child, runId };
}

beforeAll(async () => {
  let project;
  ({ dir, project } = await writeProject({
    'workflows/gated.yaml': 'name: gated\nsteps:\n  - id: ok\n    approval: { message: go? }\n  - id: after\n    needs: [ok]\n    run: echo done\n',
  }));
  ({ front, base: frontBase } = await startAlertsFront({ redisUrl: testRedisUrl(), prefix, project }));
  served = await startServedWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, secretKey: SECRET_KEY, concurrency: 2, port: 0, host: '127.0.0.1' });
  workerBase = `http://127.0.0.1:${served.http?.port ?? 0}`;
  redis = new Redis(testRedisUrl());

  // Three runs from the terminal (as alice); bob approves one, denies one, cancels the third.
  const started = await Promise.all([startGated(), startGated(), startGated()]);
  runs.approved = started[0]?.runId ?? '';
  runs.denied = started[1]?.runId ?? '';
  runs.cancelled = started[2]?.runId ?? '';
  const steer = await Promise.all([
    runChatops(['approve', runs.approved, '--as', 'bob'], env()),
    runChatops(['deny', runs.denied, '--as', 'bob'], env()),
    runChatops(['cancel', runs.cancelled], { ...env(), CHATOPS_USER: 'bob' }),
  ]);
  for (const [i, r] of steer.entries()) if (r.code !== 0) throw new Error(`steering command ${i} exited ${r.code}: ${r.stdout}${r.stderr}`);
  for (const { child, runId } of started) exits[runId] = (await child.exited).code;
}, 240_000);

afterAll(async () => {
  for (const c of children) await c.kill();
  await served?.close();
  await front?.close();
  await redis?.quit();
  removeDir(dir);
});

describe('runs steered from a terminal', () => {
  it('end as steered: the `chatops run` processes exit with their run', async () => {
    expect(exits[runs.approved]).toBe(0);
    expect(exits[runs.denied]).toBe(1);
    expect(exits[runs.cancelled]).toBe(130);
    expect((await finished(runs.approved)).state).toBe('succeeded');
    expect((await finished(runs.cancelled)).state).toBe('cancelled');
  });

  it('count on the /metrics of the front and the worker, trigger="cli", each event once', async () => {
    const states = await Promise.all(Object.values(runs).map(async (id) => (await finished(id)).state));
    const texts = await waitFor('the three run ends on /metrics', async () => {
      const t = [await scrape(frontBase), await scrape(workerBase)];
      return sumOf(t, 'chatops_runs_finished_total', { workflow: 'gated' }) >= 3 ? t : undefined;
    });
    expect(sumOf(texts, 'chatops_runs_started_total', { workflow: 'gated', trigger: 'cli' })).toBe(3);
    expect(sumOf(texts, 'chatops_runs_started_total')).toBe(3);
    for (const state of new Set(states)) {
      expect(sumOf(texts, 'chatops_runs_finished_total', { workflow: 'gated', trigger: 'cli', state })).toBe(states.filter((s) => s === state).length);
    }
    expect(sumOf(texts, 'chatops_runs_finished_total')).toBe(3);
    // The decisions were made in the `approve` and `deny` processes: relayed, counted once.
    expect(sumOf(texts, 'chatops_approval_wait_seconds_count', { workflow: 'gated', outcome: 'approved' })).toBe(1);
    expect(sumOf(texts, 'chatops_approval_wait_seconds_count', { workflow: 'gated', outcome: 'denied' })).toBe(1);
    expect(sumOf(texts, 'chatops_steps_started_total', { workflow: 'gated', kind: 'run' })).toBe(1);
    // Taken once: nothing is left to take, and scraping again counts nothing twice.
    expect(await redis.llen(new Keys(prefix).metricsRelay)).toBe(0);
    const again = [await scrape(frontBase), await scrape(workerBase)];
    expect(sumOf(again, 'chatops_runs_started_total')).toBe(3);
    expect(sumOf(again, 'chatops_runs_finished_total')).toBe(3);
  });

  it('show in `chatops audit` with the terminal identity as who', async () => {
    const res = await runChatops(['audit', '--json'], env());
    expect(res.code).toBe(0);
    const records = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    const of = (runId: string) => records.filter((r) => r.runId === runId).map((r) => [r.who, r.action, r.platform]);
    expect(of(runs.approved)).toEqual([
      ['shell:alice', 'started', 'cli'],
      ['shell:bob', 'approved', 'cli'],
    ]);
    expect(of(runs.denied)).toEqual([
      ['shell:alice', 'started', 'cli'],
      ['shell:bob', 'denied', 'cli'],
    ]);
    expect(of(runs.cancelled)).toEqual([
      ['shell:alice', 'started', 'cli'],
      ['shell:bob', 'cancelled', 'cli'],
    ]);
    const approval = records.find((r) => r.runId === runs.approved && r.action === 'approved');
    // --as is a claim: the OS user who made it is kept.
    expect(approval?.text).toMatch(new RegExp(`^chatops approve ${runs.approved} --as bob \\(--as, OS user .+\\)$`));
    expect(records.find((r) => r.runId === runs.approved && r.action === 'started')?.text).toBe('chatops run gated');
    const bob = await runChatops(['audit', '--json', '--who', 'bob'], env());
    expect(bob.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action).sort()).toEqual(['approved', 'cancelled', 'denied']);
  }, 120_000);
});
