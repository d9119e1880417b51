/**
 * Engine test harness: workflows from inline YAML, an engine and workers on a unique prefix of the
 * test Redis, helpers to wait for run states, and cleanup that closes everything it opened.
 */
import { parse } from 'yaml';
import { createEngine, startWorker, type Engine, type EngineOptions, type WorkerHandle, type WorkerOptions } from '../../src/engine/index.js';
import type { RunRecord, RunState } from '../../src/engine/types.js';
import { silentLogger } from '../../src/lib/logger.js';
import { workflowSchema, type Workflow } from '../../src/workflow/schema.js';
import { testRedisUrl, uniquePrefix } from './redis.js';

export const TEST_SECRET_KEY = 'engine-tests-secret-key';

export function workflowsFrom(...yamls: string[]): Map<string, Workflow> {
  const map = new Map<string, Workflow>();
  for (const y of yamls) {
    const wf = workflowSchema.parse(parse(y));
    map.set(wf.name, wf);
  }
  return map;
}

export interface Harness {
  opts: EngineOptions;
  engine: Engine;
  workers: WorkerHandle[];
  addWorker(extra?: Partial<WorkerOptions>): Promise<WorkerHandle>;
  waitFor(runId: string, states?: RunState[], timeoutMs?: number): Promise<RunRecord>;
  waitStep(runId: string, stepId: string, states: string[], timeoutMs?: number): Promise<RunRecord>;
  close(): Promise<void>;
}

export const FINAL: RunState[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

/** Harnesses not closed yet (close-harnesses.ts closes them after each test). */
export const openHarnesses = new Set<Harness>();

export async function harness(workflows: Map<string, Workflow>, opts: { workers?: number; concurrency?: number; engine?: Partial<EngineOptions>; worker?: Partial<WorkerOptions> } = {}): Promise<Harness> {
  const base: EngineOptions = {
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix('engine'),
    project: { workflows },
    log: silentLogger,
    secretKey: TEST_SECRET_KEY,
    ...opts.engine,
  };
  const engine = createEngine(base);
  const workers: WorkerHandle[] = [];
  const addWorker = async (extra: Partial<WorkerOptions> = {}) => {
    const w = await startWorker({ ...base, concurrency: opts.concurrency ?? 4, stall: { lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 2 }, ...opts.worker, ...extra });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();
  const poll = async (runId: string, ok: (r: RunRecord) => boolean, what: string, timeoutMs: number): Promise<RunRecord> => {
    const deadline = Date.now() + timeoutMs;
    let last: RunRecord | null = null;
    while (Date.now() < deadline) {
      last = await engine.getRun(runId);
      if (last && ok(last)) return last;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last && { state: last.state, steps: last.steps.map((s) => `${s.id}:${s.state}`) })}`);
  };
  const h: Harness = {
    opts: base,
    engine,
    workers,
    addWorker,
    waitFor: (runId, states = FINAL, timeoutMs = 15_000) => poll(runId, (r) => states.includes(r.state), `run ${runId} in ${states.join('|')}`, timeoutMs),
    waitStep: (runId, stepId, states, timeoutMs = 15_000) => poll(runId, (r) => states.includes(r.steps.find((s) => s.id === stepId)?.state ?? ''), `step ${stepId} in ${states.join('|')}`, timeoutMs),
    async close() {
      openHarnesses.delete(h);
      for (const w of workers) await w.close();
      await engine.close();
    },
  };
  openHarnesses.add(h);
  return h;
}

export function stepStates(run: RunRecord): Record<string, string> {
  return Object.fromEntries(run.steps.map((s) => [s.id, s.state]));
}

export const cli = { kind: 'cli' as const, source: 'cli', requester: 'cli:alice' };
