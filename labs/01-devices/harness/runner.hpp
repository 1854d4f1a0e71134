// Runs disk-ata or disk-pv with the student's device plugged in, on the
// CPU model's VMX technique (substrate model: the sim/vmm run path) or on
// KVM in this process (substrate kvm: the worker's VirtualMachine and
// VcpuLoop), and reports what came out: the outcome, the serial output and
// the exits on each of the device's ports.
#pragma once

#include <cstdint>
#include <string>

#include "ptv/lab/devices/disk.hpp"
#include "ptv/lab/harness.hpp"
#include "script.hpp"

namespace ptv::lab::devices {

struct Observed {
    std::string outcome;  // common/outcome.hpp's name: "guest-exit", "device-error", ...
    int status = 0;
    std::string message;
    std::string serial;
    ExitTable exits;  // the lab device's ports, as the guest reached them
    uint64_t total_exits = 0;
};

// RAM of the guests in this lab, MiB.
inline constexpr uint32_t kGuestMemoryMib = 32;

// Boots the guest of `which` with `script` as its command line; `disk` is
// the device's disk (changed by the run). Throws NeedsKvm for substrate kvm
// where /dev/kvm cannot be opened, Failure when the device claims other
// ports than its own.
Observed run_guest(Context& ctx, Which which, const Script& script, Disk& disk);

}  // namespace ptv::lab::devices
