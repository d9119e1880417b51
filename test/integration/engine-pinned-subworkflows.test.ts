/**
 * Sub-workflows are pinned with their parent: a parent waiting on an approval while its
 * sub-workflows are edited or removed by a live reload (ProjectHolder.reload, what watching,
 * SIGHUP and `chatops reload` call) starts them, and theirs, in the version it started with.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { liveEngineProject, ProjectHolder } from '../../src/reload/project-holder.js';
import { cli, harness, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { makeProjectDir, putFile } from '../helpers/project-dir.js';

closeHarnessesAfterEach();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PARENT = `name: parent
steps:
  - id: ask
    approval: { message: "go?", expires: 30m }
  - id: sub
    needs: ask
    workflow: { name: mid }
outputs:
  mid: \${{ steps.sub.outputs.mid }}
  leaf: \${{ steps.sub.outputs.leaf }}
`;
/** `mid` calls `leaf`; both say which version they are. */
const mid = (v: string) => `name: mid
steps:
  - id: call
    workflow: { name: leaf }
outputs:
  mid: "${v}"
  leaf: \${{ steps.call.outputs.leaf }}
`;
const leaf = (v: string) => `name: leaf
steps:
  - id: say
    run: echo "leaf=${v}" >> "$CHATOPS_OUTPUT"
outputs:
  leaf: \${{ steps.say.outputs.leaf }}
`;

/** An engine and a worker on the project in force of a ProjectHolder over a fresh folder. */
async function live(opts: { workers?: number } = {}): Promise<{ h: Harness; holder: ProjectHolder; dir: string }> {
  const dir = makeProjectDir({ 'workflows/parent.yaml': PARENT, 'workflows/mid.yaml': mid('old'), 'workflows/leaf.yaml': leaf('old') }, 'pinned');
  dirs.push(dir);
  const holder = await ProjectHolder.open(dir);
  expect(holder.project.problems.filter((p) => p.severity === 'error')).toEqual([]);
  const h = await harness(new Map(), { engine: { project: liveEngineProject(holder) }, workers: opts.workers });
  return { h, holder, dir };
}

async function approve(h: Harness, runId: string): Promise<void> {
  await h.engine.decide({ runId, user: 'cli:bob', roles: [], decision: 'approve' });
}

describe('engine: sub-workflows pinned with their parent', () => {
  it('a parent waiting on an approval starts the versions of its sub-workflows (and theirs) it started with, after a reload edited them', async () => {
    const { h, holder, dir } = await live();
    const direct = (await h.engine.startRun({ workflow: 'mid', inputs: {}, trigger: cli })).run;
    expect((await h.waitFor(direct.id)).outputs).toEqual({ mid: 'old', leaf: 'old' });
    const { run } = await h.engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli });
    await h.waitStep(run.id, 'ask', ['waiting']);

    putFile(dir, 'workflows/mid.yaml', mid('new'));
    putFile(dir, 'workflows/leaf.yaml', leaf('new'));
    expect((await holder.reload()).result).toBe('ok');
    await approve(h, run.id);
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.outputs).toEqual({ mid: 'old', leaf: 'old' });
    // The child shares the snapshot of its version with runs started directly: no copy per parent.
    const childId = done.steps.find((s) => s.id === 'sub')?.childRunId ?? '';
    const wf = (id: string) => h.engine.redis.hget(h.engine.keys.run(id), 'wf');
    expect(await wf(childId)).toBe(await wf(direct.id));

    const after = (await h.engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli })).run;
    await h.waitStep(after.id, 'ask', ['waiting']);
    await approve(h, after.id);
    expect((await h.waitFor(after.id)).outputs).toEqual({ mid: 'new', leaf: 'new' });
  });

  it('a parent whose sub-workflow a reload removed still starts the version it started with', async () => {
    const { h, holder, dir } = await live();
    const { run } = await h.engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli });
    await h.waitStep(run.id, 'ask', ['waiting']);

    // Removed with the call to it (a removal that would break a caller is refused: README, live reload).
    rmSync(join(dir, 'workflows/mid.yaml'));
    putFile(dir, 'workflows/parent.yaml', 'name: parent\nsteps:\n  - id: ask\n    approval: { message: "go?", expires: 30m }\n');
    expect((await holder.reload()).result).toBe('ok');
    expect(holder.project.workflows.has('mid')).toBe(false);
    await approve(h, run.id);
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.outputs).toEqual({ mid: 'old', leaf: 'old' });
  });

  it('a run whose snapshot pinned nothing (started before pinning) starts its sub-workflow from the project in force', async () => {
    const { h, holder, dir } = await live({ workers: 0 });
    const { run } = await h.engine.startRun({ workflow: 'parent', inputs: {}, trigger: cli });
    // As an earlier version stored it: no calls. The worker, started now, reads the snapshot first.
    const wf = (await h.engine.redis.hget(h.engine.keys.run(run.id), 'wf')) ?? '';
    expect(await h.engine.redis.hdel(h.engine.keys.workflow(wf), 'calls')).toBe(1);
    await h.addWorker();
    await h.waitStep(run.id, 'ask', ['waiting']);

    putFile(dir, 'workflows/mid.yaml', mid('new'));
    putFile(dir, 'workflows/leaf.yaml', leaf('new'));
    expect((await holder.reload()).result).toBe('ok');
    await approve(h, run.id);
    expect((await h.waitFor(run.id)).outputs).toEqual({ mid: 'new', leaf: 'new' });
  });
});
