// The VGA text console on the user's terminal (`--console vga`): the
// worker reads the 80x25 text buffer out of guest RAM at a steady rate and
// draws what changed with ANSI escapes. The guest's writes to the buffer
// cause no exit at all -- only its cursor updates through the CRT
// controller's ports do -- which is why a text screen is cheap to emulate
// and a PIT polled in a loop is not. With a trace, each changed screen is
// kept as a frame ("vga" "screen" events) for the visualizer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ptv/common/vga_screen.hpp"
#include "ptv/devices/vga_text.hpp"

namespace ptv::worker {

class VgaConsole {
  public:
    // How often the screen is redrawn: a text-mode monitor refreshes at
    // 70 Hz, a terminal is content with fewer.
    static constexpr std::chrono::milliseconds kRedrawPeriod{33};
    // Frames a trace keeps (about 4 KB here, 10 KB in the trace): minutes
    // of play.
    static constexpr size_t kMaxFrames = 4000;

    struct Frame {
        uint64_t t_ns;
        VgaScreen screen;
    };

    // Draws on `fd` (-1: nowhere; the frames and the final text are still
    // kept). `keep_frames`: the run is traced.
    VgaConsole(const devices::VgaText& vga, int fd, bool keep_frames);

    // Draws what changed since the last call; the whole screen the first
    // time. Called by one thread at a time.
    void draw(uint64_t t_ns);
    // The last draw, then the colours reset and the cursor below the
    // screen, for what the run prints next.
    void finish(uint64_t t_ns);

    const std::vector<Frame>& frames() const { return frames_; }
    uint64_t frames_dropped() const { return frames_dropped_; }
    uint64_t redraws() const { return redraws_; }
    // The screen as text (25 lines), as it was last drawn.
    std::vector<std::string> text() const;

  private:
    void write_all(const std::string& bytes) const;

    const devices::VgaText& vga_;
    int fd_;
    bool keep_frames_;
    std::optional<VgaScreen> last_;
    std::vector<Frame> frames_;
    uint64_t frames_dropped_ = 0;
    uint64_t redraws_ = 0;
};

}  // namespace ptv::worker
