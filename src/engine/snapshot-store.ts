/**
 * Reads the workflow snapshots runs share (P:wf:SHA, see keys.ts). A snapshot's id is a hash of
 * its content, so it never changes: each process parses one once and keeps it (bounded), and every
 * run of that version shares the parsed objects (they are never mutated).
 */
import type { Redis } from 'ioredis';
import type { Workflow } from '../workflow/schema.js';
import type { Keys } from './keys.js';
import { parseCalls } from './pinned-calls.js';
import type { GraphNode } from './snapshot.js';

export interface StoredSnapshot {
  def: Workflow;
  graph: GraphNode[];
  /**
   * The workflows its `workflow:` steps start, pinned with it (pinned-calls.ts); undefined for a
   * workflow that calls none, and for snapshots written before calls were pinned: those runs start
   * their children from the project in force, as then.
   */
  calls?: ReadonlyMap<string, Workflow>;
}

const MAX_CACHED = 500;
const cache = new Map<string, StoredSnapshot>();

/** The snapshot a run's `wf` field names, or undefined when it is gone (expired with its runs). */
export async function loadSnapshot(redis: Redis, keys: Keys, sha: string): Promise<StoredSnapshot | undefined> {
  const key = keys.workflow(sha);
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const [def, graph, calls] = await redis.hmget(key, 'def', 'graph', 'calls');
  if (!def || !graph) return undefined;
  const snap: StoredSnapshot = { def: JSON.parse(def) as Workflow, graph: JSON.parse(graph) as GraphNode[], ...(calls ? { calls: parseCalls(calls) } : {}) };
  if (cache.size >= MAX_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, snap);
  return snap;
}
