import { describe, expect, it } from '@jest/globals';
import { expiryMember } from '../../src/engine/keys.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const GATE = `
name: gate
steps:
  - id: ask
    approval: { message: "go?", expires: 1500ms }
  - id: go
    needs: ask
    run: "true"
`;

describe('engine: approval expiry (P:expiry sweep)', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('a parked approval is one sorted-set entry, no BullMQ job; it expires after every worker restarted', async () => {
    h = await harness(workflowsFrom(GATE));
    const { engine } = h;
    const { run } = await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    await h.waitFor(run.id, ['waiting']);
    const expiresAt = Number(await engine.redis.zscore(engine.keys.expiry, expiryMember(run.id, 'ask')));
    const approval = (await engine.getRun(run.id))?.steps[0]?.approval;
    expect(expiresAt).toBe(approval?.expiresAt);
    expect(await engine.queue.getJobCounts('wait', 'active', 'delayed')).toEqual({ wait: 0, active: 0, delayed: 0 });

    // Every worker goes away before the expiry time; a new one, started after it, still denies.
    for (const w of h.workers.splice(0)) await w.close();
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200));
    expect((await engine.getRun(run.id))?.state).toBe('waiting');
    await h.addWorker();
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('failed');
    expect(done.steps[0]?.approval?.outcome).toBe('expired');
    expect(await engine.redis.zcard(engine.keys.expiry)).toBe(0);
  });

  it('a decided or cancelled approval leaves no expiry entry behind', async () => {
    h = await harness(workflowsFrom(GATE.replace('1500ms', '30m')));
    const { engine } = h;
    const a = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    const b = (await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    await h.waitFor(b.id, ['waiting']);
    expect(await engine.redis.zcard(engine.keys.expiry)).toBe(2);
    await engine.decide({ runId: a.id, user: 'cli:bob', roles: [], decision: 'approve' });
    expect((await h.waitFor(a.id)).state).toBe('succeeded');
    await engine.cancel(b.id, 'cli:bob');
    expect((await h.waitFor(b.id)).state).toBe('cancelled');
    expect(await engine.redis.zcard(engine.keys.expiry)).toBe(0);
  });
});
