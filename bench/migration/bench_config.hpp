// What one bench-migration run measures: the programs it drives and the
// cases, one per (memory, working set, mode). Shared by the ptvlab side and
// the QEMU side, so both migrate the same guest the same way.
#pragma once

#include <cstdint>
#include <string>

#include "ptv/migration/protocol.hpp"

namespace ptv::bench {

// The three ways to move a running guest's memory, as ptv migrate live
// names them ("precopy", "stopcopy", "postcopy": --modes spells them so).
using migration::Mode;
using migration::mode_name;

struct Case {
    uint32_t memory_mib = 64;
    uint32_t wss_kib = 4096;  // counter's command line: the working set it rewrites
    Mode mode = Mode::PreCopy;
};

struct BenchConfig {
    std::string bin_dir;  // ptv is bin_dir/ptv
    std::string guest;    // guests/counter.bin
    std::string qemu;     // "" : QEMU left out
    // The pre-copy stop decision, the same for both: `ptv migrate live
    // --downtime-limit` and QEMU's downtime-limit (its default, 300 ms).
    uint32_t downtime_limit_ms = 300;
    // No throttle on loopback: QEMU 7.2's default max-bandwidth is
    // 128 MiB/s, far below what loopback carries.
    uint64_t qemu_max_bandwidth = uint64_t(1) << 40;  // bytes/s
};

}  // namespace ptv::bench
