// Vocabulary shared by the whole core. The core knows nothing of Janus:
// a participant is named by the SessionId the adapter gave its handle.
#pragma once

#include <cstdint>
#include <string>

namespace gochat::sfu {

using UserId = int64_t;      // GoChat snowflake: always int64, never a double
using ChannelId = int64_t;   // one room per voice channel
using GuildId = int64_t;     // informational, from the token
using SessionId = uint64_t;  // one per Janus handle (one per PeerConnection)
using Millis = int64_t;      // monotonic milliseconds from the adapter's clock

enum class MediaKind { Audio, Video };

// Direction of an m-line. In an offer plan it is the server's view; in an
// answer summary it is the client's view, as written in its SDP.
enum class Direction { Inactive, SendOnly, RecvOnly, SendRecv };

inline bool sends(Direction d) { return d == Direction::SendOnly || d == Direction::SendRecv; }
inline bool receives(Direction d) { return d == Direction::RecvOnly || d == Direction::SendRecv; }

inline const char* kindName(MediaKind kind) { return kind == MediaKind::Audio ? "audio" : "video"; }

// The MSID stream id of everything a user publishes: browsers map
// event.streams[0].id back to the speaking user with it (docs/protocol.md, Negotiation).
inline std::string streamIdOf(UserId user) { return "user-" + std::to_string(user); }

}  // namespace gochat::sfu
