// Seeded clusters and VM streams (see problem.hpp).
#include "ptv/cluster/sim/problem.hpp"

#include <fmt/format.h>

#include <initializer_list>

#include "ptv/common/error.hpp"
#include "ptv/common/rng.hpp"

namespace ptv::cluster::sim {

namespace {

template <typename T>
T pick(SplitMix64& rng, std::initializer_list<T> xs) {
    return *(xs.begin() + rng.below(xs.size()));
}

void check_count(const char* option, std::size_t n, std::size_t most) {
    if (n < 1 || n > most)
        throw UsageError(fmt::format("{} {} is out of range: use 1..{}", option, n, most));
}

}  // namespace

Config generate(uint64_t seed, std::optional<std::size_t> hosts, std::optional<std::size_t> vms) {
    SplitMix64 host_rng(seed ^ 0x686f737473000000ull);  // "hosts"
    SplitMix64 vm_rng(seed ^ 0x766d730000000000ull);    // "vms"
    // The counts are drawn even when given, so that the rest of each
    // stream does not depend on the options.
    const std::size_t drawn_hosts = 4 + host_rng.below(3);
    const std::size_t drawn_vms = 8 + vm_rng.below(9);
    const std::size_t n = hosts.value_or(drawn_hosts), m = vms.value_or(drawn_vms);
    check_count("--hosts", n, kMaxHosts);
    check_count("--vms", m, kMaxVms);
    Config c;
    for (std::size_t i = 0; i < n; ++i) {
        Host h;
        h.name = fmt::format("h{}", i + 1);
        h.memory_mib = pick<uint64_t>(host_rng, {8192, 12288, 16384});
        h.cpus = pick<double>(host_rng, {4, 8});
        c.hosts.push_back(h);
    }
    for (std::size_t i = 0; i < m; ++i) {
        VmSpec v;
        v.vm.name = fmt::format("vm{}", i + 1);
        v.vm.memory_mib = pick<uint64_t>(vm_rng, {512, 1024, 1024, 2048, 2048, 4096, 8192});
        // Quarters of a CPU: sums and shares stay exact in binary.
        v.vm.load = double(1 + vm_rng.below(8)) / 4;
        v.arrives = uint32_t(i);
        // One VM in four leaves 1..4 steps after it came (if the run lasts).
        if (vm_rng.below(4) == 0) {
            const uint32_t at = uint32_t(i + 1 + vm_rng.below(4));
            if (at < m) v.leaves = at;
        }
        c.vms.push_back(v);
    }
    return c;
}

}  // namespace ptv::cluster::sim
