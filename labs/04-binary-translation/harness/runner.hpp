// Runs a guest on the CPU model twice, natively (the interpreter: what
// equivalence is measured against) and under binary translation with the
// student's decisions (or the kit's), and checks what came out.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ptv/lab/harness.hpp"
#include "ptv/vmm/binary_translation.hpp"
#include "ptv/vmm/run.hpp"

namespace ptv::lab::bt {

// A guest: one of the kit's images (by name, from build/guests), or a
// generated image (its bytes) with a name to show.
struct Guest {
    std::string name;
    std::vector<uint8_t> image;  // empty: the kit's image `name`.bin
    std::string cmdline;
};

struct Translated {
    vmm::RunResult result;
    vmm::TranslationCounters counters;
};

vmm::RunResult run_native(const Guest& guest);
Translated run_translated(const Guest& guest, const vmm::TranslatorDecisions& decisions);

// Equivalence (Popek & Goldberg): the same outcome, registers, EFLAGS,
// memory hash and serial output as the native run.
void expect_equivalent(const vmm::RunResult& native, const Translated& bt);

// What the reference solution counts on a guest.
struct Expected {
    uint64_t translations = 0, retranslations = 0, units_invalidated = 0;
    uint64_t chained = 0, lookups = 0;
    std::map<std::string, uint64_t> callouts;
};
void expect_callouts(const Translated& bt, const std::map<std::string, uint64_t>& callouts);

std::string callouts_text(const std::map<std::string, uint64_t>& callouts);

}  // namespace ptv::lab::bt
