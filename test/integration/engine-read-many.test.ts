import { describe, expect, it } from '@jest/globals';
import { cli, harness, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';

const wf = `
name: gate
steps:
  - id: hold
    approval: { message: keep the run alive }
`;

describe('engine: reading many runs\' events in one read', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('returns each run\'s events after its own cursor, leaving out runs with nothing new', async () => {
    h = await harness(workflowsFrom(wf), { workers: 0 });
    const a = (await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    const b = (await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    const all = await h.engine.readEventsMany(new Map([[a.id, '0'], [b.id, '0']]));
    expect(all.get(a.id)).toEqual(await h.engine.readEvents(a.id));
    // No worker runs: the queued step's line says so (step.no_worker).
    expect(all.get(b.id)?.map((e) => e.type)).toEqual(['run.created', 'run.started', 'step.no_worker']);
    const lastA = all.get(a.id)?.at(-1)?.id ?? '';
    const lastB = all.get(b.id)?.at(-1)?.id ?? '';
    expect(await h.engine.readEventsMany(new Map([[a.id, lastA], [b.id, lastB]]))).toEqual(new Map());

    // Blocking on both: the one that moves is the one returned.
    const reading = h.engine.readEventsMany(new Map([[a.id, lastA], [b.id, lastB]]), { blockMs: 5_000 });
    await new Promise((r) => setTimeout(r, 100));
    await h.engine.cancel(b.id, 'cli:alice');
    const got = await reading;
    expect([...got.keys()]).toEqual([b.id]);
    expect(got.get(b.id)?.[0]).toMatchObject({ type: 'run.cancelling', runId: b.id });
    await h.engine.cancel(a.id, 'cli:alice');
  });

  it('a blocking read ends early, with nothing, when its signal aborts', async () => {
    h = await harness(workflowsFrom(wf), { workers: 0 });
    const a = (await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli })).run;
    const last = (await h.engine.readEvents(a.id)).at(-1)?.id ?? '0';
    const stop = new AbortController();
    const reading = h.engine.readEventsMany(new Map([[a.id, last]]), { blockMs: 60_000, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([reading.then((m) => m), new Promise<'still blocked'>((r) => (timer = setTimeout(() => r('still blocked'), 10_000)))]);
    clearTimeout(timer);
    expect(outcome).toEqual(new Map());
    // The connection goes back to the pool in a usable state.
    const next = h.engine.readEventsMany(new Map([[a.id, last]]), { blockMs: 5_000 });
    await h.engine.cancel(a.id, 'cli:alice');
    expect((await next).get(a.id)?.[0]?.type).toBe('run.cancelling');
  });
});
