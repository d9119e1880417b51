import { describe, expect, it } from '@jest/globals';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const GATE = `
name: gate
steps:
  - id: ask
    approval: { message: "go?", expires: 30m }
  - id: go
    needs: ask
    run: echo went
`;

describe('engine: shared workflow snapshots (P:wf:SHA)', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('runs of one version share one snapshot, kept while a run is live, then expiring with the retention', async () => {
    h = await harness(workflowsFrom(GATE), { engine: { retentionMs: 60_000 } });
    const { engine } = h;
    const a = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    const b = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    await h.waitFor(b.id, ['waiting']);
    const wf = await engine.redis.hget(engine.keys.run(a.id), 'wf');
    expect(wf).toMatch(/^[0-9a-f]{24}$/);
    expect(await engine.redis.hget(engine.keys.run(b.id), 'wf')).toBe(wf);
    expect(await engine.redis.hmget(engine.keys.run(a.id), 'def', 'graph')).toEqual([null, null]);
    const key = engine.keys.workflow(wf ?? '');
    expect(await engine.redis.hget(key, 'live')).toBe('2');
    expect(await engine.redis.pttl(key)).toBe(-1);

    await engine.decide({ runId: a.id, user: 'cli:bob', roles: [], decision: 'approve' });
    const done = await h.waitFor(a.id);
    expect(done.state).toBe('succeeded');
    expect(done.steps.map((s) => s.id)).toEqual(['ask', 'go']);
    expect(await engine.redis.hget(key, 'live')).toBe('1');
    expect(await engine.redis.pttl(key)).toBe(-1); // b still needs it

    await engine.cancel(b.id, 'cli:bob');
    expect((await h.waitFor(b.id)).state).toBe('cancelled');
    expect(await engine.redis.hget(key, 'live')).toBe('0');
    const ttl = await engine.redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    // A new run of the same version takes it back: no expiry while it is live.
    const c = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    await h.waitFor(c.id, ['waiting']);
    expect(await engine.redis.hget(key, 'live')).toBe('1');
    expect(await engine.redis.pttl(key)).toBe(-1);
  });

  it('a snapshot gone since this process wrote it (expired, flushed) is written again by the next start', async () => {
    h = await harness(workflowsFrom(GATE));
    const { engine } = h;
    const a = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    const wf = (await engine.redis.hget(engine.keys.run(a.id), 'wf')) ?? '';
    const key = engine.keys.workflow(wf);
    const [def, graph] = await engine.redis.hmget(key, 'def', 'graph');
    expect(def).toBeTruthy();
    // The engine now starts runs of this version without resending the JSON; take it away.
    await engine.redis.del(key);
    const b = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    expect(await engine.redis.hget(engine.keys.run(b.id), 'wf')).toBe(wf);
    expect(await engine.redis.hmget(key, 'def', 'graph', 'live')).toEqual([def, graph, '1']);
    await h.waitFor(b.id, ['waiting']);
    await engine.decide({ runId: b.id, user: 'cli:bob', roles: [], decision: 'approve' });
    expect((await h.waitFor(b.id)).state).toBe('succeeded');
  });
});
