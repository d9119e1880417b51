/**
 * What people and runs add to an incident's timeline, beside the consumer's alert entries:
 * acknowledgements, silences, commands typed in its thread, runs started there, approvals and run
 * ends. Every append is one Lua call that only writes while the incident exists (an expired
 * incident never grows a timeline without expiry), keeps the timeline's expiry with the
 * incident's, and marks the incident for its chat reporter when the thread should show it. Entries
 * are only ever pushed (RPUSH): the timeline stays append-only whoever writes it.
 */
import type { Redis } from 'ioredis';
import type { TimelineEntry } from './incident.js';
import { IncidentStore } from './incident-store.js';

/**
 * KEYS[1] incident, KEYS[2] timeline, KEYS[3] report zset, KEYS[4] runs bound to incidents,
 * KEYS[5] human-state hash. ARGV[1] incident id, ARGV[2] now ms, ARGV[3] "1" when the chat side
 * must look, ARGV[4] human-state field to set ('' none), ARGV[5] its JSON ('' deletes it),
 * ARGV[6..] entries JSON. Returns 1, or 0 when the incident does not exist (nothing written).
 */
const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
  local e = cjson.decode(ARGV[i])
  if e.type == 'run' then redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1] .. '|' .. e.runId) end
end
if ARGV[4] ~= '' then
  if ARGV[5] == '' then redis.call('HDEL', KEYS[5], ARGV[4]) else redis.call('HSET', KEYS[5], ARGV[4], ARGV[5]) end
  redis.call('HINCRBY', KEYS[5], 'v', 1)
  if ttl > 0 then redis.call('PEXPIRE', KEYS[5], ttl) end
end
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
if ARGV[3] == '1' then redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
return 1`;

/**
 * KEYS[1] runs zset, KEYS[2] seen hash, then APPEND's keys from KEYS[3]. ARGV[1] member
 * (`INCIDENT|RUN`), ARGV[2] run id, ARGV[3] decisions seen now, ARGV[4] "1" when the run ended,
 * ARGV[5] incident id, ARGV[6] now ms, ARGV[7..] entries. Records a run's progress once: the
 * entries, how far they go, and (ended) the run leaves the watched set.
 */
const PROGRESS = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then return 0 end
if redis.call('EXISTS', KEYS[3]) == 1 then
  local ttl = redis.call('PTTL', KEYS[3])
  for i = 7, #ARGV do redis.call('RPUSH', KEYS[4], ARGV[i]) end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
  if #ARGV >= 7 then redis.call('ZADD', KEYS[5], ARGV[6], ARGV[5]) end
end
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[2])
else
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
end
return 1`;

/** What people set on an incident that the living message shows (Acknowledged, Silenced). */
export interface HumanState {
  ack?: { by: string; at: number };
  silence?: { id: string; by: string; endsAt: number };
  /** Bumped on every change: the reporter edits the message when it moved. */
  v: number;
}

export class IncidentJournal {
  readonly store: IncidentStore;

  constructor(
    readonly redis: Redis,
    prefix: string,
  ) {
    this.store = new IncidentStore(redis, prefix);
  }

  /**
   * Appends entries (and optionally sets a field of the human state) if the incident exists;
   * `render`: the thread or message should show it. False when there is no such incident.
   */
  async append(id: string, entries: TimelineEntry[], opts: { render?: boolean; now?: number; set?: { field: 'ack' | 'silence'; value: object | undefined } } = {}): Promise<boolean> {
    const k = this.store.keys;
    const now = opts.now ?? Date.now();
    const set = opts.set;
    const reply = await this.redis.eval(
      APPEND,
      5,
      k.incident(id),
      k.timeline(id),
      k.report,
      k.runs,
      k.human(id),
      id,
      String(now),
      opts.render ? '1' : '0',
      set?.field ?? '',
      set?.value ? JSON.stringify(set.value) : '',
      ...entries.map((e) => JSON.stringify(e)),
    );
    return Number(reply) === 1;
  }

  async human(id: string): Promise<HumanState> {
    const h = await this.redis.hgetall(this.store.keys.human(id));
    const parse = <T>(j: string | undefined): T | undefined => (j ? (JSON.parse(j) as T) : undefined);
    return { ack: parse(h.ack), silence: parse(h.silence), v: Number(h.v ?? 0) };
  }

  /** Runs bound to incidents whose end is not on the timeline yet: `[incidentId, runId]`. */
  async watchedRuns(limit = 500): Promise<[string, string][]> {
    const members = await this.redis.zrange(this.store.keys.runs, '0', String(limit - 1));
    return members.map((m) => m.split('|') as [string, string]);
  }

  async decisionsSeen(runId: string): Promise<number> {
    return Number((await this.redis.hget(this.store.keys.runsSeen, runId)) ?? 0);
  }

  /** Records a watched run's new approvals and (ended) its end, exactly once. */
  async runProgress(incidentId: string, runId: string, entries: TimelineEntry[], decisions: number, ended: boolean, now = Date.now()): Promise<void> {
    const k = this.store.keys;
    await this.redis.eval(
      PROGRESS,
      5,
      k.runs,
      k.runsSeen,
      k.incident(incidentId),
      k.timeline(incidentId),
      k.report,
      `${incidentId}|${runId}`,
      runId,
      String(decisions),
      ended ? '1' : '0',
      incidentId,
      String(now),
      ...entries.map((e) => JSON.stringify(e)),
    );
  }

  /** Binds an incident's living message to it: commands typed in its thread act on the incident. */
  async bindThread(id: string, ref: { platform: string; channel: string; id: string }, keepMs: number): Promise<void> {
    await this.redis.set(this.store.keys.thread(kindOf(ref.platform), ref.channel, ref.id), id, 'PX', keepMs);
  }

  /** The incident whose thread this is, if any. */
  async incidentOfThread(platform: string, channel: string, thread: string): Promise<string | undefined> {
    return (await this.redis.get(this.store.keys.thread(kindOf(platform), channel, thread))) ?? undefined;
  }
}

/** `shell.ab12cd` → `shell`: a thread is bound per platform kind, whichever process posted it. */
function kindOf(platform: string): string {
  return platform.split('.')[0] ?? platform;
}
