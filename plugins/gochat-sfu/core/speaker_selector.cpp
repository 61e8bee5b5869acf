#include "plugins/gochat-sfu/core/speaker_selector.hpp"

#include <algorithm>

namespace gochat::sfu {

// Each publisher's score is its loudest level within the hold (a peak
// hold that restarts from the current level once it expires), plus the
// margin while it is forwarded. The K best scores are forwarded; ties keep
// whoever is forwarded, then the lower session id, so a round with nothing
// new changes nothing (docs/voice-control.md, Forwarding the loudest speakers).
std::vector<SessionId> SpeakerSelector::select(const std::vector<Candidate>& candidates, Millis now) {
    ++round_;
    ranking_.clear();
    for (const Candidate& candidate : candidates) {
        auto [entry, fresh] = states_.try_emplace(candidate.session);
        State& state = entry->second;
        if (fresh) {
            state.session = candidate.session;
            state.heldAt = now;
        }
        if (state.round == round_) continue;  // listed twice
        state.round = round_;
        if (candidate.peak >= state.held || now - state.heldAt >= settings_.hold) {
            state.held = candidate.peak;
            state.heldAt = now;
        }
        ranking_.push_back(&state);
    }
    for (auto it = states_.begin(); it != states_.end();)
        it = it->second.round == round_ ? std::next(it) : states_.erase(it);  // no longer a candidate

    const size_t limit = settings_.limit > 0 ? static_cast<size_t>(settings_.limit) : ranking_.size();
    const auto score = [this](const State* s) { return s->held + (s->selected ? settings_.marginDb : 0); };
    std::sort(ranking_.begin(), ranking_.end(), [&](const State* a, const State* b) {
        if (score(a) != score(b)) return score(a) > score(b);
        if (a->selected != b->selected) return a->selected;
        return a->session < b->session;
    });
    std::vector<SessionId> chosen;
    chosen.reserve(std::min(limit, ranking_.size()));
    for (size_t i = 0; i < ranking_.size(); ++i) {
        ranking_[i]->selected = i < limit;
        if (ranking_[i]->selected) chosen.push_back(ranking_[i]->session);
    }
    return chosen;
}

}  // namespace gochat::sfu
