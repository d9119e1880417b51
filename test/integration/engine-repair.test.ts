/** A front that dies between changing a run and its follow-up (adding jobs, settling) leaves no run hanging. */
import { describe, expect, it } from '@jest/globals';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const WF = `
name: two
steps:
  - { id: a, run: "echo a" }
  - { id: ok, needs: a, approval: { message: "ok?" } }
  - { id: b, needs: ok, run: "echo b" }
`;

describe('engine: repair after a front crash', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('adds the jobs a crashed front never added, and settles a decision it never applied', async () => {
    h = await harness(workflowsFrom(WF), { workers: 0 });
    const { engine } = h;
    const { run } = await engine.startRun({ workflow: 'two', inputs: {}, trigger: cli });
    // As if the front died right after writing the run: its first job never reached the queue.
    await engine.queue.drain(true);
    await engine.redis.zadd(engine.keys.repair, Date.now() - 1, run.id);
    await h.addWorker({ maintenanceMs: 100 });
    await h.waitFor(run.id, ['waiting']);

    // As if the front died right after recording the decision, before the step was settled.
    await engine.redis.zadd(engine.keys.repair, Date.now() - 1, run.id);
    const reply = await engine.scripts.call('decide', engine.keys.runKeys(run.id), [run.id, 'ok', 'cli:bob', '[]', 'approve', Date.now(), 1000]);
    expect(reply[0]).toBe('1');
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(await engine.redis.zcard(engine.keys.repair)).toBe(0);
  });

  it('clears the repair marks of runs it started, in batches, and what is pending when it closes', async () => {
    h = await harness(workflowsFrom(WF), { workers: 0 });
    const { engine } = h;
    const runs = await Promise.all(Array.from({ length: 50 }, () => engine.startRun({ workflow: 'two', inputs: {}, trigger: cli })));
    expect(runs).toHaveLength(50);
    const deadline = Date.now() + 2_000;
    while ((await engine.redis.zcard(engine.keys.repair)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(await engine.redis.zcard(engine.keys.repair)).toBe(0);

    // A mark set again since the start (a cancel or decision in progress) is not the start's to clear.
    const again = await engine.startRun({ workflow: 'two', inputs: {}, trigger: cli });
    await engine.redis.zadd(engine.keys.repair, Date.now() + 60_000, again.run.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(await engine.redis.zscore(engine.keys.repair, again.run.id)).not.toBeNull();
    await engine.redis.zrem(engine.keys.repair, again.run.id);

    // Marks still waiting for their batch are sent by close().
    const { run } = await engine.startRun({ workflow: 'two', inputs: {}, trigger: cli });
    const reader = engine.redis.duplicate();
    try {
      await engine.close();
      expect(await reader.zscore(engine.keys.repair, run.id)).toBeNull();
    } finally {
      reader.disconnect();
    }
  });
});
