#include "plugins/gochat-sfu/core/audio_bitrate_judge.hpp"

#include <unordered_set>

namespace gochat::sfu {

std::vector<AudioBitrateJudge::Verdict> AudioBitrateJudge::judge(const std::vector<Reading>& readings, Millis now) {
    std::vector<Verdict> verdicts;
    std::unordered_set<SessionId> present;
    for (const Reading& reading : readings) {
        present.insert(reading.session);
        auto found = windows_.find(reading.session);
        if (found == windows_.end()) {
            if (reading.totalBytes > 0) windows_.emplace(reading.session, Window{reading.totalBytes, now, 0});
            continue;
        }
        Window& window = found->second;
        const Millis elapsed = now - window.startAt;
        if (elapsed < kWindowMs) continue;
        // A counter never goes back; if it did, nothing is known of this window.
        const uint64_t bytes = reading.totalBytes >= window.startBytes ? reading.totalBytes - window.startBytes : 0;
        const int64_t measured = static_cast<int64_t>(bytes * 8 * 1000 / static_cast<uint64_t>(elapsed));
        window.startBytes = reading.totalBytes;
        window.startAt = now;
        if (measured <= limitBps_) {
            window.over = 0;
            continue;
        }
        window.over += 1;
        const bool remove = window.over >= kWindowsToRemove;
        verdicts.push_back(Verdict{reading.session, measured, window.over, remove});
        if (remove) windows_.erase(found);
    }
    for (auto it = windows_.begin(); it != windows_.end();)
        it = present.count(it->first) ? std::next(it) : windows_.erase(it);
    return verdicts;
}

}  // namespace gochat::sfu
