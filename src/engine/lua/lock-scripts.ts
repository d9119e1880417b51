/** Scripts of concurrency locks: promotion of the next queued run, lease renewal. Conventions: scripts.ts. */
import type { ScriptDef } from './script-def.js';

/**
 * promote: gives a free concurrency lock to the first run queued for it that still waits; forgets
 * the key (locks set) when nobody holds or waits for it.
 * Not a run script: KEYS[1] lock key  KEYS[2] lock queue  KEYS[3] locks set. ARGV: prefix leaseMs lockName
 * Reply: {'held', holder} | {'free'} | {'promoted', runId}
 */
export const promote: ScriptDef = {
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
export const renew: ScriptDef = {
  keys: 1,
  lua: `
local holder = lockHolder(ARGV[1], KEYS[1])
if not holder then return {'free'} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {'renewed', holder, redis.call('HGET', ARGV[1] .. ':run:' .. holder, 'state')}
`,
};
