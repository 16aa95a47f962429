#include "services/coach/redis_board_scripts.h"

namespace coachd {

namespace {

// Appends updates to a board (a coach's, or a person's own) and keeps its rows.
//   KEYS: clients (RedisCoachLinkStore), board, meta, rows, seen, ended.
//   ARGV: mode, person, epoch if the board has none, maxlen, ended memory,
//   then by mode:
//     'own': as 'batch', on a person's own board: no client check (its
//              clients key is any key of the slot, unread).
//     'batch': session, the commit's last session sequence, finished 1|0,
//              row, then pairs (update without its row, a LiveUpdate of only
//              the row): only while the person is a client. The two parts
//              concatenated are the whole update (protobuf merges them). A
//              commit not newer than the last one published for the session
//              (two replicas committed it back to back and the later one
//              published first) is appended without its rows, and the rows
//              stay: no update is lost and no row goes back in time.
//     'linked': quadruples (session or '', row's session sequence, row,
//              update): only while the person is a client.
//     'unlinked': update: drops the person's rows, always.
//   Returns {updates appended, the board's last sequence}.
constexpr char kBoardScript[] = R"lua(
local clients, board, meta, rows, seen, ended =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local mode, person = ARGV[1], ARGV[2]
local sep = string.char(0)
local out = {}
local function append(update) out[#out + 1] = update end
redis.call('HSETNX', meta, 'epoch', ARGV[3])
local linked = mode == 'own' or redis.call('HEXISTS', clients, person) == 1
if mode == 'batch' or mode == 'own' then
  if linked then
    local session = ARGV[6]
    local prev = tonumber(redis.call('HGET', seen, session) or '-1')
    local fresh = tonumber(ARGV[7]) > prev
    for i = 10, #ARGV, 2 do
      if fresh then append(ARGV[i] .. ARGV[i + 1]) else append(ARGV[i]) end
    end
    if fresh then
      redis.call('HSET', seen, session, ARGV[7])
      if ARGV[8] == '1' then
        redis.call('HDEL', rows, person .. sep .. session)
        redis.call('RPUSH', ended, session)
        while redis.call('LLEN', ended) > tonumber(ARGV[5]) do
          redis.call('HDEL', seen, redis.call('LPOP', ended))
        end
      else
        redis.call('HSET', rows, person .. sep .. session, ARGV[9])
      end
    end
  end
elseif mode == 'linked' then
  if linked then
    for i = 6, #ARGV, 4 do
      if ARGV[i] ~= '' then
        local prev = tonumber(redis.call('HGET', seen, ARGV[i]) or '-1')
        if tonumber(ARGV[i + 1]) >= prev then
          redis.call('HSET', seen, ARGV[i], ARGV[i + 1])
          redis.call('HSET', rows, person .. sep .. ARGV[i], ARGV[i + 2])
        end
      end
      append(ARGV[i + 3])
    end
  end
else
  local prefix = person .. sep
  for _, field in ipairs(redis.call('HKEYS', rows)) do
    if string.sub(field, 1, #prefix) == prefix then
      redis.call('HDEL', rows, field)
    end
  end
  append(ARGV[6])
end
-- One HINCRBY for the whole batch: its updates take the sequences up to it.
if #out == 0 then
  return {0, tonumber(redis.call('HGET', meta, 'seq') or '0')}
end
local last = redis.call('HINCRBY', meta, 'seq', #out)
for k, update in ipairs(out) do
  redis.call('XADD', board, 'MAXLEN', '~', ARGV[4],
             (last - #out + k) .. '-0', 'u', update)
end
return {#out, last}
)lua";

// A coach's board as it stands: {epoch, seq, rows of current clients...}.
//   KEYS: clients, meta, rows. ARGV: epoch if the board has none, '1' for a
//   person's own board (every row; clients unread).
constexpr char kLoadScript[] = R"lua(
redis.call('HSETNX', KEYS[2], 'epoch', ARGV[1])
local m = redis.call('HMGET', KEYS[2], 'epoch', 'seq')
local out = {m[1], m[2] or '0'}
local all = redis.call('HGETALL', KEYS[3])
local sep = string.char(0)
for i = 1, #all, 2 do
  local at = string.find(all[i], sep, 1, true)
  if at and (ARGV[2] == '1' or
             redis.call('HEXISTS', KEYS[1], string.sub(all[i], 1, at - 1)) == 1)
  then
    out[#out + 1] = all[i + 1]
  end
end
return out
)lua";

// A person's live sessions and last discomfort, after one commit.
//   KEYS: live, ended. ARGV: session, last session sequence, finished 1|0,
//   row, discomfort note ('' for none), ended memory.
//   Returns 1, or 0 for a commit not newer than one already written (which
//   only records its discomfort note, if any).
constexpr char kPersonScript[] = R"lua(
local live, ended, session = KEYS[1], KEYS[2], ARGV[1]
local prev = tonumber(redis.call('HGET', live, 'seq:' .. session) or '-1')
if tonumber(ARGV[2]) <= prev then
  if ARGV[5] ~= '' then redis.call('HSET', live, 'discomfort', ARGV[5]) end
  return 0
end
redis.call('HSET', live, 'seq:' .. session, ARGV[2])
if ARGV[3] == '1' then
  redis.call('HDEL', live, 'row:' .. session)
  redis.call('RPUSH', ended, session)
  while redis.call('LLEN', ended) > tonumber(ARGV[6]) do
    redis.call('HDEL', live, 'seq:' .. redis.call('LPOP', ended))
  end
else
  redis.call('HSET', live, 'row:' .. session, ARGV[4])
end
if ARGV[5] ~= '' then redis.call('HSET', live, 'discomfort', ARGV[5]) end
return 1
)lua";

}  // namespace

const RedisScript& BoardScript() {
  static const RedisScript& script = RedisScript::Of(kBoardScript);
  return script;
}
const RedisScript& LoadScript() {
  static const RedisScript& script = RedisScript::Of(kLoadScript);
  return script;
}
const RedisScript& PersonScript() {
  static const RedisScript& script = RedisScript::Of(kPersonScript);
  return script;
}

}  // namespace coachd
