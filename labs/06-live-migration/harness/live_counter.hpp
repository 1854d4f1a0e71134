// The counter guest (guests/counter.asm) migrated with the student's
// pre-copy policy: on the simulator always (its working set as a dirty
// model), and where the machine has /dev/kvm also for real, between two
// worker machines in this process over a TCP connection on 127.0.0.1,
// with the kit's migrator (real-kvm-backend/migration) on KVM's dirty log.
#pragma once

#include <string>

#include "precopy_check.hpp"
#include "ptv/lab/harness.hpp"

namespace ptv::lab::migration {

// The counter guest as the simulator sees it: 64 MiB, its 4 MiB working
// set rewritten round robin, a 1 Gbit/s link.
PreCopyProblem counter_model();

// The goals of the real migration: QEMU's default downtime limit.
inline constexpr uint64_t kKvmDowntimeLimitMs = 300;
inline constexpr uint32_t kKvmMaxRounds = 30;

// Throws NeedsKvm unless /dev/kvm opens read-write.
void require_kvm();

// The real migration with make_lab_precopy_policy({kKvmDowntimeLimitMs,
// kKvmMaxRounds}); fails the case unless the guest's output goes on with no
// gap and no repeat, the switch-over digests match, the downtime is within
// the limit and the policy kept max_rounds. Throws NeedsKvm without
// /dev/kvm.
void migrate_counter_on_kvm(Context& ctx);

// The counter's serial output, both halves: "" when the banner comes once
// and first and the lines count 1, 2, 3, ... with none missing or doubled
// (an unfinished last line must begin the line that was due); else what is
// wrong. `lines` gets the number of complete counter lines.
std::string check_counter_output(const std::string& serial, int& lines);

}  // namespace ptv::lab::migration
