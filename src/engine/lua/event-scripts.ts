/** Events a worker adds to a run's stream outside a state change: step output and notices. Conventions: scripts.ts. */
import type { ScriptDef } from './script-def.js';

/**
 * appendEvent: adds one event to the run's stream, only while the run's record exists. A run
 * whose record vanished (Redis wiped or flushed, the run expired) gets nothing: a plain XADD
 * would re-create its stream as a new key without expiry, kept forever.
 * Step output is charged to the run's output budget (field outBytes of the run hash): an event
 * costing `cost` bytes is written only when the run's total stays within `budget`; otherwise
 * nothing is written and the reply says how many bytes the run may still take, so the caller can
 * send the lines that fit. cost 0 (notices, the cut markers) is always written.
 * A step's output names its step and attempt: it is written only while that attempt is the
 * step's current one and `running`, so an attempt that lost its hold on the step (step-lease.ts)
 * cannot write into the run any more.
 * ARGV: maxlen budget cost eventJSON [stepId attempt]
 * Reply: {'ok'} | {'over', bytesLeft} | {'gone'} | {'stale'}
 */
export const appendEvent: ScriptDef = {
  keys: 5,
  lua: `
local maxlen, budget, cost = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
if ARGV[5] then
  local sa = redis.call('HMGET', KEYS[2], ARGV[5], ARGV[5] .. '#a')
  if sa[1] ~= 'running' or (sa[2] or '1') ~= ARGV[6] then return {'stale'} end
end
if cost > 0 then
  local used = tonumber(redis.call('HGET', KEYS[1], 'outBytes') or '0')
  if used + cost > budget then return {'over', tostring(math.max(0, budget - used))} end
  redis.call('HINCRBY', KEYS[1], 'outBytes', cost)
end
addEvent(KEYS[5], maxlen, ARGV[4])
return {'ok'}
`,
};
