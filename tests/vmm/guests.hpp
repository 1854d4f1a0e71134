// Running the guests of guests/ on the CPU model from the tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"
#include "ptv/vmm/run.hpp"

namespace ptv::test {

inline vmm::RunResult run_model(const std::string& guest, const std::string& technique,
                                const std::string& cmdline = "", uint64_t budget = 50'000'000) {
    vmm::RunOptions o;
    o.guest.image_path = test::guest(guest);
    o.guest.name = guest;
    o.guest.cmdline = cmdline;
    o.technique = technique;
    o.max_instructions = budget;
    return vmm::run_guest(o);
}

// Every guest image the build made (new guests are covered without a test edit).
inline std::vector<std::string> all_guests() {
    std::vector<std::string> names;
    const auto dir = std::filesystem::path(test::guest("hello")).parent_path();
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".bin") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

// The command line a guest runs with in the tests: a small count for the
// loop guests keeps the suite fast.
inline std::string loop_cmdline(const std::string& guest) {
    return guest == "pio-loop" || guest == "mmio-loop" || guest == "hlt-loop" || guest == "compute"
               ? "1000"
               : "";
}

inline uint64_t total(const std::map<std::string, uint64_t>& m) {
    uint64_t n = 0;
    for (const auto& [k, v] : m) n += v;
    return n;
}

}  // namespace ptv::test
