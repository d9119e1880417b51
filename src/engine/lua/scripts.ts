/**
 * The engine's atomic state changes, one Lua script each. Every script takes the run's five keys
 * first (KEYS[1..5] = run, st, steps, appr, events; see keys.ts) and is idempotent: running it
 * twice (a crash between "record" and "enqueue" repaired by a job retry) changes nothing the
 * second time and returns the same set of queued steps, whose jobs are then added again (a
 * no-op for jobs that exist, thanks to deterministic job ids).
 *
 * Replies that carry an advance result end with: done ('' or final run state), then triples
 * step id, attempt, retry-at (ms, 0 = now) for every queued step.
 */
import { PRELUDE } from './prelude.js';

export interface ScriptDef {
  keys: number;
  lua: string;
}

/**
 * create: writes a new run, or returns the run an idempotency key already started.
 * KEYS[6] runs index  KEYS[7] channel index (or runs index again)  KEYS[8] idempotency key (or '')
 * KEYS[9] lock key    KEYS[10] lock queue                           KEYS[11] locks set
 * KEYS[12] repair set (the caller removes the run once its first jobs are added)
 * KEYS[13] the workflow snapshot P:wf:SHA (runFields.wf = SHA): written once, its live count taken
 * ARGV: runId now maxlen retentionMs leaseMs prefix lockName lockMode runFieldsJSON stJSON rootsJSON apprJSON createdEventJSON repairAt defJSON graphJSON
 * Reply: {'existing', runId} | {'collision'} | {'held', holder} | {'no-snapshot'} | {'queued', position, holder|''} | {'started', done, triples…}
 * A run that starts at once is written started: rootsJSON lists the main-phase steps without
 * needs, which are what advance() would queue on a fresh run, so the graph is not walked here.
 * 'collision': a run with this id exists; the check and the write are one script, so it also
 * reserves a caller-chosen id atomically.
 * defJSON and graphJSON may be '' when the caller knows the snapshot was written already (it sends
 * them the first time per process and SHA only: a few KB fewer per start). If the snapshot is gone
 * after all (expired with its last run, flushed), nothing is written and the reply is
 * {'no-snapshot'}: the caller retries once with the JSON, so a run never exists without its snapshot.
 */
