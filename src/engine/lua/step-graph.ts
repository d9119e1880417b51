/**
 * Lua for a step's place in its run (part of PRELUDE): the snapshot's per-node fields, the run's
 * step counters and the one function every step state change goes through. Together they let a
 * step's end cost O(its dependents), not O(the workflow's steps): nothing here reads every step,
 * except once per snapshot (its node index) and once per run started before the counters existed.
 */
export const STEP_GRAPH = `
-- HSET of a flat {field, value, ...} list, in slices (unpack has a stack limit).
local function hsetFlat(key, flat)
  for i = 1, #flat, 200 do
    redis.call('HSET', key, unpack(flat, i, math.min(i + 199, #flat)))
  end
end

-- The run's dependency graph, from its shared snapshot P:wf:SHA (field wf of the run hash). Read
-- and decoded once per script call (a snapshot never changes). Only whole-run passes decode it
-- (a start, an abort, a repair, a run's end, a phase change); a step's own work reads its node.
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

-- The snapshot's node index: n:<id> = the step's graph node plus dep (the steps that need it), and
-- nodes = {main=count, on_failure=count}. Written once per snapshot: by create, or here for a
-- snapshot written before the index existed.
local indexed = {}
local function ensureNodes(snapKey)
  if indexed[snapKey] then return end
  indexed[snapKey] = true
  if redis.call('HEXISTS', snapKey, 'nodes') == 1 then return end
  local graph = cjson.decode(redis.call('HGET', snapKey, 'graph'))
  local dep, counts, flat = {}, {main=0, on_failure=0}, {}
  for _, n in ipairs(graph) do dep[n.id] = {} end
  for _, n in ipairs(graph) do
    for _, need in ipairs(n.needs) do if dep[need] then table.insert(dep[need], n.id) end end
  end
  for _, n in ipairs(graph) do
    counts[n.phase] = (counts[n.phase] or 0) + 1
    table.insert(flat, 'n:' .. n.id)
    table.insert(flat, cjson.encode({phase=n.phase, needs=n.needs, coe=n.coe, sf=n.sf, cond=n.cond, dep=dep[n.id]}))
  end
  hsetFlat(snapKey, flat)
  redis.call('HSET', snapKey, 'nodes', cjson.encode(counts))
end

-- One step's node (false when the run's snapshot has no such step).
local nodeCache = {}
local function nodeOf(runKey, id)
  local key = runKey .. ' ' .. id
  if nodeCache[key] == nil then
    local sk = snapshotKey(runKey)
    local raw = false
    if sk then
      ensureNodes(sk)
      raw = redis.call('HGET', sk, 'n:' .. id)
    end
    nodeCache[key] = raw and cjson.decode(raw) or false
  end
  return nodeCache[key]
end

-- The steps of each phase in the run's snapshot: {main=count, on_failure=count}.
local function phaseSizes(runKey)
  local sk = snapshotKey(runKey)
  ensureNodes(sk)
  return cjson.decode(redis.call('HGET', sk, 'nodes'))
end

-- The run's step counters, in its hash: c:<phase>:<class> counts the phase's steps by class (pend,
-- q queued, run running, wait waiting) and c:bad the main steps that ended badly without
-- continue_on_error, so a step's end tells how the run stands without reading every step.
-- c:v marks them present; a run started before they existed is counted here once.
local CLASS = {pending='pend', queued='q', running='run', waiting='wait'}
local COUNTERS = {'c:main:pend', 'c:main:q', 'c:main:run', 'c:main:wait', 'c:on_failure:pend', 'c:on_failure:q', 'c:on_failure:run', 'c:on_failure:wait', 'c:bad'}
-- Only the counters that are not 0 are written (c:v always): a missing one reads as 0 and HINCRBY
-- creates it. The run hash is a hashtable (its meta is longer than a listpack value), where each
-- field costs some 70 bytes: ten fields written at start were 0.7 KiB per parked run.
local function setCounters(runKey, c)
  local out = {'c:v', '1'}
  for _, k in ipairs(COUNTERS) do
    if (c[k] or 0) ~= 0 then table.insert(out, k); table.insert(out, c[k]) end
  end
  redis.call('HSET', runKey, unpack(out))
end
local counted = {}
local function ensureCounters(runKey, stKey)
  if counted[runKey] then return end
  counted[runKey] = true
  if redis.call('HEXISTS', runKey, 'c:v') == 1 then return end
  local flat = redis.call('HGETALL', stKey)
  local st = {}
  for i = 1, #flat, 2 do st[flat[i]] = flat[i + 1] end
  local c = {}
  for _, k in ipairs(COUNTERS) do c[k] = 0 end
  for _, n in ipairs(runGraph(runKey)) do
    local s = st[n.id] or ''
    local k = CLASS[s] and ('c:' .. n.phase .. ':' .. CLASS[s])
    if k and c[k] then c[k] = c[k] + 1 end
    if n.phase == 'main' and BAD[s] and not n.coe then c['c:bad'] = c['c:bad'] + 1 end
  end
  setCounters(runKey, c)
end
local function counters(runKey, phase)
  local c = redis.call('HMGET', runKey, 'c:' .. phase .. ':pend', 'c:' .. phase .. ':q', 'c:' .. phase .. ':run', 'c:' .. phase .. ':wait', 'c:bad')
  return {pend=tonumber(c[1] or 0), q=tonumber(c[2] or 0), run=tonumber(c[3] or 0), wait=tonumber(c[4] or 0), bad=tonumber(c[5] or 0)}
end
local function countStep(runKey, n, state, by)
  local c = CLASS[state]
  if c then redis.call('HINCRBY', runKey, 'c:' .. n.phase .. ':' .. c, by) end
  if n.phase == 'main' and BAD[state] and not n.coe then redis.call('HINCRBY', runKey, 'c:bad', by) end
end

-- Whether a need that ended in this state lets the steps that need it run (GitHub Actions semantics).
local function needOk(n, state)
  return state == 'succeeded' or (n and n.coe and BAD[state] ~= nil) or false
end

-- Every change of a step's state goes through here: the run's counters follow it, and a step that
-- ends counts down the open needs of the steps that need it (<dep>#n in :st, present once that
-- step was looked at; <dep>#x = 1 once one of its needs ended without succeeding).
local function moveStep(runKey, stKey, id, state)
  ensureCounters(runKey, stKey)
  local old = redis.call('HGET', stKey, id) or ''
  redis.call('HSET', stKey, id, state)
  if old == state then return end
  local n = nodeOf(runKey, id)
  if not n then return end
  countStep(runKey, n, old, -1)
  countStep(runKey, n, state, 1)
  if FINAL[state] and not FINAL[old] then
    local bad = not needOk(n, state)
    for _, d in ipairs(n.dep) do
      local left = redis.call('HGET', stKey, d .. '#n')
      if left then redis.call('HSET', stKey, d .. '#n', tonumber(left) - 1) end
      if bad then redis.call('HSET', stKey, d .. '#x', '1') end
    end
  end
end

-- A step's new state, with step.finished when it is final (the caller records real ends itself).
local function setStep(runKey, stKey, eventsKey, maxlen, runId, now, id, state)
  moveStep(runKey, stKey, id, state)
  if FINAL[state] then
    addEvent(eventsKey, maxlen, cjson.encode({ts=now, runId=runId, type='step.finished', step=id, state=state, durationMs=0, outputs={}}))
  end
end

-- How many of a step's needs are not final yet, and whether one ended without succeeding: counted
-- from its needs the first time it is asked (O(its needs), once), then kept by moveStep.
local function openNeeds(runKey, stKey, id, n)
  local left = redis.call('HGET', stKey, id .. '#n')
  if left then return tonumber(left), redis.call('HEXISTS', stKey, id .. '#x') == 1 end
  local open, bad = 0, false
  for _, need in ipairs(n.needs) do
    local s = redis.call('HGET', stKey, need) or ''
    if not FINAL[s] then open = open + 1
    elseif not needOk(nodeOf(runKey, need), s) then bad = true end
  end
  redis.call('HSET', stKey, id .. '#n', open)
  if bad then redis.call('HSET', stKey, id .. '#x', '1') end
  return open, bad
end
`;
