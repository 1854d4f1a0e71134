// One test of lab 01: the script through the guest with the student's
// device, then every check against the model of script.hpp: how the run
// ended, the serial output line by line, the disk sector by sector, and the
// exits on each port of the device (the exit table).
#pragma once

#include <cstdint>
#include <string>

#include "ptv/lab/harness.hpp"
#include "script.hpp"

namespace ptv::lab::devices {

struct DiskSpec {
    uint32_t sectors = 2048;  // 1 MiB
    uint64_t seed = 1;        // the initial contents (fill_disk)
};

// `about` says in words what the case does; it begins the case's input
// (appended to it, for a case that runs several guests).
void run_and_check(Context& ctx, Which which, const Script& script, const DiskSpec& disk,
                   const std::string& about);

}  // namespace ptv::lab::devices
