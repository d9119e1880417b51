import { describe, expect, it } from '@jest/globals';
import { newRunId } from '../../src/engine/index.js';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const wf = `
name: hello
steps:
  - id: hold
    approval: { message: keep the run alive }
`;

describe('engine: caller-chosen run ids', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('starts the run under the id the caller chose', async () => {
    h = await harness(workflowsFrom(wf), { workers: 0 });
    const id = newRunId();
    const { run } = await h.engine.startRun({ workflow: 'hello', inputs: {}, trigger: cli, runId: id });
    expect(run.id).toBe(id);
    expect((await h.engine.getRun(id))?.workflow).toBe('hello');
    await h.engine.cancel(id, 'cli:alice');
  });

  it('refuses an id that is taken, and only one of two racing starts wins it', async () => {
    h = await harness(workflowsFrom(wf), { workers: 0 });
    const id = newRunId();
    const results = await Promise.allSettled([0, 1].map(() => h?.engine.startRun({ workflow: 'hello', inputs: {}, trigger: cli, runId: id })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toMatchObject({ code: 'RUN_ID_TAKEN', details: { runId: id } });
    await expect(h.engine.startRun({ workflow: 'hello', inputs: {}, trigger: { ...cli, requester: 'cli:bob' }, runId: id })).rejects.toMatchObject({ code: 'RUN_ID_TAKEN' });
    // The first run is untouched by the refused starts.
    expect((await h.engine.getRun(id))?.trigger.requester).toBe('cli:alice');
    await h.engine.cancel(id, 'cli:alice');
  });

  it('refuses a malformed id before writing anything', async () => {
    h = await harness(workflowsFrom(wf), { workers: 0 });
    for (const bad of ['R-ABCDEF', 'r-12345', 'r-1234567', 'run-1', '']) {
      await expect(h.engine.startRun({ workflow: 'hello', inputs: {}, trigger: cli, runId: bad })).rejects.toMatchObject({ code: 'BAD_RUN_ID' });
    }
    expect(await h.engine.listRuns({})).toEqual([]);
  });
});
