/** A workflow's snapshot as a run start sends it: built once per loaded workflow object, with its JSON and its id (the sha of P:wf:SHA). */
import { createHash } from 'node:crypto';
import type { Workflow } from '../workflow/schema.js';
import { buildSnapshot, type ApprovalDefaults, type Snapshot } from './snapshot.js';

/**
 * sha: the snapshot's id in Redis (P:wf:SHA), a hash of defJson and graphJson. rootsJson: the
 * main-phase steps without needs, queued when a run starts (the create script).
 */
export type CachedSnapshot = Snapshot & { defJson: string; graphJson: string; stJson: string; apprJson: string; rootsJson: string; sha: string };

/** Snapshots and their JSON, computed once per loaded workflow object. */
export class SnapshotCache {
  private readonly cache = new WeakMap<Workflow, CachedSnapshot>();

  get(workflow: Workflow, defaults: ApprovalDefaults): CachedSnapshot {
    let snap = this.cache.get(workflow);
    if (snap === undefined) {
      const s = buildSnapshot(workflow, defaults);
      const stFlat: string[] = [];
      for (const n of s.graph) stFlat.push(n.id, 'pending', `${n.id}#a`, '1');
      const apprFlat: string[] = [];
      for (const [id, a] of s.approvals) apprFlat.push(id, JSON.stringify(a));
      const defJson = JSON.stringify(workflow);
      const graphJson = JSON.stringify(s.graph);
      const sha = createHash('sha256').update(defJson).update('\n').update(graphJson).digest('hex').slice(0, 24);
      const roots = s.graph.filter((n) => n.phase === 'main' && n.needs.length === 0).map((n) => n.id);
      snap = { ...s, defJson, graphJson, stJson: JSON.stringify(stFlat), apprJson: JSON.stringify(apprFlat), rootsJson: JSON.stringify(roots), sha };
      this.cache.set(workflow, snap);
    }
    return snap;
  }
}
