// The plugin's sessions, found by Janus handle (Janus callbacks) or by id
// (the core's SessionId). One per Janus handle, i.e. per PeerConnection.
//
// NOTE: a leaf lock guarding the two tables only; nothing is called while
// holding it (docs/architecture.md, Lock discipline).
#pragma once

#include "plugins/gochat-sfu/janus/janus_api.hpp"
#include "plugins/gochat-sfu/media/media_session.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace gochat::sfu {

class SessionTable {
public:
    std::shared_ptr<MediaSession> add(janus_plugin_session* handle, SpeakingThresholds speaking) {
        // Janus gives the plugin the first reference on the handle; it is
        // dropped with the last holder of the session, so a fan-out snapshot
        // still in use never sees a freed handle.
        std::shared_ptr<void> peer(
            handle, [](void* h) { janus_refcount_decrease(&static_cast<janus_plugin_session*>(h)->ref); });
        std::lock_guard<std::mutex> lock(mutex_);
        auto session = std::make_shared<MediaSession>(nextId_++, std::move(peer), speaking);
        byId_[session->id()] = session;
        byHandle_[handle] = session;
        return session;
    }
    // The session of a live handle (never one already destroyed).
    std::shared_ptr<MediaSession> byHandle(janus_plugin_session* handle) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = byHandle_.find(handle);
        if (found == byHandle_.end() || found->second->closed()) return nullptr;
        return found->second;
    }
    std::shared_ptr<MediaSession> byId(SessionId id) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = byId_.find(id);
        return found == byId_.end() ? nullptr : found->second;
    }
    // Takes the handle's session out of both tables.
    std::shared_ptr<MediaSession> remove(janus_plugin_session* handle) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = byHandle_.find(handle);
        if (found == byHandle_.end()) return nullptr;
        std::shared_ptr<MediaSession> session = std::move(found->second);
        byHandle_.erase(found);
        byId_.erase(session->id());
        return session;
    }
    std::vector<std::shared_ptr<MediaSession>> all() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::shared_ptr<MediaSession>> sessions;
        sessions.reserve(byId_.size());
        for (const auto& [id, session] : byId_) sessions.push_back(session);
        return sessions;
    }
    std::vector<std::shared_ptr<MediaSession>> clear() {
        std::vector<std::shared_ptr<MediaSession>> sessions = all();
        std::lock_guard<std::mutex> lock(mutex_);
        byHandle_.clear();
        byId_.clear();
        return sessions;
    }
    size_t size() {
        std::lock_guard<std::mutex> lock(mutex_);
        return byId_.size();
    }

private:
    std::mutex mutex_;
    std::unordered_map<janus_plugin_session*, std::shared_ptr<MediaSession>> byHandle_;
    std::unordered_map<SessionId, std::shared_ptr<MediaSession>> byId_;
    SessionId nextId_ = 1;
};

}  // namespace gochat::sfu
