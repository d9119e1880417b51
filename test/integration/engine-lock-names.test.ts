/**
 * A concurrency lock is named by the real key (an HMAC of it: lock-name.ts), never by the key
 * masked with the run's own secrets: which secrets a run has changes neither who waits for whom
 * nor what Redis and the people watching see.
 */
import { describe, expect, it } from '@jest/globals';
import { formatContent } from '../../src/adapters/shell/ansi-format.js';
import { buildRunView } from '../../src/chat/render-model.js';
import { lockName } from '../../src/engine/lock-name.js';
import { resolveSecretKey } from '../../src/engine/seal.js';
import { cli, harness, TEST_SECRET_KEY, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { keysHolding } from '../helpers/redis-dump.js';

/** The queued line chat shows for a run (the presenter's `queued` content, as the shell prints it). */
async function queuedText(h: Harness, runId: string): Promise<string> {
  const run = await h.engine.getRun(runId);
  const queue = run ? buildRunView(run, Date.now()).queue : undefined;
  return queue ? formatContent({ kind: 'queued', view: queue }, { color: false }).join('\n') : '';
}

const deploy = (mode: 'queue' | 'reject') => `
name: deploy
inputs:
  env: { type: string, default: prod }
  token: { type: string, secret: true }
concurrency: { key: "deploy-\${{ inputs.env }}", mode: ${mode} }
steps:
  - id: hold
    approval: { message: hold the lock }
`;

const rotate = `
name: rotate
inputs: { token: { type: string, secret: true, required: true } }
concurrency: { key: "\${{ inputs.token }}", mode: queue }
steps:
  - id: hold
    approval: { message: hold the lock }
`;

describe('engine: concurrency lock names', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('runs of one real key queue behind each other whether or not a short secret occurs in it', async () => {
    h = await harness(workflowsFrom(deploy('queue')));
    // `k` is in `deploy-checkout`: masked with a's secrets the key reads `deploy-chec***out`.
    const a = (await h.engine.startRun({ workflow: 'deploy', inputs: { env: 'checkout', token: 'k' }, trigger: cli })).run;
    await h.waitFor(a.id, ['waiting']);
    const b = (await h.engine.startRun({ workflow: 'deploy', inputs: { env: 'checkout' }, trigger: cli })).run;
    const c = (await h.engine.startRun({ workflow: 'deploy', inputs: { env: 'checkout', token: 'k' }, trigger: cli })).run;
    expect(b.state).toBe('queued');
    expect(b.queue).toEqual({ key: 'deploy-checkout', position: 1, holder: a.id });
    // Each run shows the key masked with its own secrets.
    expect(c.queue).toEqual({ key: 'deploy-chec***out', position: 2, holder: a.id });
    expect((await h.engine.getRun(c.id))?.queue).toEqual({ key: 'deploy-chec***out', position: 2, holder: a.id });
    expect((await h.engine.readEvents(c.id)).find((e) => e.type === 'run.queued')).toMatchObject({ key: 'deploy-chec***out', position: 2 });
    expect(await queuedText(h, c.id)).toBe(`○ ${c.id} queued behind lock deploy-chec***out: position 2, held by ${a.id}`);
    const name = lockName(resolveSecretKey(TEST_SECRET_KEY), 'deploy-checkout');
    expect(name).toMatch(/^h:[A-Za-z0-9_-]{43}$/);
    expect(await h.engine.redis.get(h.engine.keys.lock(name))).toBe(a.id);
    expect(await h.engine.redis.smembers(h.engine.keys.locks)).toEqual([name]);

    await h.engine.cancel(a.id, 'cli:alice');
    await h.waitFor(b.id, ['waiting']);
    expect((await h.engine.getRun(c.id))?.queue).toMatchObject({ position: 1, holder: b.id });
    await h.engine.cancel(c.id, 'cli:alice');
    await h.engine.cancel(b.id, 'cli:alice');
    expect(await h.engine.redis.exists(h.engine.keys.lock(name), h.engine.keys.lockQueue(name))).toBe(0);
  });

  it('refuses a run with a short secret in its key while a run without it holds the key, showing its own masked key', async () => {
    h = await harness(workflowsFrom(deploy('reject')));
    const a = (await h.engine.startRun({ workflow: 'deploy', inputs: { env: 'checkout' }, trigger: cli })).run;
    await expect(h.engine.startRun({ workflow: 'deploy', inputs: { env: 'checkout', token: 'k' }, trigger: cli })).rejects.toMatchObject({
      code: 'CONCURRENCY_HELD',
      details: { key: 'deploy-chec***out', holder: a.id },
      message: expect.stringContaining('already running for "deploy-chec***out" (run '),
    });
    await h.engine.cancel(a.id, 'cli:alice');
  });

  it('keys made only of a secret: different secrets do not wait on each other, the same one does, and no secret reaches Redis', async () => {
    h = await harness(workflowsFrom(rotate));
    const [first, second] = ['hunter22-alpha', 'swordfish-bravo'];
    const a = (await h.engine.startRun({ workflow: 'rotate', inputs: { token: first }, trigger: cli })).run;
    const b = (await h.engine.startRun({ workflow: 'rotate', inputs: { token: second }, trigger: cli })).run;
    expect(b.state).toBe('running');
    const c = (await h.engine.startRun({ workflow: 'rotate', inputs: { token: first }, trigger: cli })).run;
    expect(c.state).toBe('queued');
    expect(c.queue).toEqual({ key: '***', position: 1, holder: a.id });
    expect((await h.engine.getRun(c.id))?.queue).toEqual({ key: '***', position: 1, holder: a.id });
    expect((await h.engine.readEvents(c.id)).find((e) => e.type === 'run.queued')).toMatchObject({ key: '***' });
    expect(await queuedText(h, c.id)).toBe(`○ ${c.id} queued behind lock ***: position 1, held by ${a.id}`);
    // Neither in a key's name nor in what any key holds (meta, queue field, events, the locks set).
    expect(await keysHolding(h.engine.redis, [first, second], `${h.engine.keys.prefix}:*`)).toEqual([]);
    expect(await keysHolding(h.engine.redis, ['***'], `${h.engine.keys.prefix}:lock*`)).toEqual([]);
    for (const run of [a, b, c]) await h.engine.cancel(run.id, 'cli:alice');
  });
});
