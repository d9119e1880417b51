import { afterEach, describe, expect, it } from '@jest/globals';
import { cli, harness, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';

const DAG = `
name: dag
inputs:
  who: { type: string, default: world }
steps:
  - id: a
    run: echo "greeting=hello $INPUT_WHO" >> "$CHATOPS_OUTPUT"; echo from-a
  - id: b
    needs: a
    env: { G: "\${{ steps.a.outputs.greeting }}" }
    run: echo "b saw $G"; echo "len=\${#G}" >> "$CHATOPS_OUTPUT"
  - id: c
    needs: a
    run: exit 3
  - id: d
    needs: [b, c]
    run: echo should not run
  - id: e
    needs: d
    if: always()
    run: echo "e runs anyway"
  - id: f
    needs: b
    if: \${{ inputs.who == 'nobody' }}
    run: echo skipped by if
outputs:
  greeting: "\${{ steps.a.outputs.greeting }}"
  len: "\${{ steps.b.outputs.len }}"
`;

describe('engine: DAG', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('runs ready steps, flows outputs, skips like GitHub Actions and evaluates workflow outputs', async () => {
    h = await harness(workflowsFrom(DAG));
    const { run } = await h.engine.startRun({ workflow: 'dag', inputs: { who: 'ops' }, trigger: cli });
    expect(run.id).toMatch(/^r-[0-9a-z]{6}$/);
    const done = await h.waitFor(run.id);
    expect(stepStates(done)).toEqual({ a: 'succeeded', b: 'succeeded', c: 'failed', d: 'skipped', e: 'succeeded', f: 'skipped' });
    expect(done.state).toBe('failed');
    expect(done.error).toContain('step c failed');
    expect(done.outputs).toEqual({ greeting: 'hello ops', len: '9' });
    expect(done.steps.find((s) => s.id === 'c')?.exitCode).toBe(3);
    const events = await h.engine.readEvents(run.id);
    const lines = events.flatMap((e) => (e.type === 'step.output' && e.step === 'b' ? e.lines : []));
    expect(lines).toEqual(['b saw hello ops']);
    expect(events[0]?.type).toBe('run.created');
    expect(events[events.length - 1]?.type).toBe('run.finished');
  });

  it('runs independent steps in parallel', async () => {
    h = await harness(
      workflowsFrom(`
name: par
steps:
  - { id: x, run: "sleep 0.6" }
  - { id: y, run: "sleep 0.6" }
  - { id: z, run: "sleep 0.6" }
  - { id: join, needs: [x, y, z], run: "true" }
`),
      { concurrency: 3 },
    );
    const { run } = await h.engine.startRun({ workflow: 'par', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    const s = Object.fromEntries(done.steps.map((st) => [st.id, st]));
    // All three were running at once: each started before any other ended.
    const starts = ['x', 'y', 'z'].map((id) => s[id]?.startedAt ?? 0);
    const ends = ['x', 'y', 'z'].map((id) => s[id]?.endedAt ?? 0);
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
  });

  it('returns the existing run for a repeated idempotency key', async () => {
    h = await harness(workflowsFrom(`
name: once
steps: [{ id: a, run: "true" }]
`));
    const first = await h.engine.startRun({ workflow: 'once', inputs: {}, trigger: cli, idempotencyKey: 'alert-123' });
    const second = await h.engine.startRun({ workflow: 'once', inputs: {}, trigger: cli, idempotencyKey: 'alert-123' });
    expect(first.existing).toBe(false);
    expect(second.existing).toBe(true);
    expect(second.run.id).toBe(first.run.id);
    await h.waitFor(first.run.id);
    expect((await h.engine.listRuns({})).map((r) => r.id)).toEqual([first.run.id]);
  });

  it('refuses unknown workflows and bad inputs with coded errors, starting nothing', async () => {
    h = await harness(workflowsFrom(`
name: typed
inputs: { n: { type: number, required: true } }
steps: [{ id: a, run: "true" }]
`));
    await expect(h.engine.startRun({ workflow: 'nope', inputs: {}, trigger: cli })).rejects.toMatchObject({ code: 'UNKNOWN_WORKFLOW' });
    await expect(h.engine.startRun({ workflow: 'typed', inputs: { n: 'abc' }, trigger: cli })).rejects.toMatchObject({ code: 'INVALID_INPUTS' });
    expect(await h.engine.listRuns({})).toEqual([]);
  });
});
