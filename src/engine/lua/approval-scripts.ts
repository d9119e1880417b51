/** Scripts of approvals: one decision recorded and counted, and the claim of approvals due to expire. Conventions: scripts.ts. */
import type { ScriptDef } from './script-def.js';

/**
 * decide: records one approval decision, once per person, and settles the outcome. A person is
 * `person:NAME` for an account policy's people: maps, else the account itself: the same person
 * deciding through Slack and the terminal decides once, and never for a run they requested.
 * ARGV: runId stepId user rolesJSON decision(approve|deny|expire) now maxlen person requesterPerson
 * (the last two may be '': then the user and the run's requester stand for themselves)
 * Reply: {counted '1'|'0', reason, approvalJSON, stepState}  |  {'not-approval'}
 */
export const decide: ScriptDef = {
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
local person = ARGV[8]
if person == nil or person == '' then person = user end
local function personOf(x) return x.person or x.user end
for _, d in ipairs(cur.decisions) do
  if d.user == user then return reply(false, user .. ' already decided (' .. d.decision .. ')') end
  if personOf(d) == person then return reply(false, person .. ' already decided (' .. d.decision .. ' as ' .. d.user .. ')') end
end
local meta = cjson.decode(redis.call('HGET', KEYS[1], 'meta'))
local requesterPerson = ARGV[9]
if requesterPerson == nil or requesterPerson == '' then requesterPerson = meta.trigger.requester end
local d = {user=user, person=person, decision=decision, at=now, counted=false}
local wanted = cur.roles or {}
local anyRole = #wanted == 0
local userRoles = {}
for _, r in ipairs(cjson.decode(ARGV[4])) do userRoles[r] = true end
for _, r in ipairs(wanted) do if r == '*' or userRoles[r] then anyRole = true end end
if user == meta.trigger.requester or person == requesterPerson then
  d.reason = 'the requester of a run cannot decide its approval' .. (user ~= meta.trigger.requester and (' (' .. user .. ' and ' .. meta.trigger.requester .. ' are both ' .. person .. ')') or '')
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
    local n, seen = 0, {}
    for _, x in ipairs(cur.decisions) do
      if x.counted and x.decision == 'approve' and not seen[personOf(x)] then seen[personOf(x)] = true; n = n + 1 end
    end
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
 * claimDue: hands the approvals due to expire to one sweeping worker. Claimed entries are pushed
 * a lease into the future instead of removed, so a worker that dies mid-expiry leaves them to be
 * claimed again after the lease; the claimer removes each entry once its expiry is done.
 * KEYS[1] expiry zset. ARGV: now leaseMs limit
 * Reply: the claimed members
 */
export const claimDue: ScriptDef = {
  keys: 1,
  lua: `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', until_, m) end
return due
`,
};
