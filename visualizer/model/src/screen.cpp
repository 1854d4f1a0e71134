#include "ptv/viz/screen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace ptv::viz {

ScreenFrames screen_frames(const TraceModel& m) {
    ScreenFrames out;
    const auto name = m.find("screen");
    if (!name) return out;
    for (uint32_t i : m.events_of("vga")) {
        const Event& e = m.events()[i];
        if (e.name != *name) continue;
        try {
            const auto args = nlohmann::json::parse(e.args.empty() ? "null" : e.args);
            out.frames.push_back({e.ts, i, screen_from_json(args)});
        } catch (const std::exception& ex) {
            // A record nlohmann cannot parse never got into the model, so
            // what is left is screen_from_json's own complaint.
            out.rejected.push_back(fmt::format("vga screen at {:.1f} us: {}", e.ts, ex.what()));
        }
    }
    std::stable_sort(out.frames.begin(), out.frames.end(),
                     [](const ScreenFrame& a, const ScreenFrame& b) { return a.ts < b.ts; });
    return out;
}

const ScreenFrame* frame_at(const ScreenFrames& f, double ts) {
    const auto it = std::upper_bound(f.frames.begin(), f.frames.end(), ts,
                                     [](double t, const ScreenFrame& s) { return t < s.ts; });
    return it == f.frames.begin() ? nullptr : &*(it - 1);
}

}  // namespace ptv::viz
