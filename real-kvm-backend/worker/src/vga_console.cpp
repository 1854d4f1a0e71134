#include "ptv/worker/vga_console.hpp"

#include <sstream>

#include "console_write.hpp"
#include "ptv/devices/vga_ansi.hpp"

namespace ptv::worker {

VgaConsole::VgaConsole(const devices::VgaText& vga, int fd, bool keep_frames)
    : vga_(vga), fd_(fd), keep_frames_(keep_frames) {}

void VgaConsole::write_all(const std::string& bytes) const {
    if (fd_ >= 0) write_to_console(fd_, bytes);
}

void VgaConsole::draw(uint64_t t_ns) {
    VgaScreen now = vga_.capture();
    if (last_ && now == *last_) return;
    if (!last_) write_all("\x1b[2J");  // a clean terminal under the first frame
    write_all(devices::render_ansi(now, last_ ? &*last_ : nullptr));
    ++redraws_;
    if (keep_frames_) {
        if (frames_.size() < kMaxFrames)
            frames_.push_back({t_ns, now});
        else
            ++frames_dropped_;
    }
    last_ = std::move(now);
}

void VgaConsole::finish(uint64_t t_ns) {
    draw(t_ns);
    // Below the 25 rows, plain colours, the terminal's cursor back on.
    write_all("\x1b[0m\x1b[26;1H\x1b[?25h\n");
}

std::vector<std::string> VgaConsole::text() const {
    std::vector<std::string> lines;
    if (!last_) return lines;
    std::istringstream in(screen_text(*last_));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace ptv::worker
