// Permissions: a token's bitmask turned into an immutable Grants value, and
// one pure function deciding every privileged action.
#pragma once

#include <cstdint>

namespace gochat::sfu {

enum class Permission { Connect, Speak, Video, MuteMembers, DeafenMembers, MoveMembers, Administrator };

// Bit numbers of each permission in the token's `perms` mask. Defaults follow
// the GoChat code that issues tokens (docs/voice-control.md, Permissions: 20, not 19).
struct PermissionBits {
    int connect = 20;
    int speak = 21;
    int video = 22;
    int muteMembers = 23;
    int deafenMembers = 24;
    int moveMembers = 25;
    int administrator = 26;

    int bitOf(Permission permission) const;
    // True when every bit is within 0..62 (an int64 mask).
    bool valid() const;
};

// What a participant may do for the life of its session.
class Grants {
public:
    Grants() = default;
    // `moved=true` tokens (a moderator moved the user here) also get Connect,
    // Speak and Video for this session (docs/voice-control.md, Permissions).
    static Grants fromToken(int64_t perms, bool moved, const PermissionBits& bits);

    // Administrator passes every check.
    bool allows(Permission permission) const;

private:
    explicit Grants(uint32_t held) : held_(held) {}
    static uint32_t flagOf(Permission permission) { return 1u << static_cast<unsigned>(permission); }
    uint32_t held_ = 0;
};

// The actions a client can ask for, each mapped to the permission it needs.
enum class Action { Join, PublishAudio, PublishVideo, ServerMute, ServerDeafen, Kick, Block, Move };

Permission permissionFor(Action action);
inline bool authorize(const Grants& grants, Action action) { return grants.allows(permissionFor(action)); }

}  // namespace gochat::sfu
