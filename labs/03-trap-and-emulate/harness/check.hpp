// The checks of the lab's cases: Popek & Goldberg's equivalence with the
// bare machine, and the VMM's exact trap counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ptv/lab/harness.hpp"
#include "runner.hpp"

namespace ptv::lab::trap {

// The run under the student's VMM ends as the native one: outcome, serial
// output, general registers, EIP, defined EFLAGS, memory hash, the system
// registers the guest believes in (CPL, GDTR, IDTR, TR, CR0-4), the count
// of retired instructions; and no divergence was reported.
void expect_equivalent(const Run& native, const Run& lab);
// The traps, by cause ("#GP (cli)"), are exactly `expected`.
void expect_traps(const std::map<std::string, uint64_t>& expected, const Run& lab);
std::string traps_text(const std::map<std::string, uint64_t>& traps);

// A whole case: runs `guest` natively, under the kit's table and under the
// student's handlers (`under`); checks equivalence and that the trap
// counts are the kit's (and `exact`, when given). Records the counts as
// measures.
void check_guest(Context& ctx, const GuestSpec& guest,
                 const std::map<std::string, uint64_t>* exact = nullptr,
                 Under under = Under::StudentVmm);

}  // namespace ptv::lab::trap
