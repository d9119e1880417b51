/** Scripts that move one step through its states: claim, finish (and advance the run), retry, park. Conventions: scripts.ts. */
import type { ScriptDef } from './script-def.js';

/**
 * startStep: a worker claims a queued step (queued -> running) under its step lease (`<id>#w`,
 * step-lease.ts); its stored record is {"startedAt": now} (the rest comes from the snapshot and :st).
 * ARGV: runId stepId attempt now maxlen mode leaseId
 * mode 'ctx': the worker has not seen this run yet. The reply starts with the run's meta, wf and
 * sealed fields (its context, saving a separate read), and a step with a condition (`if`, or any
 * on_failure step) is not claimed: the reply is then 'context', and the worker evaluates the
 * condition and calls again with mode ''. Snapshots written before nodes carried `cond` count as
 * conditional (cond is nil there).
 * Reply: [meta wf sealed] then {'run'} | {'context'} | {'aborted'} | {'stale', state, attempt, retryAt}
 * | {'nolease'} (the caller's lease key is gone: it must not claim) | {'running', ttl} (claimed before:
 * ttl is what is left of its holder's lease in ms, 0 when it expired: the holder is gone and the step
 * may be taken over) | {state} for waiting (parked) or a final state;
 * or just {'gone'} when the run ended or does not exist.
 */
export const startStep: ScriptDef = {
  keys: 5,
  lua: `
local runId, step, attempt, now, maxlen, mode, lease = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local rs = redis.call('HGET', KEYS[1], 'state')
if (not rs) or RUN_FINAL[rs] then return {'gone'} end
local head = {}
local function reply(list)
  for i = #head, 1, -1 do table.insert(list, 1, head[i] or '') end
  return list
end
if mode == 'ctx' then
  head = redis.call('HMGET', KEYS[1], 'meta', 'wf', 'sealed')
  local node = nodeOf(KEYS[1], step)
  if (not node) or node.cond ~= false or node.phase ~= 'main' then return reply({'context'}) end
end
local sa = redis.call('HMGET', KEYS[2], step, step .. '#a', step .. '#r', step .. '#w')
local s, a = sa[1], sa[2] or '1'
if a ~= attempt then return reply({'stale', s or '', a, sa[3] or '0'}) end
local leases = string.match(KEYS[1], '^(.*):run:[^:]+$') .. ':lease:'
if s == 'running' then
  local ttl = sa[4] and redis.call('PTTL', leases .. sa[4]) or 0
  return reply({'running', ttl > 0 and ttl or 0})
end
if s ~= 'queued' then return reply({s or ''}) end
local run = redis.call('HMGET', KEYS[1], 'abort', 'phase')
local abort, phase = run[1] or '', run[2]
if abort == 'cancelled' or (abort == 'timed_out' and phase == 'main') then return reply({'aborted'}) end
if lease == '' or redis.call('EXISTS', leases .. lease) == 0 then return reply({'nolease'}) end
moveStep(KEYS[1], KEYS[2], step, 'running')
redis.call('HSET', KEYS[2], step .. '#w', lease)
redis.call('HSET', KEYS[3], step, '{"startedAt":' .. ARGV[4] .. '}')
if rs == 'waiting' then redis.call('HSET', KEYS[1], 'state', 'running') end
addEvent(KEYS[5], maxlen, cjson.encode({ts=now, runId=runId, type='step.started', step=step, attempt=tonumber(attempt)}))
return reply({'run'})
`,
};

/**
 * finishStep: records a step's final state, outputs and event, then advances the run from it
 * (advanceFrom: O(the steps that need it); the triples are the steps this call queued, or every
 * queued step when the end was recorded before and this is a replay). When that
 * ends the run as succeeded and the caller allows it (ARGV[11] set: the workflow has no outputs to
 * evaluate and no parent to settle first), the run is finished in this same call, as finishRun
 * would with no outputs and no error: one call fewer for the last step of every run.
 * KEYS[6] lock key (or '')  KEYS[7] lock queue (or '')
 * ARGV: runId stepId attempt state fromStates(comma list) recordJSON eventJSON failureJSON(or '') now maxlen retentionMs(or '')
 * Reply: {'recorded'|'ignored', 'finished'|'', done, triples…} | {'gone'}
 */
export const finishStep: ScriptDef = {
  keys: 7,
  lua: `
local runId, step, attempt, state, from = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, maxlen = tonumber(ARGV[9]), ARGV[10]
local s = redis.call('HGET', KEYS[2], step) or ''
local a = redis.call('HGET', KEYS[2], step .. '#a') or '1'
local tag = 'ignored'
if a == attempt and string.find(',' .. from .. ',', ',' .. s .. ',', 1, true) then
  moveStep(KEYS[1], KEYS[2], step, state)
  redis.call('HDEL', KEYS[2], step .. '#w')
  redis.call('HSET', KEYS[3], step, ARGV[6])
  addEvent(KEYS[5], maxlen, ARGV[7])
  if ARGV[8] ~= '' and not redis.call('HGET', KEYS[1], 'failure') then
    redis.call('HSET', KEYS[1], 'failure', ARGV[8])
  end
  tag = 'recorded'
end
local rs = redis.call('HGET', KEYS[1], 'state')
if (not rs) or RUN_FINAL[rs] then return {'gone'} end
-- A recorded end looks only at the steps that need this one; a replayed one (the same end
-- again, after a crash cut its follow-up short) must learn every queued step again.
local adv
if tag == 'recorded' then adv = advanceFrom(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen, step)
else adv = advanceAll(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen) end
local finished = ''
if adv[1] == 'succeeded' and ARGV[11] ~= '' then
  endRun(KEYS[6], KEYS[7], runId, 'succeeded', '{}', '', now, maxlen, ARGV[11])
  finished = 'finished'
end
return prepend(tag, prepend(finished, adv))
`,
};

