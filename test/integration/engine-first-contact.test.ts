/**
 * startStep's 'ctx' mode: a worker that has not seen a run yet claims a plain step and receives
 * the run's context in the same call; a step with a condition is not claimed before the worker
 * evaluated it; snapshots written before graph nodes carried `cond` count as conditional.
 */
import { describe, expect, it } from '@jest/globals';
import { cli, harness, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const TWO_ROOTS = `
name: two-roots
inputs:
  flag: { type: string, default: "no" }
steps:
  - id: plain
    run: echo plain
  - id: gated
    if: \${{ inputs.flag == 'yes' }}
    run: echo gated
`;

describe('engine: first contact of a worker with a run (startStep ctx mode)', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  // Claims are made under a live step lease (step-lease.ts): this test holds one of its own.
  const claim = async (engine: Harness['engine'], runId: string, stepId: string, mode: string) => {
    await engine.redis.set(engine.keys.lease('test'), '1', 'PX', 60_000);
    return engine.scripts.call('startStep', engine.keys.runKeys(runId), [runId, stepId, 1, Date.now(), engine.maxlen, mode, 'test']);
  };

  it('claims a plain step and hands back meta, wf and sealed in the same reply', async () => {
    h = await harness(workflowsFrom(TWO_ROOTS), { workers: 0 });
    const { engine } = h;
    const run = (await engine.startRun({ workflow: 'two-roots', inputs: {}, trigger: cli })).run;
    const [meta, wf, sealed] = await engine.redis.hmget(engine.keys.run(run.id), 'meta', 'wf', 'sealed');
    const reply = await claim(engine, run.id, 'plain', 'ctx');
    expect(reply).toEqual([meta, wf, sealed, 'run']);
    const after = await engine.getRun(run.id);
    expect(after && stepStates(after)).toEqual({ plain: 'running', gated: 'queued' });
    expect(after?.steps[0]?.startedAt).toEqual(expect.any(Number));
    // A second claim of the same attempt finds it running, with what is left of its holder's lease: no second start.
    const again = await claim(engine, run.id, 'plain', 'ctx');
    expect(again.slice(3, 4)).toEqual(['running']);
    expect(Number(again[4])).toBeGreaterThan(50_000);
    // Its holder's lease gone: 0, the step may be taken over.
    await engine.redis.del(engine.keys.lease('test'));
    expect((await engine.scripts.call('startStep', engine.keys.runKeys(run.id), [run.id, 'plain', 1, Date.now(), engine.maxlen, '', 'other'])).slice(0, 2)).toEqual(['running', '0']);
  });

  it('refuses a claim under a step lease whose key is gone (the worker lost it): the step stays queued', async () => {
    h = await harness(workflowsFrom(TWO_ROOTS), { workers: 0 });
    const { engine } = h;
    const run = (await engine.startRun({ workflow: 'two-roots', inputs: {}, trigger: cli })).run;
    const reply = await engine.scripts.call('startStep', engine.keys.runKeys(run.id), [run.id, 'plain', 1, Date.now(), engine.maxlen, '', 'expired-lease']);
    expect(reply).toEqual(['nolease']);
    const after = await engine.getRun(run.id);
    expect(after && stepStates(after)).toEqual({ plain: 'queued', gated: 'queued' });
  });

  it('does not claim a step with a condition: the worker evaluates it first', async () => {
    h = await harness(workflowsFrom(TWO_ROOTS), { workers: 0 });
    const { engine } = h;
    const run = (await engine.startRun({ workflow: 'two-roots', inputs: {}, trigger: cli })).run;
    const reply = await claim(engine, run.id, 'gated', 'ctx');
    expect(reply[3]).toBe('context');
    expect(reply).toHaveLength(4);
    const before = await engine.getRun(run.id);
    expect(before && stepStates(before)).toEqual({ plain: 'queued', gated: 'queued' });
    // Mode '' (the worker has the context and evaluated the condition) claims it.
    expect(await claim(engine, run.id, 'gated', '')).toEqual(['run']);
  });

  it('treats every step of a snapshot without `cond` (written by an older version) as conditional', async () => {
    h = await harness(workflowsFrom(TWO_ROOTS), { workers: 0 });
    const { engine } = h;
    const run = (await engine.startRun({ workflow: 'two-roots', inputs: {}, trigger: cli })).run;
    const key = engine.keys.workflow((await engine.redis.hget(engine.keys.run(run.id), 'wf')) ?? '');
    const graph = JSON.parse((await engine.redis.hget(key, 'graph')) ?? '[]') as Record<string, unknown>[];
    for (const node of graph) delete node.cond;
    await engine.redis.hset(key, 'graph', JSON.stringify(graph));
    // Nor had such a snapshot the node index Lua reads a step from: it is built from the graph.
    await engine.redis.hdel(key, 'nodes', ...graph.map((n) => `n:${String(n.id)}`));
    expect((await claim(engine, run.id, 'plain', 'ctx'))[3]).toBe('context');
    expect(await engine.redis.hexists(key, 'nodes')).toBe(1);
  });

  it('answers gone, without context, for a run that does not exist', async () => {
    h = await harness(workflowsFrom(TWO_ROOTS), { workers: 0 });
    expect(await claim(h.engine, 'r-000000', 'plain', 'ctx')).toEqual(['gone']);
  });

  it('runs both kinds of step through a worker that never saw the run', async () => {
    h = await harness(workflowsFrom(TWO_ROOTS), { workers: 1 });
    const skipped = (await h.engine.startRun({ workflow: 'two-roots', inputs: {}, trigger: cli })).run;
    const ran = (await h.engine.startRun({ workflow: 'two-roots', inputs: { flag: 'yes' }, trigger: cli })).run;
    expect(stepStates(await h.waitFor(skipped.id))).toEqual({ plain: 'succeeded', gated: 'skipped' });
    expect(stepStates(await h.waitFor(ran.id))).toEqual({ plain: 'succeeded', gated: 'succeeded' });
  });
});
