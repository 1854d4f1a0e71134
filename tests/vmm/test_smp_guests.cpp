// The guests written for several vCPUs, on the CPU model's one CPU: the
// loader's promise to CPU 0 of 1 (EDI 0, ESI 1, the multiboot magic, the
// boot stack) is checked by the guest itself, and its answer is exact.
// tests/kvm/test_smp.cpp runs the same guests on 2 and 8 vCPUs.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "guests.hpp"
#include "smp_reference.hpp"

using namespace ptv;

TEST_CASE("smp on one CPU: checked in, R rounds of xorshift32, halted") {
    for (const uint32_t rounds : {0u, 1u, 1000u}) {
        CAPTURE(rounds);
        const auto r = test::run_model("smp", "native", std::to_string(rounds));
        CHECK(r.outcome == "halted");
        CHECK(r.output == test::smp_line(1, rounds));
        CHECK(r.device_exits == std::map<std::string, uint64_t>{{"uart", 7 + 2 * r.output.size()}});
    }
}

TEST_CASE(
    "fault-smp on one CPU: the boot CPU is the last one, and faults at the address it names") {
    const auto r = test::run_model("fault-smp", "native");
    CHECK(r.outcome == "triple-fault");
    const std::string line =
        fmt::format("fault-smp: vCPU 0 divides by zero at {:#010x}\n", r.stop_eip);
    CHECK(r.output == line);
}