const create: ScriptDef = {
  keys: 13,
  lua: `
local runKey, stKey, stepsKey, apprKey, eventsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local runId, now, maxlen, retention, lease, prefix, lockName, lockMode = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if KEYS[8] ~= '' then
  local existing = redis.call('GET', KEYS[8])
  if existing then return {'existing', existing} end
end
if redis.call('EXISTS', runKey) == 1 then return {'collision'} end
if ARGV[15] == '' and redis.call('HEXISTS', KEYS[13], 'def') == 0 then return {'no-snapshot'} end
local holder = nil
if lockName ~= '' then
  holder = lockHolder(prefix, KEYS[9])
  if holder == nil and redis.call('ZCARD', KEYS[10]) > 0 then
    holder = redis.call('GET', KEYS[9]) or ''
  end
  if holder ~= nil and lockMode == 'reject' then return {'held', holder} end
end
local roots = cjson.decode(ARGV[11])
local startNow = holder == nil and #roots > 0
local fields, flat = cjson.decode(ARGV[9]), {'state', startNow and 'running' or 'queued', 'phase', 'main', 'abort', ''}
if startNow then table.insert(flat, 'startedAt'); table.insert(flat, now) end
for k, v in pairs(fields) do table.insert(flat, k); table.insert(flat, v) end
redis.call('HSET', runKey, unpack(flat))
-- The snapshot is shared by content: written by the first run of this version, then only counted.
if ARGV[15] ~= '' and redis.call('HSETNX', KEYS[13], 'def', ARGV[15]) == 1 then redis.call('HSET', KEYS[13], 'graph', ARGV[16]) end
redis.call('HINCRBY', KEYS[13], 'live', 1)
redis.call('PERSIST', KEYS[13])
hsetFlat(stKey, cjson.decode(ARGV[10]))
hsetFlat(apprKey, cjson.decode(ARGV[12]))
if KEYS[8] ~= '' then redis.call('SET', KEYS[8], runId, 'PX', retention) end
-- Index entries older than the retention point at expired runs: drop them as we go.
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - tonumber(retention))
redis.call('ZADD', KEYS[6], now, runId)
if KEYS[7] ~= KEYS[6] then
  redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - tonumber(retention))
  redis.call('ZADD', KEYS[7], now, runId)
end
redis.call('ZADD', KEYS[12], ARGV[14], runId)
addEvent(eventsKey, maxlen, ARGV[13])
if lockName ~= '' then
  redis.call('SADD', KEYS[11], lockName)
  redis.call('HSET', runKey, 'lock', lockName)
  if holder ~= nil then
    redis.call('ZADD', KEYS[10], now, runId)
    local position = redis.call('ZRANK', KEYS[10], runId) + 1
    redis.call('HSET', runKey, 'queue', cjson.encode({key=lockName, holder=holder}))
    local ev = {ts=now, runId=runId, type='run.queued', key=lockName, position=position}
    if holder ~= '' then ev.holder = holder end
    addEvent(eventsKey, maxlen, cjson.encode(ev))
    return {'queued', position, holder}
  end
  redis.call('SET', KEYS[9], runId, 'PX', lease)
end
if not startNow then return prepend('started', beginRun(runKey, stKey, eventsKey, runId, now, maxlen)) end
addEvent(eventsKey, maxlen, cjson.encode({ts=now, runId=runId, type='run.started'}))
local queued, out = {}, {'started', ''}
for _, id in ipairs(roots) do
  table.insert(queued, id); table.insert(queued, 'queued')
  table.insert(out, id); table.insert(out, '1'); table.insert(out, '0')
end
hsetFlat(stKey, queued)
return out
`,
};

/**
 * begin: starts a queued run that was just given its lock (or repairs one that started).
 * KEYS[6] lock key (or '')   ARGV: runId now maxlen
 * Reply: {'started'|'running', done, triples…} | {'not-holder'} | {'gone'}
 */
const begin: ScriptDef = {
  keys: 6,
  lua: `
local runId, now, maxlen = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local rs = redis.call('HGET', KEYS[1], 'state')
if (not rs) or RUN_FINAL[rs] then return {'gone'} end
if rs ~= 'queued' then return prepend('running', advance(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen)) end
if KEYS[6] ~= '' and redis.call('GET', KEYS[6]) ~= runId then return {'not-holder'} end
return prepend('started', beginRun(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen))
`,
};

/**
 * startStep: a worker claims a queued step (queued -> running); its stored record is
 * {"startedAt": now} (the rest comes from the snapshot and :st).
 * ARGV: runId stepId attempt now maxlen mode
 * mode 'ctx': the worker has not seen this run yet. The reply starts with the run's meta, wf and
 * sealed fields (its context, saving a separate read), and a step with a condition (`if`, or any
 * on_failure step) is not claimed: the reply is then 'context', and the worker evaluates the
 * condition and calls again with mode ''. Snapshots written before nodes carried `cond` count as
 * conditional (cond is nil there).
 * Reply: [meta wf sealed] then {'run'} | {'context'} | {'aborted'} | {'stale', state, attempt, retryAt}
 * | {state} for running (the previous holder died), waiting (parked) or a final state;
 * or just {'gone'} when the run ended or does not exist.
 */
