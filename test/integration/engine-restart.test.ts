/** A restart of every process (fronts and workers) loses no run: parked and queued runs carry on. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';

const WF = `
name: gated
concurrency: { key: gated, mode: queue }
steps:
  - { id: ask, approval: { message: "go?" } }
  - { id: work, needs: ask, run: "echo done" }
`;

describe('engine: restart', () => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it('parked and queued runs resume after every process restarted', async () => {
    const workflows = workflowsFrom(WF);
    const first = await harness(workflows, { engine: { lockLeaseMs: 2000 } });
    open.push(first);
    const a = (await first.engine.startRun({ workflow: 'gated', inputs: {}, trigger: { ...cli, channel: '#ops' } })).run;
    await first.waitFor(a.id, ['waiting']);
    const b = (await first.engine.startRun({ workflow: 'gated', inputs: {}, trigger: { ...cli, channel: '#ops' } })).run;
    expect(b.state).toBe('queued');
    await first.close();
    open.splice(0);

    // Everything comes back on the same Redis and prefix, as new processes would.
    const second = await harness(workflows, { engine: { ...first.opts, lockLeaseMs: 2000 } });
    open.push(second);
    expect((await second.engine.listRuns({ channel: '#ops' })).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await second.engine.decide({ runId: a.id, user: 'cli:bob', roles: [], decision: 'approve' })).counted).toBe(true);
    expect((await second.waitFor(a.id)).state).toBe('succeeded');
    await second.waitFor(b.id, ['waiting']);
    await second.engine.decide({ runId: b.id, user: 'cli:bob', roles: [], decision: 'approve' });
    expect((await second.waitFor(b.id)).state).toBe('succeeded');
  });
});
