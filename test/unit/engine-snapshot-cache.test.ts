import { describe, expect, it } from '@jest/globals';
import { parseCalls } from '../../src/engine/pinned-calls.js';
import { SnapshotCache } from '../../src/engine/snapshot-cache.js';
import type { ApprovalDefaults } from '../../src/engine/snapshot.js';
import type { Workflow } from '../../src/workflow/schema.js';
import { workflowsFrom } from '../helpers/engine-harness.js';

const RULE: ApprovalDefaults = { minApprovers: 1, roles: [], expiresMs: 60_000 };
const top = 'name: top\nsteps:\n  - { id: a, workflow: { name: mid } }\n  - { id: b, needs: a, workflow: { name: leaf } }\n';
const mid = 'name: mid\nsteps:\n  - { id: ask, approval: { message: "go?" } }\n  - { id: call, needs: ask, workflow: { name: leaf } }\n';
const leaf = (v: string) => `name: leaf\nsteps:\n  - { id: say, run: "echo ${v}" }\n`;

describe('workflow snapshots and their pinned sub-workflows', () => {
  it('pin the closure of the calls, and a changed callee makes another snapshot', () => {
    const one = workflowsFrom(top, mid, leaf('one'));
    const two = workflowsFrom(top, mid, leaf('two'));
    const cache = new SnapshotCache();
    const snap = (ws: Map<string, Workflow>, name: string) => cache.get(ws.get(name) ?? fail(name), RULE, ws);
    expect([...(snap(one, 'top').calls?.keys() ?? [])].sort()).toEqual(['leaf', 'mid']);
    expect(snap(one, 'leaf').calls).toBeUndefined();
    expect(snap(one, 'leaf').callsJson).toBe('');
    expect(snap(two, 'top').sha).not.toBe(snap(one, 'top').sha);
    expect(snap(two, 'mid').sha).not.toBe(snap(one, 'mid').sha);
  });

  it('a child started from its parent\'s pinned calls has the snapshot of that version started from the project', () => {
    const project = workflowsFrom(top, mid, leaf('one'));
    const cache = new SnapshotCache();
    const pinned = parseCalls(cache.get(project.get('top') ?? fail('top'), RULE, project).callsJson);
    const fromPin = cache.get(pinned.get('mid') ?? fail('mid'), RULE, pinned);
    const fromProject = cache.get(project.get('mid') ?? fail('mid'), RULE, project);
    expect(fromPin.sha).toBe(fromProject.sha);
    expect(fromPin.callsJson).toBe(fromProject.callsJson);
  });

  it('a pinned workflow takes the approval rule in force when its run starts', () => {
    const project = workflowsFrom(top, mid, leaf('one'));
    const pinned = parseCalls(new SnapshotCache().get(project.get('top') ?? fail('top'), RULE, project).callsJson);
    const cache = new SnapshotCache();
    const wf = pinned.get('mid') ?? fail('mid');
    expect(cache.get(wf, RULE, pinned).approvals.get('ask')?.minApprovers).toBe(1);
    const stricter = cache.get(wf, { ...RULE, minApprovers: 2, roles: ['sre'] }, pinned);
    expect(stricter.approvals.get('ask')).toMatchObject({ minApprovers: 2, roles: ['sre'] });
  });
});

function fail(name: string): never {
  throw new Error(`no workflow ${name} in the test project`);
}
