/**
 * Every Redis key the engine uses, in one place. All keys start with the deployment prefix
 * (CHATOPS_PREFIX), so one Redis can hold several deployments and tests never collide.
 *
 *   P:run:ID            hash   the run: state, meta (JSON), wf (its snapshot's id), sealed (encrypted
 *                              secrets; `-` when the run has none), phase, abort, failure, outcome, outputs, error, timestamps,
 *                              outBytes (step output bytes kept in :events, against the run's output budget),
 *                              step counters `c:<phase>:<pend|q|run|wait>`, `c:bad` (lua/step-graph.ts)
 *   P:wf:SHA            hash   a workflow snapshot, shared by every run of that version: def (the workflow
 *                              JSON), graph (for Lua), calls (name -> definition of every workflow its
 *                              `workflow:` steps start, directly or not, pinned with it: pinned-calls.ts; absent
 *                              when it calls none), live (runs not finished), and its node index for Lua
 *                              (lua/step-graph.ts): `n:<id>` -> the step's node and dependents, nodes -> steps
 *                              per phase. SHA hashes def, graph and calls, so it never changes; kept while
 *                              live > 0, then expires with the retention
 *   P:run:ID:st         hash   step id -> state; `<id>#a` -> attempt; `<id>#r` -> retry-at (ms); `<id>#w` -> the
 *                              lease a running step was claimed under (step-lease.ts; removed when it ends);
 *                              `<id>#n` -> its needs not final yet, `<id>#x` -> 1 once one did not succeed
 *   P:run:ID:steps      hash   step id -> StepRecord JSON (its `state` is overridden by :st)
 *   P:run:ID:appr       hash   approval step id -> ApprovalState JSON
 *   P:run:ID:events     stream the run's events, field `e` = RunEvent JSON (MAXLEN ~)
 *   P:runs              zset   run ids by creation time (listRuns)
 *   P:runs:ch:CHANNEL   zset   run ids of one chat channel by creation time
 *   P:idem:KEY          string run id started with that idempotency key
 *   P:lock:NAME         string run id holding a concurrency lock (lease: PX, renewed by workers). NAME is
 *                              `h:` + an HMAC of the real key (lock-name.ts), never the key itself, which may
 *                              hold a secret; runs started by older versions hold theirs under the masked key
 *   P:lockq:NAME        zset   run ids queued for that lock, by arrival
 *   P:locks             set    lock names that may be held or waited on (maintenance scans it)
 *   P:workers           zset   worker id -> last heartbeat (ms)
 *   P:worker:ID         string the worker's announcement (JSON: pools, concurrency, version, held steps),
 *                              rewritten with each heartbeat and expiring (PX) when the beats stop
 *   P:pool:POOL         zset   worker id -> last heartbeat (ms), of the workers serving that pool
 *   P:lease:ID          string a worker's step lease (PX, renewed by it; step-lease.ts): while it lives, the
 *                              steps claimed under it may still be running and nobody else runs them
 *   P:expiry            zset   `runId stepId` -> when its approval expires, or when the step timeout of a
 *                              parked `workflow:` step ends (ms); armed by parkStep, swept every second by
 *                              workers (worker.ts): one entry per parked step with a deadline, no job
 *   P:repair            zset   run id -> when to repair it: set before a front changes a run and removed
 *                              after its follow-up (enqueue, finish) is done; workers repair what is left
 *   P:metrics:relay     list   engine events of processes that serve no /metrics, taken by the next front or
 *                              worker scraped (observer-relay.ts); newest 10,000, expires a day after a write
 *   P:cancel            pubsub channel: a run id whose running steps must abort now
 *   P:q:steps           BullMQ queue `steps` under prefix `P:q`: step jobs of the default pool
 *   P:q:steps-POOL      BullMQ queue of the step jobs of pool POOL (`runs_on: POOL`)
 *   P:q:timers          BullMQ queue of the workflow timeouts, served by every worker whatever its pools
 */
