-- Deletes the lock only when it still holds this caller's owner token. A caller whose lock
-- expired and was taken by another process must not release the new holder's lock.
-- KEYS[1] = lock key, ARGV[1] = owner token. Returns 1 when released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
