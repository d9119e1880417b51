/**
 * Reporters across replicas: two pools serve the same (fake) chat platform on one Redis. Exactly
 * one drives a run's messages; when it is cut off from Redis, the other takes over from the stored
 * refs and cursor, edits the same messages (no second header) and writes the final state.
 */
import { Redis } from 'ioredis';
import { ReporterPool } from '../../src/chat/reporter.ts';
import { createEngine, newRunId, startWorker, type Engine, type WorkerHandle } from '../../src/engine/index.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { workflowSchema } from '../../src/workflow/schema.ts';
import { CountingPlatform } from '../helpers/counting-platform.ts';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('reporter pool with two replicas', () => {
  const prefix = uniquePrefix('reporter');
  const workflow = workflowSchema.parse({
    name: 'chatty',
    description: 'Prints a line every 100 ms.',
    steps: [
      { id: 'talk', run: 'for i in $(seq 1 30); do echo "line $i"; sleep 0.1; done' },
      { id: 'after', needs: ['talk'], run: 'echo done' },
    ],
  });
  const project = { workflows: new Map([[workflow.name, workflow]]) };
  let engine: Engine;
  let worker: WorkerHandle;
  const conns: Redis[] = [];
  const pools: ReporterPool[] = [];
  /**
   * One pool alone on the prefix: the earlier tests' pools share it and a platform of the same
   * name, so left running either could win a run's lease and post to its own platform.
   */
  const onlyPool = async () => {
    for (const p of pools.splice(0)) await p.close();
    const platform = new CountingPlatform({ writes: 50, perMs: 1000 }, { maxLines: 10, maxChars: 2000 });
    const redis = new Redis(testRedisUrl());
    conns.push(redis);
    const pool = new ReporterPool({ redis, prefix, runs: engine, platforms: [platform], log: silentLogger, leaseMs: 1500, pollMs: 200, blockMs: 200, minIntervalMs: 100 });
    pools.push(pool);
    pool.start();
    return { platform, pool, redis };
  };

  beforeAll(async () => {
    engine = createEngine({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger });
    worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, concurrency: 2 });
  });

  afterAll(async () => {
    for (const p of pools) await p.close();
    for (const c of conns) if (c.status === 'ready') await c.quit();
    await worker.close();
    await engine.close();
  });

  it('one drives at a time; the other takes over when it is cut off, editing the same messages', async () => {
    const platform = new CountingPlatform({ writes: 50, perMs: 1000 }, { maxLines: 10, maxChars: 2000 });
    const make = () => {
      const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
      redis.on('error', () => undefined);
      conns.push(redis);
      const pool = new ReporterPool({ redis, prefix, runs: engine, platforms: [platform], log: silentLogger, leaseMs: 1500, pollMs: 200, blockMs: 200, minIntervalMs: 100 });
      pools.push(pool);
      pool.start();
      return { pool, redis };
    };
    const a = make();
    const b = make();

    const { run } = await engine.startRun({ workflow: 'chatty', inputs: {}, trigger: { kind: 'chat', source: 'fake', requester: 'fake:U1', channel: 'C1' } });
    await a.pool.track(run, { platform: 'fake', channel: 'C1' });

    const first = await until('a reporter to drive the run', () => [a, b].find((r) => r.pool.drivingRuns().includes(run.id)));
    const second = first === a ? b : a;
    expect(second.pool.drivingRuns()).not.toContain(run.id);
    expect(await first.pool.store.leaseHolder(run.id)).toBe(first.pool.id);

    // Let some output reach the chat, then cut the driver off from Redis.
    await until('some output in the thread', () => platform.find('step-output'));
    first.redis.disconnect();
    await until('the other replica to take over', () => second.pool.drivingRuns().includes(run.id) || undefined);

    await until('the final state in chat', () => {
      const root = platform.find('run');
      return root?.content.kind === 'run' && root.content.view.final ? root : undefined;
    });
    await until('the run to leave the active set', async () => ((await second.pool.store.load(run.id))?.done ? true : undefined));

    // One header, one output reply per step, all edited in place.
    const roots = [...platform.messages.values()].filter((m) => m.content.kind === 'run');
    expect(roots).toHaveLength(1);
    const talk = platform.find('step-output', (c) => c.kind === 'step-output' && c.view.stepId === 'talk');
    const last = talk?.content;
    if (last?.kind !== 'step-output') throw new Error('no output message for step talk');
    expect(last.view.final).toBe(true);
    expect(last.view.lines.at(-1)?.text).toBe('line 30');
    expect(last.view.totalLines).toBe(30);
    const root = roots[0]?.content;
    expect(root?.kind === 'run' && root.view.state).toBe('succeeded');
  }, 40_000);

  it('a run wiped from Redis while followed is said to be gone once in its thread', async () => {
    const gate = workflowSchema.parse({ name: 'gate', steps: [{ id: 'ask', approval: { message: 'go?', expires: '1h' } }] });
    project.workflows.set(gate.name, gate);
    const { platform, pool, redis } = await onlyPool();
    const { run } = await engine.startRun({ workflow: 'gate', inputs: {}, trigger: { kind: 'chat', source: 'fake', requester: 'fake:U1', channel: 'C9' } });
    await pool.track(run, { platform: 'fake', channel: 'C9' });
    await until('the approval in the thread', () => platform.find('approval'));

    // What Redis without persistence does after a restart, for this run only.
    const keys = await redis.keys(`${prefix}:run:${run.id}*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);

    await until('the reporter to let the run go', async () => ((await pool.store.load(run.id))?.done ? true : undefined));
    await sleep(1000);
    const gone = [...platform.messages.values()].filter((m) => m.content.kind === 'notice' && m.content.view.text.includes('is gone'));
    expect(gone).toHaveLength(1);
    expect(gone[0]?.content.kind === 'notice' && gone[0].content.view.text).toContain(`${run.id} is gone: its record is no longer in Redis`);
    // The header no longer says "waiting": it says the run is gone, with its last known state.
    const header = [...platform.messages.values()].find((m) => m.content.kind === 'run' && m.content.view.runId === run.id);
    expect(header?.content.kind === 'run' && header.content.view.gone).toBe(true);
    expect(pool.drivingRuns()).not.toContain(run.id);
  }, 40_000);

  it('a run handed over before it is written (a front that could die in between) is reported once it is', async () => {
    const { platform, pool } = await onlyPool();
    const runId = newRunId();
    await pool.track({ id: runId, createdAt: Date.now() }, { platform: 'fake', channel: 'C7' });
    await until('a reporter to drive the run that is not written yet', () => pool.drivingRuns().includes(runId) || undefined);
    await sleep(1000);
    expect(platform.messages.size).toBe(0);

    await engine.startRun({ runId, workflow: 'chatty', inputs: {}, trigger: { kind: 'chat', source: 'fake', requester: 'fake:U1', channel: 'C7' } });
    await until('the final state in chat', () => {
      const root = platform.find('run');
      return root?.content.kind === 'run' && root.content.view.final ? root : undefined;
    });
    const roots = [...platform.messages.values()].filter((m) => m.content.kind === 'run');
    expect(roots).toHaveLength(1);
    expect(roots[0]?.content.kind === 'run' && roots[0].content.view.state).toBe('succeeded');
  }, 40_000);
});
