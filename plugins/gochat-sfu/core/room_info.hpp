// What an operator is shown of the rooms (docs/plugin-api.md, Admin API):
// plain copies made under the registry's lock, so any thread may read them
// afterwards. Traffic figures are the media plane's, added by the adapter.
#pragma once

#include "plugins/gochat-sfu/core/effects.hpp"
#include "plugins/gochat-sfu/core/types.hpp"

#include <cstddef>
#include <string>

namespace gochat::sfu {

struct RoomInfo {
    ChannelId channel = 0;
    size_t participants = 0;
    size_t publishers = 0;  // participants publishing audio or video
    Millis createdAt = 0;   // the registry's clock
};

struct ParticipantInfo {
    SessionId session = 0;
    ChannelId channel = 0;
    UserId user = 0;
    GuildId guild = 0;  // 0 when the token named none
    int64_t perms = 0;  // the token's permission mask
    bool selfMuted = false;
    bool serverMuted = false;
    bool deafened = false;   // by a moderator or an operator
    bool speaking = false;   // as the room was last shown
    std::string audioCodec;  // empty: publishes no audio
    std::string videoCodec;  // empty: publishes no video
    Millis joinedAt = 0;     // the registry's clock
};

// Why an operator's action changed nothing.
enum class OperatorError {
    None,
    UnknownChannel,  // no room for the channel on this SFU (for an unblock: no block list either)
    UnknownUser,     // the user is not in the channel
    NotBlocked,      // an unblock of a user who is not on the channel's block list
};

struct OperatorResult {
    OperatorError error = OperatorError::None;
    Effects effects;  // what to carry out, as for a participant's request; empty when refused
};

}  // namespace gochat::sfu
