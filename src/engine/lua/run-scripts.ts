/** Scripts that start, abort and end runs, and clear the repair marks of started runs. Conventions: scripts.ts. */
import type { ScriptDef } from './script-def.js';

/**
 * create: writes a new run, or returns the run an idempotency key already started.
 * KEYS[6] runs index  KEYS[7] channel index (or runs index again)  KEYS[8] idempotency key (or '')
 * KEYS[9] lock key    KEYS[10] lock queue                           KEYS[11] locks set
 * KEYS[12] repair set (the caller removes the run once its first jobs are added)
 * KEYS[13] the workflow snapshot P:wf:SHA (runFields.wf = SHA): written once, its live count taken
 * ARGV: runId now maxlen retentionMs leaseMs prefix lockName lockMode runFieldsJSON stJSON rootsJSON apprJSON createdEventJSON repairAt defJSON graphJSON callsJSON lockLabel
 * lockName names the lock in Redis (lock-name.ts); lockLabel is the key as shown, in the run's queue field and run.queued event.
 * Reply: {'existing', runId} | {'collision'} | {'held', holder} | {'no-snapshot'} | {'queued', position, holder|''} | {'started', done, triples…}
 * A run that starts at once is written started: rootsJSON lists the main-phase steps without
 * needs, which are what advance() would queue on a fresh run, so the graph is not walked here.
 * 'collision': a run with this id exists; the check and the write are one script, so it also
 * reserves a caller-chosen id atomically.
 * callsJSON: the workflows its `workflow:` steps start, pinned with it (pinned-calls.ts); '' when it calls none.
 * defJSON, graphJSON and callsJSON may be '' when the caller knows the snapshot was written already (it sends
 * them the first time per process and SHA only: a few KB fewer per start). If the snapshot is gone
 * after all (expired with its last run, flushed), nothing is written and the reply is
 * {'no-snapshot'}: the caller retries once with the JSON, so a run never exists without its snapshot.
 */
export const create: ScriptDef = {
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
-- No empty abort field: every reader takes a missing one as '' (a field costs some 70 bytes here).
local fields, flat = cjson.decode(ARGV[9]), {'state', startNow and 'running' or 'queued', 'phase', 'main'}
if startNow then table.insert(flat, 'startedAt'); table.insert(flat, now) end
for k, v in pairs(fields) do table.insert(flat, k); table.insert(flat, v) end
redis.call('HSET', runKey, unpack(flat))
-- The snapshot is shared by content: written by the first run of this version, then only counted.
if ARGV[15] ~= '' and redis.call('HSETNX', KEYS[13], 'def', ARGV[15]) == 1 then
  redis.call('HSET', KEYS[13], 'graph', ARGV[16])
  if ARGV[17] ~= '' then redis.call('HSET', KEYS[13], 'calls', ARGV[17]) end
end
redis.call('HINCRBY', KEYS[13], 'live', 1)
redis.call('PERSIST', KEYS[13])
hsetFlat(stKey, cjson.decode(ARGV[10]))
-- The run's step counters (step-graph.ts), as they stand once its roots are queued (when it starts now).
local sizes = phaseSizes(runKey)
local rootsQueued = startNow and #roots or 0
setCounters(runKey, {['c:main:pend'] = (sizes.main or 0) - rootsQueued, ['c:main:q'] = rootsQueued, ['c:on_failure:pend'] = sizes.on_failure or 0})
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
    redis.call('HSET', runKey, 'queue', cjson.encode({key=ARGV[18], holder=holder}))
    local ev = {ts=now, runId=runId, type='run.queued', key=ARGV[18], position=position}
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
export const begin: ScriptDef = {
  keys: 6,
  lua: `
local runId, now, maxlen = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local rs = redis.call('HGET', KEYS[1], 'state')
if (not rs) or RUN_FINAL[rs] then return {'gone'} end
if rs ~= 'queued' then return prepend('running', advanceAll(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen)) end
if KEYS[6] ~= '' and redis.call('GET', KEYS[6]) ~= runId then return {'not-holder'} end
return prepend('started', beginRun(KEYS[1], KEYS[2], KEYS[5], runId, now, maxlen))
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
export const abort: ScriptDef = {
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
      setStep(KEYS[1], KEYS[2], KEYS[5], maxlen, runId, now, n.id, 'cancelled')
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
export const finishRun: ScriptDef = {
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
 * clearMarks: removes repair marks that are still the ones their caller set (same score), so a
 * mark set again since (by a cancel or decision on that run, from any process) stays.
 * Not a run script: KEYS[1] the repair zset. ARGV: runId1 score1 runId2 score2 …
 * Reply: {removed count}
 */
export const clearMarks: ScriptDef = {
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
