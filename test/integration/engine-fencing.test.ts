/**
 * Writes of an attempt that lost its hold on the step are refused in Redis: step output is
 * written only while its attempt is the step's current one and `running` (appendEvent's fence).
 */
import { describe, expect, it } from '@jest/globals';
import { cli, harness, workflowsFrom } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const ONE = `
name: one
steps:
  - { id: work, run: "true" }
`;

describe('engine: a stale attempt cannot write into its run', () => {
  closeHarnessesAfterEach();

  it('step output is written for the running attempt only', async () => {
    const h = await harness(workflowsFrom(ONE), { workers: 0 });
    const { engine } = h;
    const run = (await engine.startRun({ workflow: 'one', inputs: {}, trigger: cli })).run;
    const keys = engine.keys.runKeys(run.id);
    const output = (attempt: number) =>
      engine.scripts.call('appendEvent', keys, [engine.maxlen, 1_000_000, 4, JSON.stringify({ ts: Date.now(), runId: run.id, type: 'step.output', step: 'work', lines: [`a${attempt}`], stream: 'stdout' }), 'work', attempt]);
    expect(await output(1)).toEqual(['stale']); // queued, not running yet
    await engine.redis.set(engine.keys.lease('test'), '1', 'PX', 60_000);
    expect((await engine.scripts.call('startStep', keys, [run.id, 'work', 1, Date.now(), engine.maxlen, '', 'test']))[0]).toBe('run');
    expect(await output(1)).toEqual(['ok']);
    // Taken over: the next attempt is queued; attempt 1's late lines are refused.
    await engine.redis.hset(engine.keys.st(run.id), 'work', 'queued', 'work#a', '2');
    expect(await output(1)).toEqual(['stale']);
    const lines = (await engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toEqual(['a1']);
  });
});
