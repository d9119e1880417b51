/**
 * The reporter pool reads the events of every run it drives through one feed: one blocking read
 * over all their streams at a time (not one per run, which costs a Redis connection each), and
 * each run still gets all of its own events, in order, up to its final state.
 */
import { Redis } from 'ioredis';
import { EventFeed } from '../../src/chat/event-feed.ts';
import { ReporterPool } from '../../src/chat/reporter.ts';
import { createEngine, startWorker, type Engine, type WorkerHandle } from '../../src/engine/index.ts';
import type { ReadEventsManyOptions, ReadEventsOptions } from '../../src/engine/types.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { workflowSchema } from '../../src/workflow/schema.ts';
import { CountingPlatform } from '../helpers/counting-platform.ts';
import { testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

const RUNS = 30;

describe('reporter event feed', () => {
  const prefix = uniquePrefix('feed');
  const workflow = workflowSchema.parse({
    name: 'talk',
    steps: [{ id: 'say', run: 'for i in 1 2 3 4 5; do echo "line $i of $RUN"; sleep 0.05; done', env: { RUN: '${{ run.id }}' } }],
  });
  const project = { workflows: new Map([[workflow.name, workflow]]) };
  let engine: Engine;
  let worker: WorkerHandle;
  let redis: Redis;

  beforeAll(async () => {
    engine = createEngine({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger });
    worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, concurrency: 8 });
    redis = new Redis(testRedisUrl());
  });

  afterAll(async () => {
    await worker.close();
    await engine.close();
    await redis.quit();
  });

  it(`drives ${RUNS} runs with one blocking read at a time, each run getting all its output`, async () => {
    // The real engine, counting how its events are read.
    let inFlight = 0;
    let maxInFlight = 0;
    let widest = 0;
    let blockingSingleReads = 0;
    const counting = Object.create(engine) as Engine;
    counting.readEventsMany = async (cursors: ReadonlyMap<string, string>, opts?: ReadEventsManyOptions) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      widest = Math.max(widest, cursors.size);
      try {
        return await engine.readEventsMany(cursors, opts);
      } finally {
        inFlight--;
      }
    };
    counting.readEvents = async (runId: string, opts?: ReadEventsOptions) => {
      if ((opts?.blockMs ?? 0) > 0) blockingSingleReads++;
      return engine.readEvents(runId, opts);
    };
    const platform = new CountingPlatform({ writes: 1000, perMs: 1000 }, { maxLines: 20, maxChars: 3000 });
    const pool = new ReporterPool({ redis, prefix, runs: counting, platforms: [platform], log: silentLogger, pollMs: 100, blockMs: 500, minIntervalMs: 50, tickMs: 0 });
    pool.start();
    try {
      const runIds: string[] = [];
      const finished: Promise<void>[] = [];
      for (let i = 0; i < RUNS; i++) {
        const { run } = await engine.startRun({ workflow: 'talk', inputs: {}, trigger: { kind: 'chat', source: 'fake', requester: 'fake:U1', channel: `C${i}` } });
        runIds.push(run.id);
        finished.push(pool.whenFinished(run.id));
        await pool.track(run, { platform: 'fake', channel: `C${i}` });
      }
      await Promise.all(finished);
      expect(maxInFlight).toBe(1);
      expect(blockingSingleReads).toBe(0);
      expect(widest).toBeGreaterThan(1);
      for (const id of runIds) {
        const header = platform.find('run', (c) => c.kind === 'run' && c.view.runId === id);
        expect(header?.content.kind === 'run' && header.content.view.state).toBe('succeeded');
        const output = platform.find('step-output', (c) => c.kind === 'step-output' && c.view.runId === id);
        const lines = output?.content.kind === 'step-output' ? output.content.view.lines.map((l) => l.text) : [];
        expect(lines).toEqual([1, 2, 3, 4, 5].map((n) => `line ${n} of ${id}`));
      }
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('runs subscribed one after another while a read blocks end it once, and each gets its events', async () => {
    let reads = 0;
    const counting = Object.create(engine) as Engine;
    counting.readEventsMany = (cursors: ReadonlyMap<string, string>, opts?: ReadEventsManyOptions) => {
      reads++;
      return engine.readEventsMany(cursors, opts);
    };
    const feed = new EventFeed({ runs: counting, log: silentLogger, blockMs: 30_000, coalesceMs: 2_000 });
    const start = async () => (await engine.startRun({ workflow: 'talk', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'cli:alice' } })).run;
    const idle = await start();
    // No worker: the runs' streams hold what starting them wrote, and nothing more comes.
    await worker.close();
    const quiet = feed.subscribe(idle.id, (await engine.readEvents(idle.id)).at(-1)?.id ?? '0');
    const subs: ReturnType<EventFeed['subscribe']>[] = [];
    try {
      while (reads === 0) await new Promise((r) => setTimeout(r, 10));
      for (let i = 0; i < 5; i++) {
        // Time enough between them for a read to end and another to begin, were each to end it.
        await new Promise((r) => setTimeout(r, 50));
        subs.push(feed.subscribe((await start()).id, '0'));
      }
      for (const sub of subs) {
        const events = await sub.next(10_000);
        expect(events.map((e) => e.type).slice(0, 2)).toEqual(['run.created', 'run.started']);
      }
      // The first read, one ended early for all five (it brings their events), the next blocking one.
      expect(reads).toBe(3);
    } finally {
      for (const sub of [quiet, ...subs]) sub.close();
      await feed.close();
      for (const run of await engine.listRuns({})) if (run.state === 'running' || run.state === 'queued') await engine.cancel(run.id, 'test');
      worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, concurrency: 8 });
    }
  }, 30_000);

  it('a run subscribed while a read blocks gets its events without waiting out the block', async () => {
    const feed = new EventFeed({ runs: engine, log: silentLogger, blockMs: 30_000 });
    const idle = (await engine.startRun({ workflow: 'talk', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'cli:alice' } })).run;
    await worker.close();
    try {
      const quiet = feed.subscribe(idle.id, (await engine.readEvents(idle.id)).at(-1)?.id ?? '0');
      // The feed now blocks on the quiet run's stream for up to 30 s.
      const pending = quiet.next(100);
      expect(await pending).toEqual([]);
      const late = (await engine.startRun({ workflow: 'talk', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'cli:alice' } })).run;
      const sub = feed.subscribe(late.id, '0');
      const events = await sub.next(10_000);
      expect(events.map((e) => e.type).slice(0, 2)).toEqual(['run.created', 'run.started']);
      quiet.close();
      sub.close();
      await engine.cancel(idle.id, 'test');
      await engine.cancel(late.id, 'test');
    } finally {
      await feed.close();
      worker = await startWorker({ redisUrl: testRedisUrl(), prefix, project, log: silentLogger, concurrency: 8 });
    }
  }, 30_000);
});
