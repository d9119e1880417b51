/**
 * Incidents in Redis (keys.ts): the record (JSON), its append-only timeline, the group → incident
 * map, the index `chatops incidents` lists, and the set of incidents whose chat messages are
 * behind. Only the consumer holding the consumer lease writes incidents, and every delivery's
 * effect is one Lua call (COMMIT) that also moves the consumer's cursor past it: a crash before it
 * leaves the delivery to be processed again from scratch, a crash after it loses nothing.
 */
import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Incident, TimelineEntry } from './incident.js';
import { AlertKeys } from './keys.js';

/**
 * KEYS[1] consumer lease, KEYS[2] cursor, KEYS[3] incident, KEYS[4] timeline, KEYS[5] group map,
 * KEYS[6] incidents index, KEYS[7] report zset, KEYS[8] storm pointer, KEYS[9] the delivery's own
 * group map when it differs from the incident's (a group folded into the storm incident).
 * ARGV[1] owner, ARGV[2] delivery id (the new cursor), ARGV[3] incident JSON ('' = none),
 * ARGV[4] incident id, ARGV[5] keep seconds, ARGV[6] now ms, ARGV[7] "1" when the chat side must
 * render, ARGV[8] "1" when this is the storm incident, ARGV[9..] timeline entries JSON; KEYS[10]
 * the runs bound to incidents (an entry `run` adds its run, so its approvals and end are followed).
 * Returns 1, or 0 when the lease is no longer ours (nothing written).
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[5])
  redis.call('SET', KEYS[5], ARGV[4], 'EX', ARGV[5])
  redis.call('SET', KEYS[9], ARGV[4], 'EX', ARGV[5])
  redis.call('ZADD', KEYS[6], ARGV[6], ARGV[4])
  if ARGV[8] == '1' then redis.call('SET', KEYS[8], ARGV[4], 'EX', ARGV[5]) end
  for i = 9, #ARGV do
    redis.call('RPUSH', KEYS[4], ARGV[i])
    local e = cjson.decode(ARGV[i])
    if e.type == 'run' then redis.call('ZADD', KEYS[10], ARGV[6], ARGV[4] .. '|' .. e.runId) end
  end
  if #ARGV >= 9 then redis.call('EXPIRE', KEYS[4], ARGV[5]) end
  if ARGV[7] == '1' then redis.call('ZADD', KEYS[7], ARGV[6], ARGV[4]) end
end
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

/**
 * A delayed run's outcome (started or skipped), once. KEYS[1] consumer lease, KEYS[2] delayed
 * zset, KEYS[3] the incident's timeline, KEYS[4] report zset, KEYS[5] the runs bound to incidents
 * (a `run` entry binds its run, as in COMMIT). ARGV[1] owner, ARGV[2] the delayed
 * member, ARGV[3] incident id, ARGV[4] keep seconds, ARGV[5] now ms, ARGV[6..] timeline entries.
 * Returns 1, or 0 when the lease is not ours or the member was settled already (nothing written).
 */
const SETTLE_DELAYED = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[3], ARGV[i])
  local e = cjson.decode(ARGV[i])
  if e.type == 'run' then redis.call('ZADD', KEYS[5], ARGV[5], ARGV[3] .. '|' .. e.runId) end
end
if #ARGV >= 6 then
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3])
end
return 1`;

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
export const INCIDENT_ID_PATTERN = /^i-[0-9a-z]{6}$/;

export function newIncidentId(): string {
  let id = 'i-';
  for (let i = 0; i < 6; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

export interface CommitRequest {
  owner: string;
  delivery: string;
  incident?: Incident;
  entries: TimelineEntry[];
  /** The chat side must render (the message or thread changed). */
  render: boolean;
  storm?: boolean;
  /** The delivery's group, when the incident is not its own (the storm incident). */
  alias?: { source: string; groupKey: string };
  keepMs: number;
  now: number;
}

export class IncidentStore {
  readonly keys: AlertKeys;

  constructor(
    readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new AlertKeys(prefix);
  }

  async idOfGroup(source: string, groupKey: string): Promise<string | null> {
    return this.redis.get(this.keys.group(source, groupKey));
  }

  async stormId(): Promise<string | null> {
    return this.redis.get(this.keys.storm);
  }

  async load(id: string): Promise<Incident | undefined> {
    const json = await this.redis.get(this.keys.incident(id));
    return json ? (JSON.parse(json) as Incident) : undefined;
  }

  /** Timeline entries from index `from` (0-based) to the end. */
  async timeline(id: string, from = 0): Promise<TimelineEntry[]> {
    const items = await this.redis.lrange(this.keys.timeline(id), from, -1);
    return items.map((j) => JSON.parse(j) as TimelineEntry);
  }

  /** Recent incidents, the latest change first. */
  async list(limit = 20): Promise<Incident[]> {
    const ids = await this.redis.zrevrange(this.keys.incidents, 0, limit - 1);
    if (ids.length === 0) return [];
    const jsons = await this.redis.mget(ids.map((id) => this.keys.incident(id)));
    return jsons.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as Incident);
  }

  async cursor(): Promise<string> {
    return (await this.redis.get(this.keys.cursor)) ?? '0';
  }

  /** Delayed runs due by `now` (members as stored). */
  async dueDelayed(now: number, limit = 50): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.delayed, '-inf', String(now), 'LIMIT', 0, limit);
  }

  /** Records a delayed run's outcome and removes it from the delayed set, once, if `owner` holds the consumer lease. */
  async settleDelayed(r: { owner: string; member: string; incidentId: string; entries: TimelineEntry[]; keepMs: number; now: number }): Promise<boolean> {
    const k = this.keys;
    const keys = [k.consumer, k.delayed, k.timeline(r.incidentId), k.report, k.runs];
    const argv = [r.owner, r.member, r.incidentId, String(Math.ceil(r.keepMs / 1000)), String(r.now), ...r.entries.map((e) => JSON.stringify(e))];
    return Number(await this.redis.eval(SETTLE_DELAYED, keys.length, ...keys, ...argv)) === 1;
  }

  /** Writes a delivery's effect and moves the cursor past it, if `owner` still holds the consumer lease. */
  async commit(r: CommitRequest): Promise<boolean> {
    const k = this.keys;
    const inc = r.incident;
    const id = inc?.id ?? '';
    const keys = [k.consumer, k.cursor, k.incident(id), k.timeline(id), inc ? k.group(inc.source, inc.groupKey) : k.cursor, k.incidents, k.report, k.storm];
    keys.push(r.alias ? k.group(r.alias.source, r.alias.groupKey) : (keys[4] ?? k.cursor), k.runs);
    const argv = [r.owner, r.delivery, inc ? JSON.stringify(inc) : '', id, String(Math.ceil(r.keepMs / 1000)), String(r.now), r.render ? '1' : '0', r.storm ? '1' : '0', ...r.entries.map((e) => JSON.stringify(e))];
    return Number(await this.redis.eval(COMMIT, keys.length, ...keys, ...argv)) === 1;
  }
}
