#include "plugins/gochat-sfu/core/permissions.hpp"

#include <initializer_list>

namespace gochat::sfu {

int PermissionBits::bitOf(Permission permission) const {
    switch (permission) {
        case Permission::Connect: return connect;
        case Permission::Speak: return speak;
        case Permission::Video: return video;
        case Permission::MuteMembers: return muteMembers;
        case Permission::DeafenMembers: return deafenMembers;
        case Permission::MoveMembers: return moveMembers;
        case Permission::Administrator: return administrator;
    }
    return -1;
}

bool PermissionBits::valid() const {
    for (int bit : {connect, speak, video, muteMembers, deafenMembers, moveMembers, administrator})
        if (bit < 0 || bit > 62) return false;
    return true;
}

Grants Grants::fromToken(int64_t perms, bool moved, const PermissionBits& bits) {
    uint32_t held = 0;
    for (Permission p : {Permission::Connect, Permission::Speak, Permission::Video, Permission::MuteMembers,
                         Permission::DeafenMembers, Permission::MoveMembers, Permission::Administrator}) {
        const int bit = bits.bitOf(p);
        if (bit >= 0 && bit <= 62 && (static_cast<uint64_t>(perms) >> bit) & 1u) held |= flagOf(p);
    }
    if (moved) held |= flagOf(Permission::Connect) | flagOf(Permission::Speak) | flagOf(Permission::Video);
    return Grants(held);
}

bool Grants::allows(Permission permission) const {
    return (held_ & flagOf(Permission::Administrator)) || (held_ & flagOf(permission));
}

Permission permissionFor(Action action) {
    switch (action) {
        case Action::Join: return Permission::Connect;
        case Action::PublishAudio: return Permission::Speak;
        case Action::PublishVideo: return Permission::Video;
        case Action::ServerMute: return Permission::MuteMembers;
        case Action::ServerDeafen: return Permission::DeafenMembers;
        case Action::Kick:
        case Action::Block:
        case Action::Move: return Permission::MoveMembers;
    }
    return Permission::Administrator;
}

}  // namespace gochat::sfu
