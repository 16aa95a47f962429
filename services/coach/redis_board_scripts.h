// The Lua scripts of RedisCoachBoard (see redis_coach_board.h for the keys):
// each runs atomically in one slot, so that a board's sequence, its stream
// and its rows never disagree. Their arguments are documented in
// redis_board_scripts.cc, beside their source.
//
//   RedisScript::Run(&conn, {&BoardScript()},
//                    {BoardScript().Call(keys, argv)});
#ifndef SERVICES_COACH_REDIS_BOARD_SCRIPTS_H_
#define SERVICES_COACH_REDIS_BOARD_SCRIPTS_H_

#include "services/redis/redis_script.h"

namespace coachd {

// Appends a commit's updates (or a link change) to one board, a coach's or a
// person's own, and keeps its rows. Lives for the whole process.
const RedisScript& BoardScript();

// Reads a board as it stands: epoch, sequence and rows.
const RedisScript& LoadScript();

// Keeps a person's live sessions and last discomfort after one commit.
const RedisScript& PersonScript();

}  // namespace coachd

#endif  // SERVICES_COACH_REDIS_BOARD_SCRIPTS_H_
