// What one live migration of a VM costs in the cluster simulator: the
// live-migration simulator's pre-copy (sim/migration/sim, Clark et al.
// 2005) with QEMU's stop rule (300 ms downtime limit), over one link
// between two hosts.
//
// The VM's memory is memory_mib x 256 pages of 4 KiB; the link carries
// kLinkPagesPerSecond pages/s. A VM of load L (CPUs) rewrites a writable
// working set of 1/16 of its memory round-robin at L x kDirtyPagesPerCpu
// pages/s (rounded to whole pages/s; a VM of no load writes nothing):
// a busier VM dirties faster, needs more rounds and moves more bytes.
// The cost is every memory page pre-copy sends (all rounds and the
// stop-and-copy; the CPU state not counted) times 4096 bytes.
#pragma once

#include <cstdint>
#include <string>

#include "ptv/cluster/cluster.hpp"

namespace ptv::cluster::sim {

inline constexpr uint64_t kLinkPagesPerSecond = 25'000;  // 102.4 MB/s, about 1 Gbit/s
inline constexpr uint64_t kDirtyPagesPerCpu = 10'000;

struct MigrationCost {
    std::string dirty;  // the dirty model, in `ptv migrate sim --dirty` syntax
    uint64_t memory_pages = 0;
    uint32_t rounds = 0;      // pre-copy rounds
    uint64_t pages_sent = 0;  // memory pages, all rounds and the stop-and-copy
    uint64_t bytes = 0;       // pages_sent x 4096 (a VM of no memory: all 0)
    double downtime_ms = 0;
    double total_ms = 0;  // start until the VM runs on the destination
};

MigrationCost migration_cost(const Vm& vm);

}  // namespace ptv::cluster::sim
