// A one-line progress bar for long commands, drawn on a terminal only (a
// pipe or a file gets nothing, so output stays clean for scripts).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace ptv {

class ProgressBar {
  public:
    // Draws on `out` if `enabled` and `out` is a terminal.
    ProgressBar(std::FILE* out, bool enabled);
    ~ProgressBar();  // clears the line
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    // fraction in [0, 1]; `text` follows the bar. Redraws at most 10 times a
    // second.
    void update(double fraction, const std::string& text);
    void clear();
    bool active() const { return active_; }

  private:
    std::FILE* out_;
    bool active_;
    uint64_t last_ns_ = 0;
    bool drawn_ = false;
};

}  // namespace ptv
