import { describe, expect, it } from '@jest/globals';
import { cli, harness, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { until } from '../helpers/until.js';

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
  closeHarnessesAfterEach();

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
    // Finished runs are kept for the retention (30 days by default), then expire with their events.
    const k = h.engine.keys;
    for (const key of [k.run(run.id), k.st(run.id), k.steps(run.id), k.events(run.id)]) {
      const ttl = await h.engine.redis.pttl(key);
      expect(ttl).toBeGreaterThan(29 * 24 * 3_600_000);
      expect(ttl).toBeLessThanOrEqual(30 * 24 * 3_600_000);
    }
    // A step job whose BullMQ lock lapsed on a loaded machine may sit delayed for a moment before
    // its retry finds the step already finished and drops it: wait for the queue to drain.
    const queue = h.engine.queue;
    const counts = async () => queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed');
    await until('the step queue to drain', async () => Object.values(await counts()).every((n) => n === 0));
    expect(await counts()).toEqual({ wait: 0, active: 0, delayed: 0, completed: 0, failed: 0 });
  });

  it('runs http, notify and sleep steps with interpolated specs', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, path: req.url, got: body, auth: req.headers['x-who'] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      h = await harness(
        workflowsFrom(`
name: mixed
inputs: { port: { type: number } }
steps:
  - id: call
    http: { url: "http://127.0.0.1:\${{ inputs.port }}/deploy", method: POST, headers: { x-who: "\${{ run.requester }}" }, body: { svc: api }, expect: 201 }
  - { id: nap, needs: call, sleep: 50ms }
  - { id: say, needs: nap, notify: "deployed with status \${{ steps.call.outputs.status }}" }
outputs: { body: "\${{ steps.call.outputs.body }}" }
`),
      );
      const { run } = await h.engine.startRun({ workflow: 'mixed', inputs: { port: String(port) }, trigger: cli });
      const done = await h.waitFor(run.id);
      expect(done.state).toBe('succeeded');
      expect(done.steps[0]?.outputs.status).toBe('201');
      expect(JSON.parse(done.outputs.body ?? '{}')).toEqual({ method: 'POST', path: '/deploy', got: '{"svc":"api"}', auth: 'cli:alice' });
      const notes = (await h.engine.readEvents(run.id)).filter((e) => e.type === 'notify');
      expect(notes).toMatchObject([{ step: 'say', text: 'deployed with status 201' }]);
    } finally {
      server.close();
    }
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
