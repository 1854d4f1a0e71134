// A live migration priced by the live-migration simulator (see
// migration_cost.hpp): the same pre-copy rounds `ptv migrate sim` computes.
#include "ptv/cluster/sim/migration_cost.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ptv/migration/sim/simulator.hpp"

namespace ptv::cluster::sim {

namespace ms = ptv::migration::sim;
using ptv::migration::kPageSize;

MigrationCost migration_cost(const Vm& vm) {
    MigrationCost cost;
    cost.memory_pages = vm.memory_mib * (1024 * 1024 / kPageSize);
    const uint64_t rate =
        vm.load > 0 ? uint64_t(std::llround(vm.load * double(kDirtyPagesPerCpu))) : 0;
    const uint64_t wws = cost.memory_pages / 16;
    cost.dirty = rate == 0 || wws == 0 ? "idle" : fmt::format("wws:{}:{}", wws, rate);
    if (cost.memory_pages == 0) return cost;  // nothing to send
    ms::Config c;
    c.memory_pages = cost.memory_pages;
    c.bandwidth = kLinkPagesPerSecond;
    c.dirty = cost.dirty;
    c.policy = ms::Policy::PreCopy;
    c.stop = "qemu";  // 300 ms downtime limit (QEMU's default), at most 30 rounds
    c.state_pages = 1;
    // The writable working set is rewritten in order: the seed plays no part.
    const ms::Result r = ms::simulate(c, 0);
    cost.rounds = uint32_t(r.rounds.size());
    cost.pages_sent = r.pages_sent;
    cost.bytes = r.pages_sent * kPageSize;
    cost.downtime_ms = ms::milliseconds(r.downtime, c.bandwidth);
    cost.total_ms = ms::milliseconds(r.total, c.bandwidth);
    return cost;
}

}  // namespace ptv::cluster::sim