const startStep: ScriptDef = {
  keys: 5,
  lua: `
local runId, step, attempt, now, maxlen, mode = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local rs = redis.call('HGET', KEYS[1], 'state')
if (not rs) or RUN_FINAL[rs] then return {'gone'} end
local head = {}
local function reply(list)
  for i = #head, 1, -1 do table.insert(list, 1, head[i] or '') end
  return list
end
if mode == 'ctx' then
  head = redis.call('HMGET', KEYS[1], 'meta', 'wf', 'sealed')
  local node = nil
  for _, n in ipairs(runGraph(KEYS[1])) do if n.id == step then node = n end end
  if node == nil or node.cond ~= false or node.phase ~= 'main' then return reply({'context'}) end
end
local sa = redis.call('HMGET', KEYS[2], step, step .. '#a', step .. '#r')
local s, a = sa[1], sa[2] or '1'
if a ~= attempt then return reply({'stale', s or '', a, sa[3] or '0'}) end
if s ~= 'queued' then return reply({s or ''}) end
local run = redis.call('HMGET', KEYS[1], 'abort', 'phase')
local abort, phase = run[1] or '', run[2]
if abort == 'cancelled' or (abort == 'timed_out' and phase == 'main') then return reply({'aborted'}) end
redis.call('HSET', KEYS[2], step, 'running')
redis.call('HSET', KEYS[3], step, '{"startedAt":' .. ARGV[4] .. '}')
if rs == 'waiting' then redis.call('HSET', KEYS[1], 'state', 'running') end
addEvent(KEYS[5], maxlen, cjson.encode({ts=now, runId=runId, type='step.started', step=step, attempt=tonumber(attempt)}))
return reply({'run'})
`,
};

/**
 * finishStep: records a step's final state, outputs and event, then advances the run. When that
 * ends the run as succeeded and the caller allows it (ARGV[11] set: the workflow has no outputs to
 * evaluate and no parent to settle first), the run is finished in this same call, as finishRun
 * would with no outputs and no error: one call fewer for the last step of every run.
 * KEYS[6] lock key (or '')  KEYS[7] lock queue (or '')
 * ARGV: runId stepId attempt state fromStates(comma list) recordJSON eventJSON failureJSON(or '') now maxlen retentionMs(or '')
 * Reply: {'recorded'|'ignored', 'finished'|'', done, triples…} | {'gone'}
 */
