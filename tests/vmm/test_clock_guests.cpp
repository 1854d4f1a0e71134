// The clock guests on the CPU model, whose time is 1 us per instruction:
// the PIT and the PV clock page count on that time, so every number here is
// exact. The PIT is reached through exits, at the same instruction under
// every technique; the PV clock page is rewritten by the model's timer,
// which binary translation runs at the end of a translated block.
#include <doctest/doctest.h>

#include "guests.hpp"

using namespace ptv;

namespace {
const std::string kPitLine = "clock: PIT, 1000 reads in 15979 us (3 exits each)\n";
const std::string kPvLine = "clock: PV clock, 1000 reads in 15000 us (no exits)\n";
}  // namespace

TEST_CASE("clock: 3 exits per PIT read and 1 for the PV clock page, under every technique") {
    for (const auto& t : vmm::technique_names()) {
        CAPTURE(t);
        const auto r = test::run_model("clock", t, "1000");
        CHECK(r.outcome == "guest-exit");
        CHECK(r.output.starts_with(kPitLine));
        CHECK(r.device_exits == std::map<std::string, uint64_t>{
                                    {"pit", 3 + 3 * 1000},  // start counter 0, then 3 per read
                                    {"pv-clock", 1},        // the page, handed over once
                                    {"uart", 7 + 2 * r.output.size()},
                                    {"debug-exit", 1}});
        if (t != "binary-translation") {
            CHECK(r.output == kPitLine + kPvLine);
            CHECK(r.instructions == 33967);
        }
    }
    // K from the command line; no read at all is allowed.
    const auto ten = test::run_model("clock", "vmx", "10");
    CHECK(ten.device_exits.at("pit") == 3 + 3 * 10);
    CHECK(ten.device_exits.at("pv-clock") == 1);
    const auto none = test::run_model("clock", "vmx", "0");
    CHECK(none.output ==
          "clock: PIT, 0 reads in 0 us (3 exits each)\n"
          "clock: PV clock, 0 reads in 0 us (no exits)\n");
}

TEST_CASE("clock: a guest spinning on the PV clock page sees the model's time go on") {
    // 10000 reads of the page, about 15 instructions each: some 150 ms of
    // model time with no device access, in steps of the page's 1 ms period.
    const auto n = test::run_model("clock", "native", "10000");
    CHECK(n.output.ends_with("clock: PV clock, 10000 reads in 151000 us (no exits)\n"));
    // Translated code: the page is rewritten at the end of a block, with
    // the time of its deadline all the same.
    const auto bt = test::run_model("clock", "binary-translation", "10000");
    CHECK(bt.output.ends_with("clock: PV clock, 10000 reads in 150000 us (no exits)\n"));
    CHECK(bt.device_exits.at("pv-clock") == 1);
}

TEST_CASE("pit-wait: N PIT ticks take N / 1.193182 MHz of model time") {
    const auto r = test::run_model("pit-wait", "vmx", "1193182");
    CHECK(r.outcome == "guest-exit");
    CHECK(r.output == "pit-wait: 1193182 ticks\n");
    CHECK(r.device_exits.count("unclaimed-pio") == 0);
    const double model_us = double(r.instructions);  // 1 us per instruction
    const double expected_us = 1193182 / 1.193182;   // one second
    CHECK(model_us == doctest::Approx(expected_us).epsilon(0.05));
    // Tighter: the wait ends within one poll (17 instructions) of the N-th
    // tick, and the rest of the run -- boot, command line, the UART line --
    // is under 1000 instructions (801 for N = 1000).
    CHECK(model_us >= expected_us);
    CHECK(model_us - expected_us < 1000);
    CHECK(r.instructions == 1000953);
    const auto short_wait = test::run_model("pit-wait", "binary-translation", "1000");
    CHECK(short_wait.instructions == 1639);  // 838 us of waiting
}
