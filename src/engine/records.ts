/**
 * Reads runs and events back from Redis into the public shapes (types.ts). Lua's cjson writes
 * empty arrays as `{}`, so arrays that may be empty are normalised here, in one place.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { DEFAULT_POOL, stepPool } from '../workflow/schema.js';
import type { RunMeta } from './run-context.js';
import { findStep, type GraphNode } from './snapshot.js';
import { loadSnapshot } from './snapshot-store.js';
import type { ApprovalState, RunEvent, RunRecord, RunState, StepRecord, StepState } from './types.js';

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

export function normaliseApproval(a: ApprovalState): ApprovalState {
  return { ...a, roles: asArray<string>(a.roles), decisions: asArray(a.decisions) };
}

/**
 * The JSON stored for a step in P:run:ID:steps: only what the snapshot and the :st hash do not
 * already tell (id, name, kind, phase come from the graph; state and attempt from :st; no outputs
 * is the default). Kept short on purpose: a hash whose values all fit in 64 bytes stays a compact
 * listpack in Redis, about a third of the memory of a hashtable (parked runs hold one each).
 */
export function storedStepJson(rec: StepRecord, base: StepRecord): string {
  const { state: _state, attempt: _attempt, id, name, kind, phase, outputs, ...rest } = rec;
  const out: Partial<StepRecord> = rest;
  if (id !== base.id) out.id = id;
  if (name !== base.name) out.name = name;
  if (kind !== base.kind) out.kind = kind;
  if (phase !== base.phase) out.phase = phase;
  if (outputs !== undefined && Object.keys(outputs).length > 0) out.outputs = outputs;
  return JSON.stringify(out);
}

/** A step's record from its stored JSON (storedStepJson's, or a full record of older versions) over its snapshot base. */
export function readStepRecord(base: StepRecord, stored: string): StepRecord {
  const rec = { ...base, ...(JSON.parse(stored) as Partial<StepRecord>) };
  rec.outputs = rec.outputs ?? {};
  return rec;
}

export function parseEvent(id: string, json: string): RunEvent {
  const ev = JSON.parse(json) as RunEvent;
  ev.id = id;
  if (ev.type === 'approval.requested') ev.approval = normaliseApproval(ev.approval);
  if (ev.type === 'step.output') ev.lines = asArray(ev.lines);
  return ev;
}

export async function readRunRecord(redis: Redis, keys: Keys, runId: string): Promise<RunRecord | null> {
  const multi = redis.multi();
  multi.hgetall(keys.run(runId));
  multi.hgetall(keys.st(runId));
  multi.hgetall(keys.steps(runId));
  multi.hgetall(keys.appr(runId));
  const res = (await multi.exec()) ?? [];
  const run = res[0]?.[1] as Record<string, string> | undefined;
  if (!run?.meta) return null;
  const snap = run.wf ? await loadSnapshot(redis, keys, run.wf) : undefined;
  const graph = snap?.graph ?? (run.graph ? (JSON.parse(run.graph) as GraphNode[]) : undefined);
  if (graph === undefined) return null;
  const st = (res[1]?.[1] ?? {}) as Record<string, string>;
  const steps = (res[2]?.[1] ?? {}) as Record<string, string>;
  const appr = (res[3]?.[1] ?? {}) as Record<string, string>;
  const meta = JSON.parse(run.meta) as RunMeta;
  const records: StepRecord[] = graph.map((n) => {
    // Steps that never ran have no stored record (it would only repeat the snapshot).
    const stored = steps[n.id];
    const base: StepRecord = { id: n.id, name: n.name ?? n.id, kind: n.kind ?? 'run', phase: n.phase, state: 'pending', attempt: 1, outputs: {} };
    const rec: StepRecord = stored ? readStepRecord(base, stored) : base;
    rec.state = (st[n.id] ?? rec.state) as StepState;
    rec.attempt = Number(st[`${n.id}#a`] ?? rec.attempt ?? 1);
    rec.outputs = rec.outputs ?? {};
    const step = snap ? findStep(snap.def, n.id)?.step : undefined;
    const pool = snap && step ? stepPool(snap.def, step) : DEFAULT_POOL;
    if (pool !== DEFAULT_POOL) rec.pool = pool;
    const a = appr[n.id];
    if (a !== undefined) rec.approval = normaliseApproval(JSON.parse(a) as ApprovalState);
    return rec;
  });
  const record: RunRecord = {
    id: meta.id,
    workflow: meta.workflow,
    description: meta.description,
    state: run.state as RunState,
    inputs: meta.inputs,
    trigger: meta.trigger,
    createdAt: meta.createdAt,
    startedAt: run.startedAt ? Number(run.startedAt) : undefined,
    endedAt: run.endedAt ? Number(run.endedAt) : undefined,
    error: run.error || undefined,
    outputs: run.outputs ? (JSON.parse(run.outputs) as Record<string, string>) : {},
    steps: records,
  };
  if (record.state === 'queued' && run.queue && meta.lockKey !== undefined) {
    const [rank, holder] = await Promise.all([redis.zrank(keys.lockQueue(meta.lockKey), runId), redis.get(keys.lock(meta.lockKey))]);
    // Runs started before lock names existed have no label: their lock name is their masked key.
    record.queue = { key: meta.lockLabel ?? meta.lockKey, position: rank === null ? 1 : rank + 1, holder: holder ?? undefined };
  }
  return record;
}
