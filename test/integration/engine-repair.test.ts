/** A front that dies between changing a run and its follow-up (adding jobs, settling) leaves no run hanging. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';

const WF = `
name: two
steps:
  - { id: a, run: "echo a" }
  - { id: ok, needs: a, approval: { message: "ok?" } }
  - { id: b, needs: ok, run: "echo b" }
`;

describe('engine: repair after a front crash', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

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
});
