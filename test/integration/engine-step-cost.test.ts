/**
 * Issue 9.3: a step's Lua work must cost O(the steps that need it), not O(the workflow's steps).
 * On a private redis-server (so nothing else runs commands on it), runs are created by the engine
 * and their steps ended by calling finishStep directly; Redis's own per-command call counts (INFO
 * commandstats, which count the commands a script runs) show what each call did. The snapshot's
 * whole graph is removed while the steps end: a call that still decoded it would fail.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { until } from '../helpers/until.js';

function chain(name: string, n: number): string {
  const steps = Array.from({ length: n }, (_, i) => `  - { id: s${i}, run: "true"${i > 0 ? `, needs: [s${i - 1}]` : ''} }`);
  return `name: ${name}\nsteps:\n${steps.join('\n')}\n`;
}

/** s0, then n - 2 steps that need s0, then a join that needs all of them. */
function wide(name: string, n: number): string {
  const middle = Array.from({ length: n - 2 }, (_, i) => `s${i + 1}`);
  const steps = [`  - { id: s0, run: "true" }`, ...middle.map((id) => `  - { id: ${id}, run: "true", needs: [s0] }`), `  - { id: join, run: "true", needs: [${middle.join(', ')}] }`];
  return `name: ${name}\nsteps:\n${steps.join('\n')}\n`;
}

type Calls = Map<string, number>;

async function commandCalls(redis: Redis): Promise<Calls> {
  const info = await redis.info('commandstats');
  const calls: Calls = new Map();
  for (const m of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls.set(m[1] ?? '', Number(m[2]));
  return calls;
}

/** The commands run between two snapshots of the counts (the INFO calls themselves left out). */
function delta(before: Calls, after: Calls): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cmd, n] of after) {
    const d = n - (before.get(cmd) ?? 0);
    if (d > 0 && cmd !== 'info') out[cmd] = d;
  }
  return out;
}

describe('engine: the cost of a step end', () => {
  let redis: PrivateRedis;
  let probe: Redis;
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  beforeAll(async () => {
    redis = await startPrivateRedis();
    probe = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    probe.disconnect();
    await redis.stop();
  });

  /** Creates a run (no worker: nothing runs its steps) and returns a function ending one step. */
  async function start(yaml: string, name: string) {
    h = await harness(workflowsFrom(yaml), { workers: 0, engine: { redisUrl: redis.url } });
    const engine = h.engine;
    const { run } = await engine.startRun({ workflow: name, inputs: {}, trigger: cli });
    const snapshot = `${engine.keys.prefix}:wf:${(await probe.hget(engine.keys.run(run.id), 'wf')) ?? ''}`;
    // The start's repair mark is cleared by a batch a few milliseconds later (repair-marks.ts); on a
    // loaded machine that batch can land inside a measurement, so nothing is counted before it has.
    await until('the start\'s repair mark to be cleared', async () => (await probe.zcard(engine.keys.repair)) === 0);
    const finish = async (step: string): Promise<{ reply: string[]; calls: Record<string, number> }> => {
      const event = JSON.stringify({ ts: Date.now(), runId: run.id, type: 'step.finished', step, state: 'succeeded', durationMs: 0, outputs: {} });
      const before = await commandCalls(probe);
      const reply = await engine.scripts.call('finishStep', [...engine.keys.runKeys(run.id), '', ''], [run.id, step, 1, 'succeeded', 'queued', '{}', event, '', Date.now(), engine.maxlen, '']);
      return { reply, calls: delta(before, await commandCalls(probe)) };
    };
    return { engine, runId: run.id, snapshot, finish };
  }

  it('ends a step of a 1,000-step chain with the same commands as one of a 10-step chain, reading no whole hash', async () => {
    const perStep: Record<string, number>[] = [];
    for (const n of [10, 1000]) {
      const { engine, runId, snapshot, finish } = await start(chain(`chain${n}`, n), `chain${n}`);
      await finish('s0'); // the script is loaded (EVALSHA after a first EVAL) before anything is counted
      const graph = await probe.hget(snapshot, 'graph');
      await probe.hdel(snapshot, 'graph');
      const middle = await finish('s1');
      expect(middle.reply.slice(0, 3)).toEqual(['recorded', '', '']);
      expect(middle.reply.slice(3)).toEqual(['s2', '1', '0']);
      perStep.push(middle.calls);
      for (let i = 2; i < n - 1; i++) await finish(`s${i}`);
      const last = await finish(`s${n - 1}`);
      expect(last.reply.slice(0, 3)).toEqual(['recorded', '', 'succeeded']);
      await probe.hset(snapshot, 'graph', graph ?? '');
      await engine.finishRun(runId, 'succeeded');
      const done = await engine.getRun(runId);
      expect(done?.state).toBe('succeeded');
      expect(done?.steps.every((s) => s.state === 'succeeded')).toBe(true);
      await h?.close();
      h = undefined;
    }
    const [small, big] = perStep;
    expect(big).toEqual(small);
    expect(big?.hgetall).toBeUndefined();
    expect(big?.evalsha).toBe(1);
    const total = Object.values(big ?? {}).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(40);
  });

  it('ends each of 998 parallel steps without looking at the others, and starts their join after the last', async () => {
    const { engine, runId, snapshot, finish } = await start(wide('wide', 1000), 'wide');
    const graph = await probe.hget(snapshot, 'graph');
    await probe.hdel(snapshot, 'graph');
    const root = await finish('s0');
    // The root's own dependents are its cost: all 998 queued by this one call.
    expect((root.reply.length - 3) / 3).toBe(998);
    const costs: Record<string, number>[] = [];
    for (let i = 1; i <= 998; i++) {
      const { reply, calls } = await finish(`s${i}`);
      if (i === 2 || i === 500 || i === 997) costs.push(calls);
      if (i < 998) expect(reply.slice(3)).toEqual([]);
      else expect(reply.slice(3)).toEqual(['join', '1', '0']);
    }
    expect(costs[1]).toEqual(costs[0]);
    expect(costs[2]).toEqual(costs[0]);
    expect(costs[0]?.hgetall).toBeUndefined();
    expect(Object.values(costs[0] ?? {}).reduce((a, b) => a + b, 0)).toBeLessThan(40);
    const end = await finish('join');
    expect(end.reply.slice(0, 3)).toEqual(['recorded', '', 'succeeded']);
    await probe.hset(snapshot, 'graph', graph ?? '');
    await engine.finishRun(runId, 'succeeded');
    expect((await engine.getRun(runId))?.steps.filter((s) => s.state === 'succeeded')).toHaveLength(1000);
  });
});
