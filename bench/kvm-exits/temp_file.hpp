// The trace file of the tracing-on runs: a temporary file that is gone when
// the benchmark ends, also when Ctrl-C or a TERM ends it (docs/DESIGN.md: no
// stray temp file). Children need no such care: see child.hpp.
#pragma once

#include <string>

namespace ptv::bench {

class TempFile {
  public:
    // Creates ${TMPDIR:-/tmp}/PREFIX-XXXXXX.SUFFIX, empty.
    TempFile(const std::string& prefix, const std::string& suffix);
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// SIGINT, SIGTERM and SIGHUP remove the current temp file, then end the
// benchmark as the signal would have.
void remove_temp_file_on_signal();

}  // namespace ptv::bench
