// QEMU's own live migration of the counter guest, the peer of ptvlab's:
// a destination QEMU waiting with -incoming tcp:127.0.0.1:PORT,
// a source QEMU of the same machine, both driven over QMP; migrate, poll
// query-migrate to the end, then check on the destination's serial port
// that the guest went on counting where the source stopped.
//
//   precopy   migrate with QEMU's pre-copy (downtime-limit, max-bandwidth
//             set explicitly: BenchConfig)
//   stopcopy  `stop` the source first, migrate, `cont` the destination:
//             downtime and total are our wall clock from stop to cont
//   postcopy  postcopy-ram on both sides, migrate-start-postcopy right
//             after migrate. Not after a first pre-copy round: QEMU 7.2
//             decides at the end of each round between switching and
//             finishing as pre-copy, and finishes whenever the pages
//             dirtied meanwhile fit its downtime-limit at the bandwidth it
//             measured; under kvm_pvm, where each first write to a page
//             after a dirty-log sync faults, that was every time here, even
//             with a 1 ms limit. Asked at once, QEMU switches at its first
//             iteration: RAM then moves post-copy (pushed in the background
//             and fetched on fault), precopy_bytes is 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench_config.hpp"

namespace ptv::bench {

struct QemuMigration {
    std::string status;  // "completed", "failed", or why it did not run
    double total_ms = 0, downtime_ms = 0, setup_ms = 0;
    uint64_t transferred_bytes = 0;  // ram.transferred
    uint64_t ram_total_bytes = 0;    // ram.total (guest RAM plus ROMs)
    uint64_t precopy_bytes = 0, postcopy_bytes = 0, downtime_bytes = 0;
    uint64_t dirty_sync_count = 0;  // bitmap syncs: one at setup, one per round
    uint64_t precopy_rounds = 0;    // dirty_sync_count - 1
    double mbps = 0;                // QEMU's own throughput figure
    // The destination went on counting: source's last "counter N", then
    // N+1, N+2... on the destination, no gap, no repeat.
    bool continued = false;
    std::optional<uint64_t> source_last, destination_first;

    bool ok() const { return status == "completed"; }
};

// One migration. Never throws for a QEMU that fails or cannot do a mode:
// the status says why ("n/a: ..."). Both QEMUs and the temp dir are gone
// when it returns.
QemuMigration run_qemu_migration(const BenchConfig& config, const Case& c);

// The small firmware QEMU boots -kernel images with here, if installed:
// SeaBIOS takes over 20 s to reach the guest under kvm_pvm (its option ROM
// copies exit on every byte), qboot well under one.
std::optional<std::string> find_qboot(const std::string& qemu);

}  // namespace ptv::bench
