/**
 * Issue 9.1: a Redis stall must never run two attempts of one step at the same time. A private
 * redis-server (this file's own, so SIGSTOP freezes nothing else) serves two worker processes; the
 * step writes a line with its attempt and a timestamp every 100 ms to a file, so overlap between
 * attempts is read from the file, not guessed from events.
 *
 * Lease 6 s in the workers: renewed every 1 s, the holder kills its step 1 s before the lease could
 * end, a takeover waits 1 s more (leaseTiming in src/engine/step-lease.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { spawnWorker } from '../helpers/spawn-worker.js';

const LEASE_MS = 6000;
const MARGIN_MS = LEASE_MS / 6;

const TICKER = `
name: ticker
inputs: { log: { type: string }, ticks: { type: number } }
steps:
  - id: work
    retry: { attempts: 3, backoff: 100ms }
    env: { LOG: "\${{ inputs.log }}", TICKS: "\${{ inputs.ticks }}" }
    run: |
      echo "start $CHATOPS_ATTEMPT $(date +%s%3N)" >> "$LOG"
      if [ "$CHATOPS_ATTEMPT" -gt 1 ]; then TICKS=20; fi
      for i in $(seq 1 "$TICKS"); do echo "tick $CHATOPS_ATTEMPT $(date +%s%3N)" >> "$LOG"; sleep 0.1; done
      echo "end $CHATOPS_ATTEMPT $(date +%s%3N)" >> "$LOG"
`;

interface Line {
  what: string;
  attempt: number;
  at: number;
}

function readLog(path: string): Line[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [what = '', attempt = '0', at = '0'] = l.split(' ');
      return { what, attempt: Number(attempt), at: Number(at) };
    });
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('engine: a Redis stall never runs two attempts of a step at once', () => {
  let redis: PrivateRedis;
  let h: Harness | undefined;
  let dir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    process.kill(redis.pid, 'SIGCONT'); // never leave it frozen, whatever failed
    for (const c of children.splice(0)) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
    await h?.close();
    h = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the run (attempt 1 ticks `ticks` times, 100 ms apart; later attempts 20) and waits for its first tick. */
  async function start(ticks: number): Promise<{ runId: string; log: string }> {
    dir = mkdtempSync(join(tmpdir(), 'engine-stall-'));
    const log = join(dir, 'log');
    h = await harness(workflowsFrom(TICKER), { workers: 0, engine: { redisUrl: redis.url } });
    for (let i = 0; i < 2; i++) children.push(await spawnWorker(h, [TICKER], { ENGINE_STEP_LEASE_MS: String(LEASE_MS) }));
    const { run } = await h.engine.startRun({ workflow: 'ticker', inputs: { log, ticks }, trigger: cli });
    await until('the first tick', () => readLog(log).some((l) => l.what === 'tick'));
    return { runId: run.id, log };
  }

  it('a stall shorter than the lease: the attempt goes on, the run succeeds, one attempt ran', async () => {
    const { runId, log } = await start(40);
    // Longer than the workers' BullMQ lock (1 s): the job is handed to the other worker meanwhile.
    process.kill(redis.pid, 'SIGSTOP');
    await sleep(2000);
    process.kill(redis.pid, 'SIGCONT');
    const done = await (h as Harness).waitFor(runId, undefined, 30_000);
    const lines = readLog(log);
    expect(lines.filter((l) => l.what === 'start')).toEqual([expect.objectContaining({ attempt: 1 })]);
    expect(new Set(lines.map((l) => l.attempt))).toEqual(new Set([1]));
    expect(lines.at(-1)?.what).toBe('end');
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    const events = await (h as Harness).engine.readEvents(runId);
    expect(events.filter((e) => e.type === 'step.started')).toHaveLength(1);
  });

  it('a stall longer than the lease: the holder kills its attempt before the lease ends; the retry starts after lease + margin, never beside it', async () => {
    // Attempt 1 would tick for 10 s: far past the point where its worker must have killed it.
    const { runId, log } = await start(100);
    const stoppedAt = Date.now();
    process.kill(redis.pid, 'SIGSTOP');
    await sleep(LEASE_MS + 2000);
    const resumedAt = Date.now();
    process.kill(redis.pid, 'SIGCONT');
    const done = await (h as Harness).waitFor(runId, undefined, 30_000);
    const lines = readLog(log);
    const first = lines.filter((l) => l.attempt === 1);
    const second = lines.filter((l) => l.attempt === 2);
    const lastOfFirst = Math.max(...first.map((l) => l.at));
    // Killed by its own worker while Redis was still frozen, before its lease (at most LEASE_MS from the freeze) could end.
    expect(first.some((l) => l.what === 'end')).toBe(false);
    expect(lastOfFirst).toBeLessThan(stoppedAt + LEASE_MS);
    // The next attempt began only after the old lease had surely ended (it could not be renewed
    // after the freeze) plus the margin, once Redis answered again, and ran to its end.
    expect(second[0]?.what).toBe('start');
    expect(second[0]?.at ?? 0).toBeGreaterThanOrEqual(stoppedAt + LEASE_MS + MARGIN_MS);
    expect(second[0]?.at ?? 0).toBeGreaterThan(Math.max(resumedAt, lastOfFirst + MARGIN_MS));
    expect(second.at(-1)?.what).toBe('end');
    expect(lines.some((l) => l.attempt > 2)).toBe(false);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ state: 'succeeded', attempt: 2 });
  });
  it('a worker frozen longer than its lease: its guard kills the attempt before the lease ends; the other worker retries it after lease + margin', async () => {
    const { runId, log } = await start(100);
    // The lease the step was claimed under names the worker: host:pid:…:generation:random.
    const holder = await (h as Harness).engine.redis.hget((h as Harness).engine.keys.st(runId), 'work#w');
    const pid = Number(holder?.split(':').at(-4));
    const frozen = children.find((c) => c.pid === pid);
    expect(frozen).toBeDefined();
    const stoppedAt = Date.now();
    frozen?.kill('SIGSTOP');
    try {
      await until('the second attempt', () => readLog(log).some((l) => l.attempt === 2), 20_000);
    } finally {
      frozen?.kill('SIGCONT');
    }
    const done = await (h as Harness).waitFor(runId, undefined, 30_000);
    const lines = readLog(log);
    const first = lines.filter((l) => l.attempt === 1);
    const second = lines.filter((l) => l.attempt === 2);
    const lastOfFirst = Math.max(...first.map((l) => l.at));
    expect(first.some((l) => l.what === 'end')).toBe(false);
    expect(lastOfFirst).toBeLessThan(stoppedAt + LEASE_MS);
    expect(second[0]?.what).toBe('start');
    expect(second[0]?.at ?? 0).toBeGreaterThanOrEqual(stoppedAt + LEASE_MS + MARGIN_MS);
    expect(second[0]?.at ?? 0).toBeGreaterThan(lastOfFirst + MARGIN_MS);
    expect(lines.some((l) => l.attempt > 2)).toBe(false);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ state: 'succeeded', attempt: 2 });
  });
});
