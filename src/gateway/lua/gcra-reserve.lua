-- GCRA reservation, atomic for every process sharing this Redis.
-- Why a script and not rate-limiter-flexible: its Redis limiters count fixed windows, which can
-- let through twice the rate across a window edge; GCRA spaces requests evenly with a small burst.
--
-- KEYS[1] theoretical arrival time (ms)   KEYS[2] paused-until (ms)   KEYS[3] sends per second slot prefix
-- KEYS[4] degraded-until (ms): set by a process coming back from its Redis fallback
-- ARGV[1] now (ms)   ARGV[2] interval (ms per request)   ARGV[3] burst tolerance (ms)   ARGV[4] max wait (ms)
-- ARGV[5] process count
-- While degraded, other processes may still be sending their fallback share (budget / process
-- count) outside this bucket, so the shared bucket also shrinks to one share: the sum stays in budget.
-- Returns { granted (1|0), wait ms, sends in the previous second slot, sends in this slot }.
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local maxWait = tonumber(ARGV[4])
local degraded = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
if now < degraded then
  interval = interval * tonumber(ARGV[5])
  tau = 0
end

local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local paused = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local sendAt = math.max(now, tat - tau, paused)
local wait = sendAt - now
local slot = math.floor(sendAt / 1000)
if wait > maxWait then
  return { 0, math.floor(wait), 0, 0 }
end
local newTat = math.max(tat, sendAt) + interval
redis.call('SET', KEYS[1], tostring(newTat), 'PX', math.ceil(newTat - now + 60000))
local cur = redis.call('INCR', KEYS[3] .. slot)
redis.call('PEXPIRE', KEYS[3] .. slot, 5000)
local prev = tonumber(redis.call('GET', KEYS[3] .. (slot - 1)) or '0') or 0
return { 1, math.floor(wait), prev, cur }
