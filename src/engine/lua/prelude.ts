/**
 * Lua shared by every engine script (prepended to each). Conventions:
 * - KEYS[1..5] are always the run's keys: run hash, :st, :steps, :appr, :events (see keys.ts).
 * - Timestamps are milliseconds passed in by the caller (one clock per call; Lua never asks Redis TIME,
 *   so scripts stay deterministic for replication).
 * - Event payloads are JSON in stream field `e`; anything user-visible was masked by the caller.
 * - Other runs' keys are built from the prefix (single Redis, not Redis Cluster: as BullMQ's own scripts do).
 * - A step's state changes only through moveStep/setStep (step-graph.ts), which keep the run's counters.
 */
import { RUN_PROGRESS } from './run-progress.js';
import { STEP_GRAPH } from './step-graph.js';

const BASE = `
local FINAL = {succeeded=true, failed=true, skipped=true, cancelled=true, timed_out=true, lost=true}
local RUN_FINAL = {succeeded=true, failed=true, cancelled=true, timed_out=true}
local BAD = {failed=true, timed_out=true, lost=true, cancelled=true}

local function addEvent(eventsKey, maxlen, ev)
  redis.call('XADD', eventsKey, 'MAXLEN', '~', maxlen, '*', 'e', ev)
end
`;

const HELPERS = `
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

export const PRELUDE = BASE + STEP_GRAPH + RUN_PROGRESS + HELPERS;
