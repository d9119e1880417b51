/**
 * The immutable part of a run (meta, workflow snapshot, unsealed secrets, masker), loaded once per
 * process and cached: it never changes after the run is created, so any process may cache it.
 */
import type { Redis } from 'ioredis';
import { Masker } from '../lib/mask.js';
import type { Logger } from '../lib/logger.js';
import type { Workflow } from '../workflow/schema.js';
import type { InputValue } from '../workflow/inputs.js';
import type { Keys } from './keys.js';
import type { GraphNode } from './snapshot.js';
import { unseal, type Sealed } from './seal.js';
import { loadSnapshot } from './snapshot-store.js';
import type { Trigger } from './types.js';

/** The `meta` field of a run hash. Inputs are masked; secret values live only in `sealed`. */
export interface RunMeta {
  id: string;
  workflow: string;
  description?: string;
  inputs: Record<string, InputValue>;
  trigger: Trigger;
  createdAt: number;
  alert?: Record<string, unknown>;
  /**
   * The name of the run's concurrency lock when the workflow has one (lock-name.ts). Runs started
   * before lock names existed hold the lock under their masked key, which is also their label.
   */
  lockKey?: string;
  /** The concurrency key as shown (masked with the run's secrets); absent on those older runs. */
  lockLabel?: string;
  /** Expiry of each approval step in ms, fixed at start from the step and policy. */
  approvalTtl: Record<string, number>;
}

export interface RunContext {
  meta: RunMeta;
  def: Workflow;
  graph: GraphNode[];
  /** The workflows its `workflow:` steps start, pinned at its start; undefined: from the project in force (snapshot-store.ts). */
  calls?: ReadonlyMap<string, Workflow>;
  /** Real input values (secret ones included): only for expressions and step environments. */
  inputs: Record<string, InputValue>;
  sealed: Sealed;
  masker: Masker;
  log: Logger;
}

export function maskerFor(sealed: Sealed): Masker {
  const values: string[] = [...Object.values(sealed.secrets ?? {}), ...(sealed.mask ?? [])];
  for (const v of Object.values(sealed.inputs)) values.push(String(v));
  return new Masker(values);
}

/** What every log line about a run carries: its id, workflow and, for a run an incident started, the incident's id. */
export function runLogFields(runId: string, meta: Pick<RunMeta, 'workflow' | 'alert'>): Record<string, string> {
  const incident = (meta.alert?.incident as { id?: unknown } | undefined)?.id;
  return { runId, workflow: meta.workflow, ...(typeof incident === 'string' ? { incident } : {}) };
}

export class RunContexts {
  private readonly cache = new Map<string, RunContext>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly secretKey: Buffer,
    private readonly log: Logger,
    private readonly max = 1000,
  ) {}

  async get(runId: string): Promise<RunContext | undefined> {
    const hit = this.cache.get(runId);
    if (hit !== undefined) return hit;
    const [meta, wf, sealedText] = await this.redis.hmget(this.keys.run(runId), 'meta', 'wf', 'sealed');
    return this.fromFields(runId, meta, wf, sealedText);
  }

  /** The context if this process has it, without asking Redis. */
  peek(runId: string): RunContext | undefined {
    return this.cache.get(runId);
  }

  /** Builds (and caches) a context from the run hash's meta, wf and sealed fields, read by the caller. */
  async fromFields(runId: string, meta: string | null | undefined, wf: string | null | undefined, sealedText: string | null | undefined): Promise<RunContext | undefined> {
    if (!meta || !wf || !sealedText) return undefined;
    const snap = await loadSnapshot(this.redis, this.keys, wf);
    if (snap === undefined) return undefined;
    const parsedMeta = JSON.parse(meta) as RunMeta;
    const sealed = unseal(sealedText, this.secretKey);
    const rc: RunContext = {
      meta: parsedMeta,
      def: snap.def,
      graph: snap.graph,
      calls: snap.calls,
      inputs: { ...parsedMeta.inputs, ...sealed.inputs },
      sealed,
      masker: maskerFor(sealed),
      log: this.log.child(runLogFields(runId, parsedMeta)),
    };
    this.put(runId, rc);
    return rc;
  }

  put(runId: string, rc: RunContext): void {
    if (this.cache.size >= this.max) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(runId, rc);
  }

  forget(runId: string): void {
    this.cache.delete(runId);
  }
}
