-- One consuming GCRA decision (COLLAB-API §7.1), atomically.
-- KEYS[1]: the bucket. ARGV: now, interval, tolerance ((burst - 1) * interval),
-- all whole microseconds. Returns the TAT stored before this call (false: none);
-- the caller derives the decision and its headers from it with `Gcra::decide`,
-- which makes the same comparison.
--
-- Redis Lua is 5.1: every number is a double (exact below 2^53, about 285
-- years of microseconds), and tostring() prints large ones in exponent form,
-- so numbers go back to Redis through string.format('%.0f').
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])

local stored = tonumber(redis.call('GET', KEYS[1]))
-- Anything but a whole number of plausible size is no bucket (`nan` fails both).
if stored and not (stored > -9e15 and stored < 9e15) then
  stored = nil
end
if stored then
  stored = math.floor(stored)
end

local tat = now
if stored and stored > now then
  tat = stored
end

if now >= tat - tolerance then
  local new_tat = tat + interval
  -- The key lives until the bucket is full again, at least 1 ms.
  local ttl = math.max(1, math.ceil((new_tat - now) / 1000))
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', string.format('%.0f', ttl))
end

if stored then
  return string.format('%.0f', stored)
end
return false
