import { describe, expect, it } from '@jest/globals';
import { cli, harness, stepStates, workflowsFrom, type Harness } from '../helpers/engine-harness.js';
import { closeHarnessesAfterEach } from '../helpers/close-harnesses.js';
import { policySchema, rolesOf } from '../../src/config/policy.js';

const GATE = `
name: gate
inputs: { svc: { type: string, default: api } }
steps:
  - id: ask
    approval: { message: "Restart \${{ inputs.svc }}?", min_approvers: 2, roles: [sre], expires: 30m }
  - id: go
    needs: ask
    run: echo "approved by \${APPROVERS}"
    env: { APPROVERS: "\${{ steps.ask.outputs.approved_by }}" }
`;

describe('engine: approvals', () => {
  let h: Harness | undefined;
  closeHarnessesAfterEach();

  it('parks with no active job, counts N approvals from roles, never the requester, and resumes', async () => {
    h = await harness(workflowsFrom(GATE));
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    const parked = await h.waitFor(run.id, ['waiting']);
    expect(parked.steps[0]?.approval).toMatchObject({ message: 'Restart api?', minApprovers: 2, roles: ['sre'] });
    // The park is written inside the step job, which ends just after: wait (bounded) for BullMQ to
    // move it out of active. Parked means it gets there with no decision and stays there.
    const idle = async () => (await h?.engine.queue.getActiveCount()) === 0 && h?.workers[0]?.activeSteps() === 0;
    for (const deadline = Date.now() + 5000; !(await idle()) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(await h.engine.queue.getActiveCount()).toBe(0);
    expect(h.workers[0]?.activeSteps()).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(await h.engine.queue.getActiveCount()).toBe(0);
    expect((await h.engine.getRun(run.id))?.state).toBe('waiting');

    const self = await h.engine.decide({ runId: run.id, user: 'cli:alice', roles: ['sre'], decision: 'approve' });
    expect(self).toMatchObject({ counted: false });
    expect(self.reason).toMatch(/requester/);
    const noRole = await h.engine.decide({ runId: run.id, user: 'cli:carol', roles: ['dev'], decision: 'deny' });
    expect(noRole.counted).toBe(false);
    expect(noRole.reason).toMatch(/role sre/);
    expect((await h.engine.decide({ runId: run.id, user: 'cli:bob', roles: ['sre'], decision: 'approve' })).counted).toBe(true);
    expect((await h.engine.getRun(run.id))?.state).toBe('waiting');
    const last = await h.engine.decide({ runId: run.id, user: 'cli:dave', roles: ['sre'], decision: 'approve' });
    expect(last.approval.outcome).toBe('approved');
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]?.outputs).toEqual({ approved_by: 'cli:bob,cli:dave' });
    const lines = (await h.engine.readEvents(run.id)).flatMap((e) => (e.type === 'step.output' ? e.lines : []));
    expect(lines).toEqual(['approved by cli:bob,cli:dave']);
  });

  it('a reader blocked on the event stream sees the approval requested and decided', async () => {
    h = await harness(workflowsFrom(GATE.replace('min_approvers: 2', 'min_approvers: 1')), { workers: 0 });
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    const before = await h.engine.readEvents(run.id);
    const last = before[before.length - 1]?.id ?? '0';
    // The reader blocks first; then the step parks (its stream is rewritten compactly) and is decided.
    const reading = h.engine.readEvents(run.id, { after: last, blockMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await h.addWorker();
    const got = await reading;
    expect(got.map((e) => e.type)).toContain('step.started');
    await h.waitFor(run.id, ['waiting']);
    const all = await h.engine.readEvents(run.id);
    // No worker was running when the step was queued: its line said so until one came.
    expect(all.map((e) => e.type)).toEqual(['run.created', 'run.started', 'step.no_worker', 'step.started', 'approval.requested']);
    const waitDecision = h.engine.readEvents(run.id, { after: all[4]?.id ?? '0', blockMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await h.engine.decide({ runId: run.id, user: 'cli:bob', roles: ['sre'], decision: 'approve' });
    expect((await waitDecision)[0]).toMatchObject({ type: 'approval.decided', outcome: 'approved' });
    expect((await h.waitFor(run.id)).state).toBe('succeeded');
  });

  it('records concurrent clicks of one user once', async () => {
    h = await harness(workflowsFrom(GATE.replace('min_approvers: 2', 'min_approvers: 1')));
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    await h.waitFor(run.id, ['waiting']);
    const results = await Promise.all(Array.from({ length: 10 }, () => h?.engine.decide({ runId: run.id, user: 'slack:U1', roles: ['sre'], decision: 'approve' })));
    expect(results.filter((r) => r?.counted)).toHaveLength(1);
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]?.approval?.decisions).toHaveLength(1);
    const decided = (await h.engine.readEvents(run.id)).filter((e) => e.type === 'approval.decided');
    expect(decided).toHaveLength(1);
  });

  it('a deny ends it: the step fails and the run fails', async () => {
    h = await harness(workflowsFrom(GATE));
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    await h.waitFor(run.id, ['waiting']);
    await h.engine.decide({ runId: run.id, user: 'cli:bob', roles: ['sre'], decision: 'deny' });
    const done = await h.waitFor(run.id);
    expect(stepStates(done)).toEqual({ ask: 'failed', go: 'skipped' });
    expect(done.error).toContain('approval denied by cli:bob');
  });

  it('does not lose a decision that arrives while the step is still parking', async () => {
    // No worker yet: the approval step is queued (its job is waiting), the decision arrives first.
    h = await harness(workflowsFrom(GATE.replace('min_approvers: 2', 'min_approvers: 1')), { workers: 0 });
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    expect(run.steps[0]?.state).toBe('queued');
    const early = await h.engine.decide({ runId: run.id, user: 'cli:bob', roles: ['sre'], decision: 'approve' });
    expect(early.counted).toBe(true);
    expect(early.approval.outcome).toBe('approved');
    await h.addWorker();
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]?.approval?.message).toBe('Restart api?');
  });

  it('expiry denies an approval nobody decided', async () => {
    h = await harness(workflowsFrom(GATE.replace('expires: 30m', 'expires: 300ms')));
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('failed');
    expect(done.steps[0]?.approval?.outcome).toBe('expired');
    expect(done.steps[0]?.error).toMatch(/expired/);
    await expect(h.engine.decide({ runId: run.id, user: 'cli:bob', roles: ['sre'], decision: 'approve' })).rejects.toMatchObject({ code: 'NO_WAITING_APPROVAL' });
    const late = await h.engine.decide({ runId: run.id, stepId: 'ask', user: 'cli:bob', roles: ['sre'], decision: 'approve' });
    expect(late.counted).toBe(false);
    expect(late.reason).toMatch(/already expired/);
  });

  it('counts people, not accounts: the requester under another account is refused, one person decides once', async () => {
    const policy = policySchema.parse({
      people: { alice: ['shell:alice', 'slack:U0ALICE'], bob: ['shell:bob', 'slack:U0BOB'] },
      roles: { sre: { members: ['alice', 'bob', 'slack:U0DAVE'] } },
    });
    const workflows = workflowsFrom(GATE);
    h = await harness(workflows, { engine: { project: { workflows, policy } } });
    const decide = (user: string) => h?.engine.decide({ runId: run.id, user, roles: rolesOf(policy, user), decision: 'approve' });
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: { kind: 'cli', source: 'cli', requester: 'shell:alice' } });
    await h.waitFor(run.id, ['waiting']);

    const own = await decide('slack:U0ALICE');
    expect(own?.counted).toBe(false);
    expect(own?.reason).toBe('the requester of a run cannot decide its approval (slack:U0ALICE and shell:alice are both person:alice)');
    expect(own?.approval.decisions[0]).toMatchObject({ user: 'slack:U0ALICE', person: 'person:alice', counted: false });

    expect((await decide('slack:U0BOB'))?.counted).toBe(true);
    const twice = await decide('shell:bob');
    expect(twice?.counted).toBe(false);
    expect(twice?.reason).toBe('person:bob already decided (approve as slack:U0BOB)');
    // Two approvals are needed and bob gave one, whatever accounts he used.
    expect((await h.engine.getRun(run.id))?.state).toBe('waiting');

    const last = await decide('slack:U0DAVE');
    expect(last?.approval.outcome).toBe('approved');
    const done = await h.waitFor(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.steps[0]?.outputs).toEqual({ approved_by: 'slack:U0BOB,slack:U0DAVE' });
  });

  it('cancelling a parked run ends it at once', async () => {
    h = await harness(workflowsFrom(GATE));
    const { run } = await h.engine.startRun({ workflow: 'gate', inputs: {}, trigger: cli });
    await h.waitFor(run.id, ['waiting']);
    const cancelled = await h.engine.cancel(run.id, 'cli:bob');
    expect(cancelled.state).toBe('cancelled');
    expect(stepStates(cancelled)).toEqual({ ask: 'cancelled', go: 'cancelled' });
  });
});
