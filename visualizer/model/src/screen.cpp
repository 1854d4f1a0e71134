#include "ptv/viz/screen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace ptv::viz {

ScreenFrames screen_frames(const TraceModel& m) {
    ScreenFrames out;
    add_screen_frames(out, m);
    return out;
}

void add_screen_frames(ScreenFrames& out, const TraceModel& m) {
    const auto cat = m.find("vga"), name = m.find("screen");
    const size_t from = out.scanned;
    out.scanned = m.events().size();
    if (!cat || !name) return;
    for (uint32_t i = uint32_t(from); i < m.events().size(); ++i) {
        const Event& e = m.events()[i];
        if (e.cat != *cat || e.name != *name || e.ph != Phase::Instant) continue;
        try {
            const auto args = nlohmann::json::parse(e.args.empty() ? "null" : e.args);
            out.frames.push_back({e.ts, i, screen_from_json(args)});
        } catch (const std::exception& ex) {
            // A record nlohmann cannot parse never got into the model, so
            // what is left is screen_from_json's own complaint.
            out.rejected.push_back(fmt::format("vga screen at {:.1f} us: {}", e.ts, ex.what()));
        }
    }
    const auto by_time = [](const ScreenFrame& a, const ScreenFrame& b) { return a.ts < b.ts; };
    if (!std::is_sorted(out.frames.begin(), out.frames.end(), by_time))
        std::stable_sort(out.frames.begin(), out.frames.end(), by_time);
}

const ScreenFrame* frame_at(const ScreenFrames& f, double ts) {
    const auto it = std::upper_bound(f.frames.begin(), f.frames.end(), ts,
                                     [](double t, const ScreenFrame& s) { return t < s.ts; });
    return it == f.frames.begin() ? nullptr : &*(it - 1);
}

}  // namespace ptv::viz
