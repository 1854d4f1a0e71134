// A private temporary directory for one migration: the two QMP sockets and
// the two serial logs. Gone when the object is, and also when Ctrl-C or a
// TERM ends the benchmark (docs/DESIGN.md: no stray socket or temp file). The
// QEMUs need no such care: they die with the benchmark (child.hpp).
#pragma once

#include <string>

namespace ptv::bench {

class TempDir {
  public:
    // Creates ${TMPDIR:-/tmp}/PREFIX-XXXXXX (mode 0700).
    explicit TempDir(const std::string& prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    // PATH/NAME, remembered so the signal handler can remove it too.
    std::string file(const std::string& name);

  private:
    std::string path_;
};

// SIGINT, SIGTERM and SIGHUP remove the current temp dir's files and the
// dir itself, then end the benchmark as the signal would have.
void remove_temp_dir_on_signal();

}  // namespace ptv::bench
