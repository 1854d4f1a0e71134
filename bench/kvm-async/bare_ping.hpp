// The limit for the doorbell-to-completion round trip: guests/pvdisk-ping
// on the same KVM with the least a host can do for it. The doorbell is an
// ioeventfd that one thread reads; that thread takes the request off the
// ring, fills the sector, puts the completion on the used ring, sets the
// guest's pending bit and writes an eventfd; the vCPU's thread, parked on
// that eventfd since the guest's `sti; hlt`, enters the guest again. No
// bus, no dispatcher, no strategy, no accounting, no checks (it trusts this
// one guest): whatever a dispatch strategy adds is the difference to this.
#pragma once

#include <cstdint>
#include <string>

namespace ptv::bench {

struct PingRun {
    uint64_t round_trips = 0;
    uint64_t run_ns = 0;  // from the first entry to the debug exit
    uint64_t waits = 0;   // HLTs that found nothing pending
};

// Boots pvdisk-ping (`image`) with command line N and runs it to its debug
// exit. Throws ptv::UsageError (no /dev/kvm, no ioeventfd, bad image) or
// std::runtime_error (an exit pvdisk-ping never makes).
PingRun run_bare_ping(const std::string& image, uint32_t n);

}  // namespace ptv::bench
