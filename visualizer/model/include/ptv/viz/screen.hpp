// The VGA text console's frames in a trace: each instant event of category
// "vga" named "screen" carries a whole 80x25 screen in its args (the record
// of ptv/common/vga_screen.hpp, docs/DESIGN.md "The trace"). The screen
// view shows the frame at or before the time the timeline points at.
#pragma once

#include <string>
#include <vector>

#include "ptv/common/vga_screen.hpp"
#include "ptv/viz/model.hpp"

namespace ptv::viz {

struct ScreenFrame {
    double ts = 0;           // microseconds
    uint32_t event = kNone;  // index into TraceModel::events()
    VgaScreen screen;
};

struct ScreenFrames {
    std::vector<ScreenFrame> frames;  // by time (file order among equal times)
    // One line per record that is not a screen, e.g. "vga screen at 12.5 us:
    // vga screen record: text row 3 is longer than 80 characters"; such a
    // frame is left out.
    std::vector<std::string> rejected;
    size_t scanned = 0;  // how many of the model's events were looked at
};
ScreenFrames screen_frames(const TraceModel& m);
// Adds the frames among the events after f.scanned: a live model only
// grows, so each frame's record is decoded once however long the stream.
void add_screen_frames(ScreenFrames& f, const TraceModel& m);

// The frame on screen at ts: the last one at or before it; nullptr before
// the first (or when there is none).
const ScreenFrame* frame_at(const ScreenFrames& f, double ts);

}  // namespace ptv::viz