import { DEFAULT_POOL } from '../workflow/schema.js';

export class Keys {
  constructor(readonly prefix: string) {}
  run(id: string): string {
    return `${this.prefix}:run:${id}`;
  }
  st(id: string): string {
    return `${this.prefix}:run:${id}:st`;
  }
  steps(id: string): string {
    return `${this.prefix}:run:${id}:steps`;
  }
  appr(id: string): string {
    return `${this.prefix}:run:${id}:appr`;
  }
  events(id: string): string {
    return `${this.prefix}:run:${id}:events`;
  }
  /** A workflow snapshot shared by runs (its id is SnapshotCache's sha). */
  workflow(sha: string): string {
    return `${this.prefix}:wf:${sha}`;
  }
  /** The keys of one run, in the order the Lua scripts take them. */
  runKeys(id: string): [string, string, string, string, string] {
    return [this.run(id), this.st(id), this.steps(id), this.appr(id), this.events(id)];
  }
  get runs(): string {
    return `${this.prefix}:runs`;
  }
  channel(channel: string): string {
    return `${this.prefix}:runs:ch:${channel}`;
  }
  idem(key: string): string {
    return `${this.prefix}:idem:${key}`;
  }
  /** A concurrency lock, by its name (lock-name.ts), never by the key a workflow wrote. */
  lock(name: string): string {
    return `${this.prefix}:lock:${name}`;
  }
  lockQueue(name: string): string {
    return `${this.prefix}:lockq:${name}`;
  }
  get locks(): string {
    return `${this.prefix}:locks`;
  }
  /** Parked steps by deadline (approval expiry, workflow step timeout); members from expiryMember(). */
  get expiry(): string {
    return `${this.prefix}:expiry`;
  }
  get repair(): string {
    return `${this.prefix}:repair`;
  }
  /** A worker's step lease (step-lease.ts); Lua builds the same name from the prefix. */
  lease(id: string): string {
    return `${this.prefix}:lease:${id}`;
  }
  get workers(): string {
    return `${this.prefix}:workers`;
  }
  /** A worker's announcement (worker-registry.ts). */
  worker(id: string): string {
    return `${this.prefix}:worker:${id}`;
  }
  /** The live workers of one pool, by last heartbeat. */
  pool(name: string): string {
    return `${this.prefix}:pool:${name}`;
  }
  get metricsRelay(): string {
    return `${this.prefix}:metrics:relay`;
  }
  get cancelChannel(): string {
    return `${this.prefix}:cancel`;
  }
  /** `chatops reload` publishes here; every serve and worker reloads its project (src/reload/). */
  get reloadChannel(): string {
    return `${this.prefix}:reload`;
  }
  /** Set once per refused file text, so one replica of many tells the admin channel (src/reload/). */
  reloadTold(hash: string): string {
    return `${this.prefix}:reload:told:${hash}`;
  }
  /** BullMQ's own prefix; its queue name is `steps`. */
  get queuePrefix(): string {
    return `${this.prefix}:q`;
  }
}

export const QUEUE_NAME = 'steps';
/** Workflow timeouts: a queue of its own that every worker serves, so no timer waits for one pool. */
export const TIMER_QUEUE_NAME = 'timers';

/** The BullMQ queue of a pool's step jobs: `steps` for the default pool (as before pools existed). */
export function queueName(pool: string): string {
  return pool === DEFAULT_POOL ? QUEUE_NAME : `${QUEUE_NAME}-${pool}`;
}

/** A P:expiry member: run ids and step ids never contain a space (RUN_ID_PATTERN, STEP_ID_PATTERN). */
export function expiryMember(runId: string, stepId: string): string {
  return `${runId} ${stepId}`;
}

export function parseExpiryMember(member: string): { runId: string; stepId: string } | undefined {
  const i = member.indexOf(' ');
  return i > 0 ? { runId: member.slice(0, i), stepId: member.slice(i + 1) } : undefined;
}
