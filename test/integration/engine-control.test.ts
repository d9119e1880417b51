import { describe, expect, it } from '@jest/globals';
import { cli, harness, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

describe('engine: retries, timeouts, on_failure, cancel', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('retries a failing step with backoff until it succeeds', async () => {
    h = await harness(workflowsFrom(`
name: flaky
steps:
  - id: try
    retry: { attempts: 3, backoff: 100ms }
    run: |
      if [ "$CHATOPS_ATTEMPT" -lt 3 ]; then echo "attempt $CHATOPS_ATTEMPT fails"; exit 1; fi
      echo "attempt=$CHATOPS_ATTEMPT" >> "$CHATOPS_OUTPUT"
`));
    const { run } = await h.engine.startRun({ workflow: 'flaky', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ state: 'succeeded', attempt: 3, outputs: { attempt: '3' } });
    const retrying = (await h.engine.readEvents(run.id)).filter((e) => e.type === 'step.retrying');
    expect(retrying.map((e) => (e.type === 'step.retrying' ? e.attempt : 0))).toEqual([2, 3]);
  });

  it('gives up after the last attempt; continue_on_error keeps the run going', async () => {
    h = await harness(workflowsFrom(`
name: giveup
steps:
  - { id: bad, retry: { attempts: 2, backoff: 50ms }, run: "exit 7" }
  - { id: soft, continue_on_error: true, run: "exit 1" }
  - { id: after, needs: soft, run: "true" }
`));
    const { run } = await h.engine.startRun({ workflow: 'giveup', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(stepStates(done)).toEqual({ bad: 'failed', soft: 'failed', after: 'succeeded' });
    expect(done.steps[0]).toMatchObject({ attempt: 2, exitCode: 7 });
    expect(done.state).toBe('failed');
    expect(done.error).toContain('step bad failed');
  });

  it('times a step out, kills it, and runs on_failure with the failure in expressions', async () => {
    h = await harness(workflowsFrom(`
name: slow
steps:
  - { id: hang, timeout: 300ms, run: "sleep 30" }
on_failure:
  - id: page
    env: { WHAT: "\${{ failure.step }}: \${{ failure.error }}" }
    run: echo "paging about $WHAT"
  - id: only_on_success
    if: success()
    run: echo never
`));
    const { run } = await h.engine.startRun({ workflow: 'slow', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(stepStates(done)).toEqual({ hang: 'timed_out', page: 'succeeded', only_on_success: 'skipped' });
    expect(done.state).toBe('failed');
    const lines = (await h.engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' && e.step === 'page' ? e.lines : []));
    expect(lines[0]).toMatch(/^paging about hang: step timed out/);
  });

  it('times the whole workflow out and still runs on_failure', async () => {
    h = await harness(workflowsFrom(`
name: wfslow
timeout: 400ms
steps:
  - { id: hang, run: "sleep 30" }
  - { id: next, needs: hang, run: "true" }
on_failure:
  - { id: cleanup, run: "echo cleaning" }
`));
    const { run } = await h.engine.startRun({ workflow: 'wfslow', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('timed_out');
    expect(stepStates(done)).toEqual({ hang: 'timed_out', next: 'cancelled', cleanup: 'succeeded' });
    expect(done.error).toContain('workflow timed out after 400ms');
  });

  it('cancels a running shell step from another process within 2 s; queued steps never start', async () => {
    h = await harness(workflowsFrom(`
name: cancelme
steps:
  - { id: long, run: "echo started; sleep 60" }
  - { id: never, needs: long, run: "echo never" }
on_failure:
  - { id: handler, run: "echo no" }
`));
    const { run } = await h.engine.startRun({ workflow: 'cancelme', inputs: {}, trigger: cli });
    await h.waitStep(run.id, 'long', ['running']);
    // Wait for the process to really be running (its first line reached the stream).
    for (let i = 0; i < 100; i++) {
      const ev = await h.engine.readEvents(run.id);
      if (ev.some((e) => e.type === 'step.output')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // A separate engine instance plays "another process".
    const { createEngine } = await import('../../src/engine/index.js');
    const other = createEngine(h.opts);
    const t0 = Date.now();
    await other.cancel(run.id, 'cli:bob');
    await other.close();
    const done = await h.waitFor(run.id, undefined, 5000);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(done.state).toBe('cancelled');
    expect(stepStates(done)).toEqual({ long: 'cancelled', never: 'cancelled', handler: 'skipped' });
    expect(done.error).toBe('cancelled by cli:bob');
    const events = await h.engine.readEvents(run.id);
    expect(events.some((e) => e.type === 'step.started' && e.step === 'never')).toBe(false);
    expect(events.some((e) => e.type === 'run.cancelling' && e.by === 'cli:bob')).toBe(true);
  });

  it('cancelling a parent run cancels its running sub-workflow', async () => {
    h = await harness(workflowsFrom(
      `
name: parent
steps:
  - { id: sub, workflow: { name: child } }
`,
      `
name: child
steps:
  - { id: long, run: "echo child running; sleep 30" }
`,
    ));
    const { run } = await h.engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli });
    const parked = await h.waitStep(run.id, 'sub', ['waiting']);
    const childId = parked.steps[0]?.childRunId ?? '';
    expect(childId).toMatch(/^r-/);
    await h.waitStep(childId, 'long', ['running']);
    await h.engine.cancel(run.id, 'cli:bob');
    const child = await h.waitFor(childId);
    expect(child.state).toBe('cancelled');
    expect(child.trigger.parent).toEqual({ runId: run.id, stepId: 'sub' });
    expect((await h.waitFor(run.id)).state).toBe('cancelled');
  });
});
