#include "ptv/common/progress.hpp"

#include <unistd.h>

#include <algorithm>

#include "ptv/common/clock.hpp"

namespace ptv {

ProgressBar::ProgressBar(std::FILE* out, bool enabled)
    : out_(out), active_(enabled && isatty(fileno(out))) {}

ProgressBar::~ProgressBar() {
    clear();
}

void ProgressBar::update(double fraction, const std::string& text) {
    if (!active_) return;
    uint64_t now = now_ns();
    if (drawn_ && now - last_ns_ < 100'000'000 && fraction < 1) return;
    last_ns_ = now;
    constexpr int kWidth = 30;
    int filled = int(std::clamp(fraction, 0.0, 1.0) * kWidth + 0.5);
    std::string bar(size_t(filled), '#');
    bar.append(size_t(kWidth - filled), '.');
    std::fprintf(out_, "\r\033[K[%s] %s", bar.c_str(), text.c_str());
    std::fflush(out_);
    drawn_ = true;
}

void ProgressBar::clear() {
    if (!active_ || !drawn_) return;
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
    drawn_ = false;
}

}  // namespace ptv
