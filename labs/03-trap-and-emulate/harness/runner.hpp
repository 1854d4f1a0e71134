// Running one guest on the CPU model: natively (the bare machine), under
// the lab's VMM with the student's handlers, or with the kit's reference
// table (which says how many traps of each kind there must be).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ptv/vmm/run.hpp"

namespace ptv::lab::trap {

struct GuestSpec {
    std::string name;
    std::string image_path;      // a kit guest ...
    std::vector<uint8_t> image;  // ... or a generated one
    std::string cmdline;
    uint32_t memory_mib = 64;
    uint64_t budget = 2'000'000;
};

enum class Under {
    Native,
    StudentVmm,  // the student's handlers and check_popf
    KitVmm,      // the kit's reference handlers
    StudentPopf  // the kit's handlers, the student's check_popf
};

struct Run {
    std::string outcome;
    vmm::RunResult result;  // final state, output, counters, divergences
};

// A kit guest image by name (built in build/guests, or $PTV_GUEST_DIR).
GuestSpec kit_guest(const std::string& name, const std::string& cmdline = "");
Run run(const GuestSpec& guest, Under under);

}  // namespace ptv::lab::trap
