#include "ptv/threads/guest/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace ptv::threads::guest {

namespace {

std::string describe(const Event& e) {
    return fmt::format("U{} {}", e.thread, to_string(e.kind));
}

}  // namespace

std::string order_difference(const std::vector<Event>& predicted,
                             const std::vector<Event>& measured) {
    // Walk the prediction one tick at a time: the guest's next events must
    // be that tick's events, in any order.
    size_t at = 0;
    for (size_t i = 0; i < predicted.size();) {
        size_t end = i;
        while (end < predicted.size() && predicted[end].time == predicted[i].time) ++end;
        std::vector<std::pair<int, EventKind>> want, got;
        for (size_t k = i; k < end; ++k) want.emplace_back(predicted[k].thread, predicted[k].kind);
        for (size_t k = at; k < at + (end - i) && k < measured.size(); ++k)
            got.emplace_back(measured[k].thread, measured[k].kind);
        auto w = want, g = got;
        std::sort(w.begin(), w.end());
        std::sort(g.begin(), g.end());
        if (w != g) {
            // Name the first guest event that is not one of this tick's.
            for (size_t k = at; k < at + (end - i); ++k) {
                if (k >= measured.size())
                    return fmt::format(
                        "the guest's events end after {}; the simulator has {} "
                        "next (tick {})",
                        measured.size(), describe(predicted[i]), predicted[i].time);
                const auto it = std::find(w.begin(), w.end(),
                                          std::make_pair(measured[k].thread, measured[k].kind));
                if (it == w.end())
                    return fmt::format(
                        "event {} of the guest is {}; the simulator has {} at "
                        "tick {}",
                        k + 1, describe(measured[k]), describe(predicted[i]), predicted[i].time);
                w.erase(it);
            }
            return fmt::format("the guest's events at tick {} are not the simulator's",
                               predicted[i].time);
        }
        at += end - i;
        i = end;
    }
    if (measured.size() > predicted.size())
        return fmt::format("the guest has {} events, the simulator {}", measured.size(),
                           predicted.size());
    return "";
}

std::vector<ThreadTimes> thread_times(const std::vector<Event>& events, int threads,
                                      double time_per_tick) {
    std::vector<ThreadTimes> t(size_t(std::max(threads, 0)));
    for (const auto& e : events) {
        if (e.thread < 0 || e.thread >= threads) continue;
        auto& tt = t[size_t(e.thread)];
        if (e.kind == EventKind::Start && tt.start < 0) tt.start = double(e.time) / time_per_tick;
        if (e.kind == EventKind::Done) tt.done = double(e.time) / time_per_tick;
    }
    return t;
}

}  // namespace ptv::threads::guest
