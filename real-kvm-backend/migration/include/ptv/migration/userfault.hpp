// userfaultfd(2) over guest RAM, for post-copy: the destination runs the
// guest before its memory has arrived; a touch of a missing page (by the
// vCPU, or by KVM's own emulator reading guest memory) blocks the toucher
// and becomes a message here, answered by copying the page in (which wakes
// it). Hines & Gopalan's "demand paging" over the network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace ptv::migration {

class UserFault {
  public:
    // Registers [base, base+bytes) for missing-page faults.
    UserFault(uint8_t* base, size_t bytes);
    ~UserFault();  // unregisters and closes
    UserFault(const UserFault&) = delete;
    UserFault& operator=(const UserFault&) = delete;

    int fd() const { return fd_; }
    // The page number of the next fault, if one is queued (non-blocking).
    std::optional<uint64_t> next_fault();
    // Fills a missing page (and wakes whoever waits for it). False if it
    // was present already.
    bool copy(uint64_t page, const uint8_t* data);
    bool zero(uint64_t page);

  private:
    int fd_ = -1;
    uint8_t* base_;
    size_t bytes_;
};

}  // namespace ptv::migration
