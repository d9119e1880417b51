import { describe, expect, it } from '@jest/globals';
import { lockName } from '../../src/engine/lock-name.js';
import { resolveSecretKey } from '../../src/engine/seal.js';
import { cli, harness, TEST_SECRET_KEY, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const wf = (mode: 'queue' | 'reject') => `
name: deploy
inputs: { env: { type: string, default: prod } }
concurrency: { key: "deploy-\${{ inputs.env }}", mode: ${mode} }
steps:
  - id: hold
    approval: { message: hold the lock }
`;
const deployProd = lockName(resolveSecretKey(TEST_SECRET_KEY), 'deploy-prod');

describe('engine: concurrency locks', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('queues runs behind the holder with their position, and starts the next when it ends', async () => {
    h = await harness(workflowsFrom(wf('queue')));
    const a = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    const b = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    const c = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    const other = (await h.engine.startRun({ workflow: 'deploy', inputs: { env: 'staging' }, trigger: cli })).run;
    expect(b.state).toBe('queued');
    expect(b.queue).toEqual({ key: 'deploy-prod', position: 1, holder: a.id });
    expect(c.queue).toMatchObject({ position: 2, holder: a.id });
    expect(other.state).toBe('running');
    const queuedEvent = (await h.engine.readEvents(c.id)).find((e) => e.type === 'run.queued');
    expect(queuedEvent).toMatchObject({ key: 'deploy-prod', position: 2, holder: a.id });

    await h.engine.cancel(a.id, 'cli:alice');
    await h.waitFor(b.id, ['waiting']);
    expect((await h.engine.getRun(c.id))?.queue).toMatchObject({ position: 1, holder: b.id });
    // A queued run that is cancelled leaves the queue without ever starting.
    const cancelledC = await h.engine.cancel(c.id, 'cli:alice');
    expect(cancelledC.state).toBe('cancelled');
    expect(cancelledC.startedAt).toBeUndefined();
    await h.engine.cancel(b.id, 'cli:alice');
    await h.engine.cancel(other.id, 'cli:alice');
  });

  it('rejects with an error naming the holder in reject mode', async () => {
    h = await harness(workflowsFrom(wf('reject')));
    const a = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    await expect(h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: { ...cli, requester: 'cli:bob' } })).rejects.toMatchObject({
      code: 'CONCURRENCY_HELD',
      details: { key: 'deploy-prod', holder: a.id },
      message: expect.stringContaining(`run ${a.id} of deploy, started by cli:alice`),
    });
    await h.engine.cancel(a.id, 'cli:alice');
  });

  it('reclaims a lock whose holder crashed without releasing it', async () => {
    h = await harness(workflowsFrom(wf('queue')), { engine: { lockLeaseMs: 600 }, worker: { maintenanceMs: 100 } });
    const a = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    const b = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    expect(b.state).toBe('queued');
    // The holder's data vanishes without its ending ever running (a crash that lost it): nobody
    // releases the lock. A holder that no longer exists (or ended) does not hold it: worker
    // maintenance reclaims it and starts the next run; a lapsed lease is reclaimed the same way.
    const redis = h.engine.redis;
    await redis.del(h.engine.keys.run(a.id), h.engine.keys.st(a.id), h.engine.keys.steps(a.id), h.engine.keys.appr(a.id));
    expect(await redis.get(h.engine.keys.lock(deployProd))).toBe(a.id);
    const started = await h.waitFor(b.id, ['waiting']);
    expect(started.state).toBe('waiting');
    expect(await redis.get(h.engine.keys.lock(deployProd))).toBe(b.id);
    await h.engine.cancel(b.id, 'cli:alice');
    expect(await redis.get(h.engine.keys.lock(deployProd))).toBeNull();
  });

  it('a live holder keeps its lock past the lease while workers renew it', async () => {
    h = await harness(workflowsFrom(wf('queue')), { engine: { lockLeaseMs: 300 }, worker: { maintenanceMs: 100 } });
    const a = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    await new Promise((r) => setTimeout(r, 900));
    expect(await h.engine.redis.get(h.engine.keys.lock(deployProd))).toBe(a.id);
    const b = (await h.engine.startRun({ workflow: 'deploy', inputs: {}, trigger: cli })).run;
    expect(b.state).toBe('queued');
    await h.engine.cancel(b.id, 'cli:alice');
    await h.engine.cancel(a.id, 'cli:alice');
  });
});
