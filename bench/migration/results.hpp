// What bench-migration measured, in numbers: one row per case, a ptvlab
// side and a QEMU side, each the median of its trials. Both renderings
// (report.hpp) read only this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_config.hpp"
#include "ptv_migration.hpp"
#include "qemu_migration.hpp"

namespace ptv::bench {

// One side of a row: medians over the trials that succeeded.
struct Side {
    std::string status;  // "" when every trial succeeded, else why not (first failure)
    unsigned trials_ok = 0;
    double downtime_ms = 0, total_ms = 0;
    double bytes = 0;               // sent over the connection
    double rounds = 0;              // pre-copy rounds
    std::optional<bool> continued;  // QEMU: the destination went on counting
    std::vector<double> downtimes_ms, totals_ms;

    bool ok() const { return trials_ok > 0; }
};

Side summarize(const std::vector<PtvResult>& trials, const std::string& why_not);
Side summarize(const std::vector<QemuMigration>& trials);

struct Row {
    Case c;
    Side ptv, qemu;
    bool qemu_run = false;  // false: QEMU left out of the run
    std::vector<PtvResult> ptv_trials;
    std::vector<QemuMigration> qemu_trials;
};

struct Results {
    std::string qemu_path, qemu_version, qemu_firmware, qemu_skipped;
    uint32_t downtime_limit_ms = 0;
    uint64_t qemu_max_bandwidth = 0;
    double loopback_bytes_per_s = 0;
    uint64_t loopback_bytes = 0;
    unsigned trials = 0;
    std::vector<Row> rows;

    // memory / loopback bandwidth: the time a migration of it cannot beat.
    double wire_ms(uint32_t memory_mib) const {
        return double(uint64_t(memory_mib) << 20) / loopback_bytes_per_s * 1e3;
    }
};

// The targets (bench/README.md), printed met/MISSED for ptvlab.
constexpr double kPreCopyDowntimeTargetMs = 10;  // 256 MiB guest, 4 MiB working set
constexpr uint32_t kPreCopyTargetMemoryMib = 256;
constexpr uint32_t kPreCopyTargetWssKib = 4096;
constexpr double kTotalTimeTargetRatio = 1.3;  // x memory / loopback bandwidth
constexpr double kPostCopyDowntimeTargetMs = 2;

}  // namespace ptv::bench
