/**
 * Lua that moves a run on (part of PRELUDE): which steps are ready, when a phase ends, the run's
 * outcome, its start and its end. advanceFrom is what a step's end costs: O(the steps that need
 * it), reading the run's counters for the rest (step-graph.ts); advance, the full pass over every
 * step, runs once per run (its start, an abort, the on_failure phase starting) and for repairs.
 */
export const RUN_PROGRESS = `
-- The current phase has nothing left: the run's outcome, or nil when the on_failure phase starts
-- now (the run failed or timed out and has failure handlers).
local function phaseOutcome(runKey, phase, abort, failed)
  if phase ~= 'main' then return abort == 'cancelled' and 'cancelled' or (redis.call('HGET', runKey, 'outcome') or 'failed') end
  local outcome = 'succeeded'
  if abort == 'cancelled' then outcome = 'cancelled'
  elseif abort == 'timed_out' then outcome = 'timed_out'
  elseif failed then outcome = 'failed' end
  if (outcome == 'failed' or outcome == 'timed_out') and (phaseSizes(runKey).on_failure or 0) > 0 then
    redis.call('HSET', runKey, 'phase', 'on_failure', 'outcome', outcome)
    return nil
  end
  return outcome
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
    local changed = true
    while changed do
      changed = false
      for _, n in ipairs(graph) do
        if n.phase == phase and st[n.id] == 'pending' then
          if aborting then
            st[n.id] = 'cancelled'
            setStep(runKey, stKey, eventsKey, maxlen, runId, now, n.id, 'cancelled')
            changed = true
          else
            local allFinal, allOk = true, true
            for _, need in ipairs(n.needs) do
              if not FINAL[st[need] or ''] then allFinal = false end
              if not needOk(byId[need], st[need] or '') then allOk = false end
            end
            if allFinal then
              local nx = (allOk or n.sf) and 'queued' or 'skipped'
              st[n.id] = nx
              setStep(runKey, stKey, eventsKey, maxlen, runId, now, n.id, nx)
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
      for _, id in ipairs(pending) do setStep(runKey, stKey, eventsKey, maxlen, runId, now, id, 'skipped') end
    end
    if live > 0 then
      if rs == 'running' or rs == 'waiting' then
        redis.call('HSET', runKey, 'state', busy > 0 and 'running' or 'waiting')
      end
      return out
    end
    local failed = false
    for _, n in ipairs(graph) do
      if n.phase == 'main' and BAD[st[n.id] or ''] and not n.coe then failed = true end
    end
    local done = phaseOutcome(runKey, phase, abort, failed)
    if done ~= nil then
      out[1] = done
      return out
    end
  end
  return {redis.call('HGET', runKey, 'outcome') or 'failed'}
end

-- The advance after one step ended (id), or after a change that ended none (id nil: a step parked):
-- only the steps that need it are looked at (and theirs, through steps skipped on the way); the
-- rest is read from the run's counters. The reply is advance()'s, but lists only the steps queued
-- by this call. Falls back to the full pass where one is due anyway: an abort still to apply to
-- pending steps, the on_failure phase starting, and advance()'s safety net.
local function advanceFrom(runKey, stKey, eventsKey, runId, now, maxlen, id)
  ensureCounters(runKey, stKey)
  local run = redis.call('HMGET', runKey, 'phase', 'abort', 'state')
  local phase, abort, rs = run[1], run[2] or '', run[3]
  local aborting = abort == 'cancelled' or (abort == 'timed_out' and phase == 'main')
  local c = counters(runKey, phase)
  if aborting and c.pend > 0 then return advance(runKey, stKey, eventsKey, runId, now, maxlen) end
  local out = {''}
  if id ~= nil and not aborting then
    local ended, k = {id}, 1
    while k <= #ended do
      local n = nodeOf(runKey, ended[k])
      k = k + 1
      for _, d in ipairs(n and n.dep or {}) do
        local dn = nodeOf(runKey, d)
        if dn and dn.phase == phase and redis.call('HGET', stKey, d) == 'pending' then
          local open, bad = openNeeds(runKey, stKey, d, dn)
          if open <= 0 then
            local nx = ((not bad) or dn.sf) and 'queued' or 'skipped'
            setStep(runKey, stKey, eventsKey, maxlen, runId, now, d, nx)
            if nx == 'queued' then
              local ar = redis.call('HMGET', stKey, d .. '#a', d .. '#r')
              table.insert(out, d)
              table.insert(out, ar[1] or '1')
              table.insert(out, ar[2] or '0')
            else
              table.insert(ended, d)
            end
          end
        end
      end
    end
    c = counters(runKey, phase)
  end
  if c.q + c.run + c.wait > 0 then
    if rs == 'running' or rs == 'waiting' then
      redis.call('HSET', runKey, 'state', c.q + c.run > 0 and 'running' or 'waiting')
    end
    return out
  end
  if c.pend > 0 then return advance(runKey, stKey, eventsKey, runId, now, maxlen) end
  local done = phaseOutcome(runKey, phase, abort, c.bad > 0)
  if done == nil then return advance(runKey, stKey, eventsKey, runId, now, maxlen) end
  out[1] = done
  return out
end

-- advance() for a caller that must learn every queued step again (a repair, a replayed step end):
-- the full pass only when some step of the phase is queued or pending.
local function advanceAll(runKey, stKey, eventsKey, runId, now, maxlen)
  ensureCounters(runKey, stKey)
  local c = counters(runKey, redis.call('HGET', runKey, 'phase') or 'main')
  if c.q == 0 and c.pend == 0 then return advanceFrom(runKey, stKey, eventsKey, runId, now, maxlen, nil) end
  return advance(runKey, stKey, eventsKey, runId, now, maxlen)
end

-- A run ended: one run fewer holds its shared snapshot; the last one lets it expire with the retention.
local function releaseSnapshot(runKey, retention)
  local key = snapshotKey(runKey)
  if not key then return end
  if redis.call('HINCRBY', key, 'live', -1) <= 0 then redis.call('PEXPIRE', key, retention) end
end

-- Ends a run whose keys are KEYS[1..5] (finishRun, and finishStep when the last step ends it):
-- final state, outputs and run.finished; steps that never got their turn (on_failure steps of a
-- run that did not fail) end skipped; expiry of its keys after the retention (and of its shared
-- snapshot when no live run holds it any more); its concurrency lock released (lockKey and
-- lockQueue may be ''; the next run is promoted by the caller).
local function endRun(lockKey, lockQueue, runId, state, outputs, err, now, maxlen, retention)
  redis.call('HSET', KEYS[1], 'state', state, 'endedAt', now, 'outputs', outputs, 'error', err, 'phase', 'done')
  ensureCounters(KEYS[1], KEYS[2])
  local pend = redis.call('HMGET', KEYS[1], 'c:main:pend', 'c:on_failure:pend')
  if tonumber(pend[1] or 0) + tonumber(pend[2] or 0) > 0 then
    local flat = redis.call('HGETALL', KEYS[2])
    local st = {}
    for i = 1, #flat, 2 do st[flat[i]] = flat[i + 1] end
    for _, n in ipairs(runGraph(KEYS[1])) do
      if st[n.id] == 'pending' then setStep(KEYS[1], KEYS[2], KEYS[5], maxlen, runId, now, n.id, 'skipped') end
    end
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
`;
