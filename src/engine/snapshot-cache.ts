/**
 * A workflow's snapshot as a run start sends it: built once per loaded workflow object, with its
 * JSON and its id (the sha of P:wf:SHA). Project workflows are new objects after every reload;
 * pinned ones (pinned-calls.ts) live as long as the parent snapshot that holds them is cached.
 */
import { createHash } from 'node:crypto';
import type { Workflow } from '../workflow/schema.js';
import { calledWorkflows, callsJson } from './pinned-calls.js';
import { buildSnapshot, type ApprovalDefaults, type Snapshot } from './snapshot.js';

/**
 * sha: the snapshot's id in Redis (P:wf:SHA), a hash of defJson, graphJson and callsJson (only
 * when the workflow calls others, so a snapshot of one that calls none keeps its earlier id).
 * rootsJson: the main-phase steps without needs, queued when a run starts (the create script).
 * calls: the workflows its `workflow:` steps may start, pinned with it; undefined (callsJson '')
 * when there are none, as loadSnapshot reads such a snapshot back.
 */
export type CachedSnapshot = Snapshot & {
  defJson: string;
  graphJson: string;
  callsJson: string;
  calls?: ReadonlyMap<string, Workflow>;
  stJson: string;
  apprJson: string;
  rootsJson: string;
  sha: string;
  /** The approval rule it was built with (approvals and their expiry depend on it, not the sha). */
  defaults: ApprovalDefaults;
};

export class SnapshotCache {
  private readonly cache = new WeakMap<Workflow, CachedSnapshot>();

  /**
   * `workflows`: where the workflow's callees are looked up (the project it came from, or the
   * pinned calls of the run that starts it). A pinned workflow object outlives policy reloads, so
   * a changed approval rule builds its snapshot again.
   */
  get(workflow: Workflow, defaults: ApprovalDefaults, workflows: ReadonlyMap<string, Workflow>): CachedSnapshot {
    let snap = this.cache.get(workflow);
    if (snap === undefined || !sameRule(snap.defaults, defaults)) {
      snap = cachedSnapshot(workflow, defaults, workflows);
      this.cache.set(workflow, snap);
    }
    return snap;
  }
}

function sameRule(a: ApprovalDefaults, b: ApprovalDefaults): boolean {
  return a === b || (a.minApprovers === b.minApprovers && a.expiresMs === b.expiresMs && a.roles.length === b.roles.length && a.roles.every((r, i) => r === b.roles[i]));
}

function cachedSnapshot(workflow: Workflow, defaults: ApprovalDefaults, workflows: ReadonlyMap<string, Workflow>): CachedSnapshot {
  const s = buildSnapshot(workflow, defaults);
  const stFlat: string[] = [];
  for (const n of s.graph) stFlat.push(n.id, 'pending', `${n.id}#a`, '1');
  const apprFlat: string[] = [];
  for (const [id, a] of s.approvals) apprFlat.push(id, JSON.stringify(a));
  const defJson = JSON.stringify(workflow);
  const graphJson = JSON.stringify(s.graph);
  const calls = calledWorkflows(workflow, workflows);
  const pinned = callsJson(calls);
  const hash = createHash('sha256').update(defJson).update('\n').update(graphJson);
  if (pinned !== '') hash.update('\n').update(pinned);
  const sha = hash.digest('hex').slice(0, 24);
  const roots = s.graph.filter((n) => n.phase === 'main' && n.needs.length === 0).map((n) => n.id);
  return { ...s, defJson, graphJson, callsJson: pinned, ...(pinned !== '' ? { calls } : {}), stJson: JSON.stringify(stFlat), apprJson: JSON.stringify(apprFlat), rootsJson: JSON.stringify(roots), sha, defaults };
}
