/**
 * Crash safety with real processes: a worker child process killed with SIGKILL mid-step, and two
 * workers finishing sibling steps at the same moment.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from '@jest/globals';
import { cli, harness, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { spawnWorker } from '../helpers/spawn-worker.js';

const CRASHY = `
name: crashy
steps:
  - id: work
    run: echo "pid $$"; sleep 30
  - id: after
    needs: work
    run: "true"
on_failure:
  - { id: report, run: "echo reporting" }
`;
const SAFE = `
name: safe
steps:
  - id: work
    safe_to_retry: true
    run: |
      if [ "$CHATOPS_ATTEMPT" = "1" ]; then echo "pid $$"; sleep 30; fi
      echo "attempt=$CHATOPS_ATTEMPT" >> "$CHATOPS_OUTPUT"
`;

/** Waits for the step's first line, `pid N` or `first`, and remembers the shell's pid to clean up after. */
const orphans: number[] = [];
async function outputSeen(h: Harness, runId: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const lines = (await h.engine.readEvents(runId)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    const pid = lines.map((l) => /^pid (\d+)$/.exec(l)?.[1]).find((p) => p !== undefined);
    if (pid !== undefined) orphans.push(Number(pid));
    if (lines.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no output');
}

describe('engine: crash safety', () => {
  let h: Harness | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // The killed worker's shell step lives on in its own process group: end it.
    for (const pid of orphans.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await h?.close();
    h = undefined;
  });

  it('a worker killed with SIGKILL mid-step: the step is lost and the run fails with that reason', async () => {
    h = await harness(workflowsFrom(CRASHY), { workers: 0 });
    const child = await spawnWorker(h, [CRASHY]);
    children.push(child);
    const { run } = await h.engine.startRun({ workflow: 'crashy', inputs: {}, trigger: cli });
    await h.waitStep(run.id, 'work', ['running']);
    await outputSeen(h, run.id);
    // The step's folder (script, outputs file) is named for the worker's pid.
    const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`chatops-step-${child.pid}-`));
    expect(leftovers()).toHaveLength(1);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await h.addWorker(); // a surviving worker notices the stalled job, and sweeps the dead worker's folder
    const done = await h.waitFor(run.id, undefined, 20_000);
    for (let i = 0; i < 100 && leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(leftovers()).toEqual([]);
    expect(done.state).toBe('failed');
    expect(stepStates(done)).toEqual({ work: 'lost', after: 'skipped', report: 'succeeded' });
    expect(done.steps[0]?.error).toMatch(/stopped mid-step.*not marked safe_to_retry/);
    expect(done.error).toMatch(/step work failed: the worker running this step stopped mid-step/);
  });

  it('a step marked safe_to_retry is run again after its worker died', async () => {
    h = await harness(workflowsFrom(SAFE), { workers: 0 });
    const child = await spawnWorker(h, [SAFE]);
    children.push(child);
    const { run } = await h.engine.startRun({ workflow: 'safe', inputs: {}, trigger: cli });
    await outputSeen(h, run.id);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await h.addWorker();
    const done = await h.waitFor(run.id, undefined, 20_000);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]).toMatchObject({ state: 'succeeded', attempt: 2, outputs: { attempt: '2' } });
  });

  it('two workers finishing sibling steps at the same moment advance the run exactly once', async () => {
    // Siblings wait on a shared barrier file so they end together, on two workers of concurrency 1.
    const wide = `
name: wide
steps:
  - { id: s1, run: "while [ ! -e \\"$BARRIER\\" ]; do sleep 0.01; done" , env: { BARRIER: "\${{ inputs.barrier }}" } }
  - { id: s2, run: "while [ ! -e \\"$BARRIER\\" ]; do sleep 0.01; done" , env: { BARRIER: "\${{ inputs.barrier }}" } }
  - { id: join, needs: [s1, s2], run: "echo joined" }
inputs: { barrier: { type: string } }
`;
    h = await harness(workflowsFrom(wide), { workers: 2, concurrency: 1 });
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    for (let round = 0; round < 5; round++) {
      const barrier = join(mkdtempSync(join(tmpdir(), 'engine-barrier-')), 'go');
      const { run } = await h.engine.startRun({ workflow: 'wide', inputs: { barrier }, trigger: cli });
      await h.waitStep(run.id, 's1', ['running']);
      await h.waitStep(run.id, 's2', ['running']);
      writeFileSync(barrier, '');
      const done = await h.waitFor(run.id);
      expect(done.state).toBe('succeeded');
      const events = await h.engine.readEvents(run.id);
      expect(events.filter((e) => e.type === 'step.started' && e.step === 'join')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'run.finished')).toHaveLength(1);
    }
  });
});
