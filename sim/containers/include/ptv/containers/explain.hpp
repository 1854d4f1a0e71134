// `--explain`: each step of starting a container, one line as it is taken,
// in the lecture's words (namespaces, union file system, control groups).
// A line goes out with one write() on a file descriptor, so the container's
// side can print its steps between clone() and exec() without stdio.
#pragma once

#include <string>

namespace ptv::containers {

class Explain {
  public:
    Explain() = default;  // silent
    explicit Explain(int fd) : fd_(fd) {}

    bool on() const { return fd_ >= 0; }
    // Writes "line\n" (nothing when silent).
    void step(const std::string& line) const;
    // The same for a line formatted beforehand (async-signal-safe).
    void step_raw(const char* line_with_newline, size_t length) const;

  private:
    int fd_ = -1;
};

}  // namespace ptv::containers
