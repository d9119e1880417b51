/**
 * Lua shared by every engine script (prepended to each). Conventions:
 * - KEYS[1..5] are always the run's keys: run hash, :st, :steps, :appr, :events (see keys.ts).
 * - Timestamps are milliseconds passed in by the caller (one clock per call; Lua never asks Redis TIME,
 *   so scripts stay deterministic for replication).
 * - Event payloads are JSON in stream field `e`; anything user-visible was masked by the caller.
 * - Other runs' keys are built from the prefix (single Redis, not Redis Cluster: as BullMQ's own scripts do).
 */
export const PRELUDE = `
local FINAL = {succeeded=true, failed=true, skipped=true, cancelled=true, timed_out=true, lost=true}
local RUN_FINAL = {succeeded=true, failed=true, cancelled=true, timed_out=true}
local BAD = {failed=true, timed_out=true, lost=true, cancelled=true}

local function addEvent(eventsKey, maxlen, ev)
  redis.call('XADD', eventsKey, 'MAXLEN', '~', maxlen, '*', 'e', ev)
end

local function setStep(stKey, eventsKey, maxlen, runId, now, id, state)
  redis.call('HSET', stKey, id, state)
  if FINAL[state] then
    addEvent(eventsKey, maxlen, cjson.encode({ts=now, runId=runId, type='step.finished', step=id, state=state, durationMs=0, outputs={}}))
  end
end

-- The run's dependency graph, from its shared snapshot P:wf:SHA (field wf of the run hash). Read
-- and decoded once per script call (a snapshot never changes): advance and endRun in one call share it.
local graphs, snapshotKeys = {}, {}
local function snapshotKey(runKey)
  if snapshotKeys[runKey] == nil then
    local wf = redis.call('HGET', runKey, 'wf')
    snapshotKeys[runKey] = wf and (string.match(runKey, '^(.*):run:[^:]+$') .. ':wf:' .. wf) or false
  end
  return snapshotKeys[runKey]
end
local function runGraph(runKey)
  if graphs[runKey] then return graphs[runKey] end
  graphs[runKey] = cjson.decode(redis.call('HGET', snapshotKey(runKey), 'graph'))
  return graphs[runKey]
end

-- A run ended: one run fewer holds its shared snapshot; the last one lets it expire with the retention.
local function releaseSnapshot(runKey, retention)
  local key = snapshotKey(runKey)
  if not key then return end
  if redis.call('HINCRBY', key, 'live', -1) <= 0 then redis.call('PEXPIRE', key, retention) end
end

-- Moves each pending step of the current phase whose needs are all final to queued, or to skipped
-- when a need did not succeed and its condition has no status function (GitHub Actions semantics),
-- until nothing changes. When the phase has nothing left, decides the run's outcome, switching to
-- the on_failure phase when the run failed or timed out and there are failure handlers.
-- Returns {done, id1, attempt1, retryAt1, ...}: done is '' or the final run state; the ids are every
-- step now queued (their jobs must exist; adding them again is a no-op).
local function advance(runKey, stKey, eventsKey, runId, now, maxlen)
  local graph = runGraph(runKey)
  local byId = {}
  for _, n in ipairs(graph) do byId[n.id] = n end
  for _ = 1, 2 do
    local run = redis.call('HMGET', runKey, 'phase', 'abort', 'state')
    local phase, abort, rs = run[1], run[2] or '', run[3]
    local aborting = abort == 'cancelled' or (abort == 'timed_out' and phase == 'main')
    local flat = redis.call('HGETALL', stKey)
    local st = {}
    for i = 1, #flat, 2 do st[flat[i]] = flat[i + 1] end
    local function ok(id)
      local s = st[id]
      if s == 'succeeded' then return true end
      local n = byId[id]
      return n ~= nil and n.coe and BAD[s or ''] ~= nil
    end
    local changed = true
    while changed do
      changed = false
      for _, n in ipairs(graph) do
        if n.phase == phase and st[n.id] == 'pending' then
          if aborting then
            st[n.id] = 'cancelled'
            setStep(stKey, eventsKey, maxlen, runId, now, n.id, 'cancelled')
            changed = true
          else
            local allFinal, allOk = true, true
            for _, need in ipairs(n.needs) do
              if not FINAL[st[need] or ''] then allFinal = false end
              if not ok(need) then allOk = false end
            end
            if allFinal then
              local nx = (allOk or n.sf) and 'queued' or 'skipped'
              st[n.id] = nx
              setStep(stKey, eventsKey, maxlen, runId, now, n.id, nx)
              changed = true
            end
          end
        end
      end
    end
    local out = {''}
    local live, busy, pending = 0, 0, {}
    for _, n in ipairs(graph) do
      if n.phase == phase then
        local s = st[n.id]
        if s == 'queued' then
          table.insert(out, n.id)
          table.insert(out, st[n.id .. '#a'] or '1')
          table.insert(out, st[n.id .. '#r'] or '0')
          live = live + 1
          busy = busy + 1
        elseif s == 'running' then
          live = live + 1
          busy = busy + 1
        elseif s == 'waiting' then
          live = live + 1
        elseif s == 'pending' then
          table.insert(pending, n.id)
        end
      end
    end
    if live == 0 and #pending > 0 then
      -- Nothing can make these ready any more (the validator refuses cycles; this is a safety net).
      for _, id in ipairs(pending) do setStep(stKey, eventsKey, maxlen, runId, now, id, 'skipped') end
    end
    if live > 0 then
      if rs == 'running' or rs == 'waiting' then
        redis.call('HSET', runKey, 'state', busy > 0 and 'running' or 'waiting')
      end
      return out
    end
    if phase ~= 'main' then
      out[1] = abort == 'cancelled' and 'cancelled' or (redis.call('HGET', runKey, 'outcome') or 'failed')
      return out
    end
    local outcome = 'succeeded'
    if abort == 'cancelled' then outcome = 'cancelled'
    elseif abort == 'timed_out' then outcome = 'timed_out'
    else
      for _, n in ipairs(graph) do
        if n.phase == 'main' and BAD[st[n.id] or ''] and not n.coe then outcome = 'failed' end
      end
    end
    local handlers = false
    for _, n in ipairs(graph) do if n.phase == 'on_failure' then handlers = true end end
    if handlers and (outcome == 'failed' or outcome == 'timed_out') then
      redis.call('HSET', runKey, 'phase', 'on_failure', 'outcome', outcome)
    else
      out[1] = outcome
      return out
    end
  end
  return {redis.call('HGET', runKey, 'outcome') or 'failed'}
end

-- Ends a run whose keys are KEYS[1..5] (finishRun, and finishStep when the last step ends it):
-- final state, outputs and run.finished; steps that never got their turn (on_failure steps of a
-- run that did not fail) end skipped; expiry of its keys after the retention (and of its shared
-- snapshot when no live run holds it any more); its concurrency lock released (lockKey and
-- lockQueue may be ''; the next run is promoted by the caller).
local function endRun(lockKey, lockQueue, runId, state, outputs, err, now, maxlen, retention)
  redis.call('HSET', KEYS[1], 'state', state, 'endedAt', now, 'outputs', outputs, 'error', err, 'phase', 'done')
  local flat = redis.call('HGETALL', KEYS[2])
  local st = {}
  for i = 1, #flat, 2 do st[flat[i]] = flat[i + 1] end
  for _, n in ipairs(runGraph(KEYS[1])) do
    if st[n.id] == 'pending' then setStep(KEYS[2], KEYS[5], maxlen, runId, now, n.id, 'skipped') end
  end
  local times = redis.call('HMGET', KEYS[1], 'startedAt', 'createdAt')
  local started = tonumber(times[1] or times[2] or now)
  local ev = {ts=now, runId=runId, type='run.finished', state=state, durationMs=now - started, outputs=cjson.decode(outputs)}
  if err ~= '' then ev.error = err end
  addEvent(KEYS[5], maxlen, cjson.encode(ev))
  for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], retention) end
  releaseSnapshot(KEYS[1], retention)
  if lockKey ~= '' and redis.call('GET', lockKey) == runId then redis.call('DEL', lockKey) end
  if lockQueue ~= '' then redis.call('ZREM', lockQueue, runId) end
end

-- Starts a run that holds whatever it needs: state running, run.started, first ready steps.
local function beginRun(runKey, stKey, eventsKey, runId, now, maxlen)
  redis.call('HSET', runKey, 'state', 'running', 'startedAt', now)
  redis.call('HDEL', runKey, 'queue')
  addEvent(eventsKey, maxlen, cjson.encode({ts=now, runId=runId, type='run.started'}))
  return advance(runKey, stKey, eventsKey, runId, now, maxlen)
end

-- HSET of a flat {field, value, ...} list, in slices (unpack has a stack limit).
local function hsetFlat(key, flat)
  for i = 1, #flat, 200 do
    redis.call('HSET', key, unpack(flat, i, math.min(i + 199, #flat)))
  end
end

local function prepend(tag, list)
  table.insert(list, 1, tag)
  return list
end

-- A lock is free when nobody holds it, or its holder ended or vanished without releasing it.
local function lockHolder(prefix, lockKey)
  local holder = redis.call('GET', lockKey)
  if not holder then return nil end
  local hs = redis.call('HGET', prefix .. ':run:' .. holder, 'state')
  if (not hs) or RUN_FINAL[hs] then return nil end
  return holder
end
`;