const finishStep: ScriptDef = {
  keys: 7,
  lua: `
local runId, step, attempt, state, from = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local now, maxlen = tonumber(ARGV[9]), ARGV[10]
local s = redis.call('HGET', KEYS[2], step) or ''
local a = redis.call('HGET', KEYS[2], step .. '#a') or '1'
local tag = 'ignored'
if a == attempt and string.find(',' .. from .. ',', ',' .. s .. ',', 1, true) then
  redis.call('HSET', KEYS[2], step, state)
  redis.call('HSET', KEYS[3], step, ARGV[6])
  addEvent(KEYS[5], maxlen, ARGV[7])
  if ARGV[8] ~= '' and not redis.call('HGET', KEYS[1], 'failure') then
    redis.call('HSET', KEYS[1], 'failure', ARGV[8])
  end
  tag = 'recorded'
end
local rs = redis.call('HGET', KEYS[1], 'state')
if (not rs) or RUN_FINAL[rs] then return {'gone'} end
local adv = advance(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen)
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
const retryStep: ScriptDef = {
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
redis.call('HSET', KEYS[2], step, 'queued', step .. '#a', nextAttempt, step .. '#r', retryAt)
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
const parkStep: ScriptDef = {
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
redis.call('HSET', KEYS[2], step, 'waiting')
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
advance(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen)
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

/**
 * decide: records one approval decision, once per user, and settles the outcome.
 * ARGV: runId stepId user rolesJSON decision(approve|deny|expire) now maxlen
 * Reply: {counted '1'|'0', reason, approvalJSON, stepState}  |  {'not-approval'}
 */
const decide: ScriptDef = {
  keys: 5,
  lua: `
local runId, step, user, decision, now, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local raw = redis.call('HGET', KEYS[4], step)
if not raw then return {'not-approval'} end
local cur = cjson.decode(raw)
if type(cur.decisions) ~= 'table' then cur.decisions = {} end
local s = redis.call('HGET', KEYS[2], step) or ''
local rs = redis.call('HGET', KEYS[1], 'state') or ''
local function reply(counted, reason) return {counted and '1' or '0', reason, cjson.encode(cur), s} end
if cur.outcome then return reply(false, 'this approval was already ' .. cur.outcome) end
if RUN_FINAL[rs] then return reply(false, 'the run already ended (' .. rs .. ')') end
if FINAL[s] then return reply(false, 'this approval step is ' .. s) end
if s == 'pending' then return reply(false, 'this approval has not been requested yet') end
if decision == 'expire' then
  cur.outcome = 'expired'
  local d = {user='system:expiry', decision='deny', at=now, counted=true, reason='nobody decided before the approval expired'}
  table.insert(cur.decisions, d)
  redis.call('HSET', KEYS[4], step, cjson.encode(cur))
  addEvent(KEYS[5], maxlen, cjson.encode({ts=now, runId=runId, type='approval.decided', step=step, decision=d, outcome='expired'}))
  return reply(true, '')
end
for _, d in ipairs(cur.decisions) do
  if d.user == user then return reply(false, user .. ' already decided (' .. d.decision .. ')') end
end
local meta = cjson.decode(redis.call('HGET', KEYS[1], 'meta'))
local d = {user=user, decision=decision, at=now, counted=false}
local wanted = cur.roles or {}
local anyRole = #wanted == 0
local userRoles = {}
for _, r in ipairs(cjson.decode(ARGV[4])) do userRoles[r] = true end
for _, r in ipairs(wanted) do if r == '*' or userRoles[r] then anyRole = true end end
if user == meta.trigger.requester then
  d.reason = 'the requester of a run cannot decide its approval'
elseif not anyRole then
  d.reason = 'needs the role ' .. table.concat(wanted, ' or ')
else
  d.counted = true
end
table.insert(cur.decisions, d)
if d.counted then
  if decision == 'deny' then
    cur.outcome = 'denied'
  else
    local n = 0
    for _, x in ipairs(cur.decisions) do if x.counted and x.decision == 'approve' then n = n + 1 end end
    if n >= (cur.minApprovers or 1) then cur.outcome = 'approved' end
  end
end
redis.call('HSET', KEYS[4], step, cjson.encode(cur))
local ev = {ts=now, runId=runId, type='approval.decided', step=step, decision=d}
if cur.outcome then ev.outcome = cur.outcome end
addEvent(KEYS[5], maxlen, cjson.encode(ev))
return reply(d.counted, d.reason or '')
`,
};

/**
 * abort: cancels a run (kind cancelled) or times it out (kind timed_out). Queued and waiting steps
 * end at once (their jobs will find them final); running steps are aborted by their worker
 * (told over pub/sub); a run still queued for its lock leaves the queue.
 * KEYS[6] lock queue (or '')   ARGV: runId kind by now maxlen failureJSON
 * Reply: {'unknown'} | {'final', state} | {'already', abort} | {'ignored'} |
 *        {'aborting', waitingIdsJSON, done, triples…}
 */
const abort: ScriptDef = {
  keys: 6,
  lua: `
local runId, kind, by, now, maxlen = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local rs = redis.call('HGET', KEYS[1], 'state')
if not rs then return {'unknown'} end
if RUN_FINAL[rs] then return {'final', rs} end
local current = redis.call('HGET', KEYS[1], 'abort') or ''
if current ~= '' then return {'already', current} end
local phase = redis.call('HGET', KEYS[1], 'phase')
if kind == 'timed_out' and phase ~= 'main' then return {'ignored'} end
redis.call('HSET', KEYS[1], 'abort', kind, 'abortFailure', ARGV[6])
if ARGV[6] ~= '' and not redis.call('HGET', KEYS[1], 'failure') then redis.call('HSET', KEYS[1], 'failure', ARGV[6]) end
if kind == 'cancelled' then
  addEvent(KEYS[5], maxlen, cjson.encode({ts=now, runId=runId, type='run.cancelling', by=by}))
end
local waiting = {}
if rs == 'queued' then
  if KEYS[6] ~= '' then redis.call('ZREM', KEYS[6], runId) end
  return {'aborting', '[]', kind}
end
local graph = runGraph(KEYS[1])
for _, n in ipairs(graph) do
  if n.phase == phase then
    local s = redis.call('HGET', KEYS[2], n.id)
    if s == 'queued' or s == 'waiting' then
      if s == 'waiting' then table.insert(waiting, n.id) end
      setStep(KEYS[2], KEYS[5], maxlen, runId, now, n.id, 'cancelled')
    end
  end
end
local list = advance(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen)
table.insert(list, 1, #waiting > 0 and cjson.encode(waiting) or '[]')
return prepend('aborting', list)
`,
};

/**
 * finishRun: the run's final state, outputs and run.finished; expiry of its keys after the
 * retention (and of its shared snapshot P:wf:SHA when no live run holds it any more); releases its concurrency lock (the next run is promoted separately).
 * KEYS[6] lock key (or '')  KEYS[7] lock queue (or '')
 * ARGV: runId state outputsJSON error now maxlen retentionMs
 * Reply: {'finished'} | {'already', state}
 */
const finishRun: ScriptDef = {
  keys: 7,
  lua: `
local runId, state, outputs, err, now, maxlen, retention = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local rs = redis.call('HGET', KEYS[1], 'state')
if not rs then return {'already', ''} end
if RUN_FINAL[rs] then return {'already', rs} end
endRun(KEYS[6], KEYS[7], runId, state, outputs, err, now, maxlen, retention)
return {'finished'}
`,
};

/**
 * promote: gives a free concurrency lock to the first run queued for it that still waits; forgets
 * the key (locks set) when nobody holds or waits for it.
 * Not a run script: KEYS[1] lock key  KEYS[2] lock queue  KEYS[3] locks set. ARGV: prefix leaseMs lockName
 * Reply: {'held', holder} | {'free'} | {'promoted', runId}
 */
const promote: ScriptDef = {
  keys: 3,
  lua: `
local prefix, lease = ARGV[1], ARGV[2]
local holder = lockHolder(prefix, KEYS[1])
if holder then return {'held', holder} end
redis.call('DEL', KEYS[1])
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not head then
    redis.call('SREM', KEYS[3], ARGV[3])
    return {'free'}
  end
  redis.call('ZREM', KEYS[2], head)
  if redis.call('HGET', prefix .. ':run:' .. head, 'state') == 'queued' then
    redis.call('SET', KEYS[1], head, 'PX', lease)
    return {'promoted', head}
  end
end
`,
};

/**
 * renew: extends the lease of a lock whose holder is still live (workers call it periodically).
 * KEYS[1] lock key. ARGV: prefix leaseMs
 * Reply: {'renewed', holder, holderState} | {'free'}
 */
const renew: ScriptDef = {
  keys: 1,
  lua: `
local holder = lockHolder(ARGV[1], KEYS[1])
if not holder then return {'free'} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'renewed', holder, redis.call('HGET', ARGV[1] .. ':run:' .. holder, 'state')}
`,
};

/**
 * claimDue: hands the approvals due to expire to one sweeping worker. Claimed entries are pushed
 * a lease into the future instead of removed, so a worker that dies mid-expiry leaves them to be
 * claimed again after the lease; the claimer removes each entry once its expiry is done.
 * KEYS[1] expiry zset. ARGV: now leaseMs limit
 * Reply: the claimed members
 */
const claimDue: ScriptDef = {
  keys: 1,
  lua: `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', until_, m) end
return due
`,
};

/**
 * clearMarks: removes repair marks that are still the ones their caller set (same score), so a
 * mark set again since (by a cancel or decision on that run, from any process) stays.
 * Not a run script: KEYS[1] the repair zset. ARGV: runId1 score1 runId2 score2 …
 * Reply: {removed count}
 */
const clearMarks: ScriptDef = {
  keys: 1,
  lua: `
local removed = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return {removed}
`,
};

export const SCRIPTS = { create, begin, startStep, finishStep, retryStep, parkStep, decide, abort, finishRun, promote, renew, claimDue, clearMarks } as const;
export type ScriptName = keyof typeof SCRIPTS;

export function scriptSource(name: ScriptName): string {
  return PRELUDE + SCRIPTS[name].lua;
}