/**
 * retryStep: puts a failed attempt back in the queue as the next attempt, due at retryAt.
 * ARGV: runId stepId attempt nextAttempt retryAt fromStates recordJSON eventJSON now maxlen
 * Reply: {'ok'} | {'aborted'} | {'stale'}
 */
export const retryStep: ScriptDef = {
  keys: 5,
  lua: `
local step, attempt, nextAttempt, retryAt, from = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local s = redis.call('HGET', KEYS[2], step) or ''
local a = redis.call('HGET', KEYS[2], step .. '#a') or '1'
if a == nextAttempt and s == 'queued' then return {'ok'} end
if a ~= attempt or not string.find(',' .. from .. ',', ',' .. s .. ',', 1, true) then return {'stale'} end
local abort = redis.call('HGET', KEYS[1], 'abort') or ''
local phase = redis.call('HGET', KEYS[1], 'phase')
if abort == 'cancelled' or (abort == 'timed_out' and phase == 'main') then return {'aborted'} end
moveStep(KEYS[1], KEYS[2], step, 'queued')
redis.call('HSET', KEYS[2], step .. '#a', nextAttempt, step .. '#r', retryAt)
redis.call('HDEL', KEYS[2], step .. '#w')
redis.call('HSET', KEYS[3], step, ARGV[7])
addEvent(KEYS[5], ARGV[10], ARGV[8])
return {'ok'}
`,
};

/**
 * parkStep: a running step waits without a worker (approval, sub-workflow): running -> waiting.
 * For approvals, apprPatchJSON sets message/expiresAt on the approval state created at start,
 * keeping decisions that arrived while the step was parking, emits approval.requested and arms
 * the expiry (P:expiry member `runId stepId`, built from the prefix like other shared keys).
 * A workflow step with a step timeout arms its deadline in P:expiry the same way (deadline, ms).
 * ARGV: runId stepId attempt recordJSON apprPatchJSON(or '') requester now maxlen deadline(or '')
 * Reply: {'parked', outcome|''} | {'stale', state}
 */
export const parkStep: ScriptDef = {
  keys: 5,
  lua: `
local runId, step, attempt, now, maxlen = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[7]), ARGV[8]
local s = redis.call('HGET', KEYS[2], step) or ''
local a = redis.call('HGET', KEYS[2], step .. '#a') or '1'
local function outcome()
  local cur = redis.call('HGET', KEYS[4], step)
  if not cur then return '' end
  return cjson.decode(cur).outcome or ''
end
if a == attempt and s == 'waiting' then return {'parked', outcome()} end
if a ~= attempt or s ~= 'running' then return {'stale', s} end
moveStep(KEYS[1], KEYS[2], step, 'waiting')
redis.call('HSET', KEYS[3], step, ARGV[4])
if ARGV[5] ~= '' then
  local patch = cjson.decode(ARGV[5])
  local cur = cjson.decode(redis.call('HGET', KEYS[4], step))
  cur.message = patch.message
  cur.expiresAt = patch.expiresAt
  redis.call('HSET', KEYS[4], step, cjson.encode(cur))
  addEvent(KEYS[5], maxlen, cjson.encode({ts=now, runId=runId, type='approval.requested', step=step, approval=cur, requester=ARGV[6]}))
  -- Armed with the parking itself, so no crash can leave an approval that never expires (P:expiry, swept by workers).
  redis.call('ZADD', string.match(KEYS[1], '^(.*):run:[^:]+$') .. ':expiry', 'NX', string.format('%.0f', cur.expiresAt), runId .. ' ' .. step)
elseif ARGV[9] ~= '' then
  redis.call('ZADD', string.match(KEYS[1], '^(.*):run:[^:]+$') .. ':expiry', 'NX', ARGV[9], runId .. ' ' .. step)
end
advanceFrom(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen, nil)
-- Redis 7.0 preallocates 4 KB for a stream's first node, most of a parked run's memory; a run may
-- stay parked for hours, so rewrite its stream at its real size (DUMP/RESTORE keeps ids and entries).
-- pcall: a Redis that refuses DUMP/RESTORE (ACLs) just keeps the larger stream.
local dump = redis.pcall('DUMP', KEYS[5])
if type(dump) == 'string' then
  local ttl = redis.call('PTTL', KEYS[5])
  redis.pcall('RESTORE', KEYS[5], ttl > 0 and ttl or 0, dump, 'REPLACE')
end
return {'parked', outcome()}
`,
};
