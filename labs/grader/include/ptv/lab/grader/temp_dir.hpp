// A private directory under $TMPDIR (or /tmp), removed with everything in
// it when the owner goes: grading leaves no temporary files behind.
#pragma once

#include <string>

namespace ptv::lab {

class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "ptv-grade");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace ptv::lab
