/**
 * A step `timeout` bounds steps that wait without a worker too: an approval waits at most that
 * long (the earlier of `expires` and `timeout`), and a `workflow:` step past it ends timed_out,
 * failing the run, with its child run cancelled.
 */
import { describe, expect, it } from '@jest/globals';
import { expiryMember } from '../../src/engine/keys.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const CHILD = `
name: child
steps:
  - id: ask
    approval: { message: "never answered", expires: 1h }
`;

const PARENT = `
name: parent
steps:
  - id: sub
    timeout: 1s
    workflow: { name: child }
  - id: after
    needs: sub
    run: "true"
`;

const GATE = `
name: gate
steps:
  - id: ask
    timeout: 1s
    approval: { message: "go?", expires: 1h }
`;

/** Deadlines are removed once their work is done, a moment after the states a test waits for. */
async function expectNoDeadlines(engine: Harness['engine']): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await engine.redis.zcard(engine.keys.expiry)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(await engine.redis.zrange(engine.keys.expiry, '0', '-1')).toEqual([]);
}

describe('engine: step timeouts of parked steps', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('a workflow step past its timeout ends timed_out and its child run is cancelled', async () => {
    h = await harness(workflowsFrom(CHILD, PARENT));
    const { engine } = h;
    const { run } = await engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli });
    const parked = await h.waitStep(run.id, 'sub', ['waiting']);
    const childId = parked.steps[0]?.childRunId ?? '';
    expect(childId).toMatch(/^r-/);
    expect(await engine.redis.zscore(engine.keys.expiry, expiryMember(run.id, 'sub'))).not.toBeNull();

    const done = await h.waitFor(run.id, ['succeeded', 'failed', 'cancelled', 'timed_out'], 10_000);
    expect(done.state).toBe('failed');
    const sub = done.steps.find((s) => s.id === 'sub');
    expect(sub?.state).toBe('timed_out');
    expect(sub?.error).toBe(`step timed out after 1s; sub-workflow run ${childId} cancelled`);
    expect(done.steps.find((s) => s.id === 'after')?.state).toBe('skipped');
    expect((await h.waitFor(childId)).state).toBe('cancelled');
    // The child's end came after the timeout: the step keeps timed_out.
    expect((await engine.getRun(run.id))?.steps[0]?.state).toBe('timed_out');
    await expectNoDeadlines(engine);
  });

  it('a workflow step whose child ends in time leaves no deadline behind', async () => {
    h = await harness(workflowsFrom(CHILD, PARENT.replace('timeout: 1s', 'timeout: 1h')));
    const { engine } = h;
    const { run } = await engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli });
    const parked = await h.waitStep(run.id, 'sub', ['waiting']);
    const childId = parked.steps[0]?.childRunId ?? '';
    await h.waitFor(childId, ['waiting']);
    await engine.decide({ runId: childId, user: 'cli:bob', roles: [], decision: 'approve' });
    expect((await h.waitFor(run.id)).state).toBe('succeeded');
    await expectNoDeadlines(engine);
  });

  it('an approval waits no longer than its step timeout, even with a later expires', async () => {
    h = await harness(workflowsFrom(GATE));
    const { engine } = h;
    const { run } = await engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    const waiting = await h.waitFor(run.id, ['waiting']);
    const approval = waiting.steps[0]?.approval;
    // Armed when it parked, a few ms after it started: 1 s from then, not 1 h.
    const waitsMs = (approval?.expiresAt ?? 0) - (waiting.steps[0]?.startedAt ?? 0);
    expect(waitsMs).toBeGreaterThanOrEqual(1_000);
    expect(waitsMs).toBeLessThan(5_000);
    const done = await h.waitFor(run.id, ['succeeded', 'failed'], 10_000);
    expect(done.state).toBe('failed');
    expect(done.steps[0]?.approval?.outcome).toBe('expired');
  });
});
