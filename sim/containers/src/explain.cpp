#include "ptv/containers/explain.hpp"

#include <unistd.h>

namespace ptv::containers {

void Explain::step(const std::string& line) const {
    if (fd_ < 0) return;
    const std::string whole = line + "\n";
    step_raw(whole.data(), whole.size());
}

void Explain::step_raw(const char* line_with_newline, size_t length) const {
    if (fd_ < 0) return;
    // One write per line: lines from the container's side and ours interleave
    // whole, never mid-line. A failed write loses only the explanation.
    [[maybe_unused]] ssize_t n = ::write(fd_, line_with_newline, length);
}

}  // namespace ptv::containers
