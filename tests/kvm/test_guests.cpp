// Boots each guest on real KVM and checks its exact output and exact exit
// counts (guests/README.md derives each count from the guest's code).
#include <doctest/doctest.h>

#include "ptv_run.hpp"

using namespace ptv::test;

namespace {
const std::string kMsg = "Hello from a ptvlab guest!\n";  // 27 bytes
}

TEST_CASE("hello: the UART takes an exit per byte plus a status poll per byte") {
    auto r = ptv_run({"hello"});
    REQUIRE(r.process.status == 0);
    CHECK(r.result["outcome"] == "halted");
    CHECK(r.result["serial"] == kMsg);
    CHECK(r.process.err.starts_with(kMsg));  // with --json the serial stream goes to stderr
    // 7 init writes + (LSR read + THR write) per byte, then HLT.
    CHECK(r.by_reason("io") == 7 + 2 * kMsg.size());
    CHECK(r.by_reason("hlt") == 1);
    CHECK(r.result["exits"]["total"] == 7 + 2 * kMsg.size() + 1);
    CHECK(r.by_device("uart") == 7 + 2 * kMsg.size());
    CHECK(r.by_device("vcpu") == 1);
}

TEST_CASE("pv-hello: the same message through the PV console costs exactly one exit") {
    auto r = ptv_run({"pv-hello"});
    REQUIRE(r.process.status == 0);
    CHECK(r.result["serial"] == kMsg + kMsg);
    CHECK(r.by_device("uart") == 7 + 2 * kMsg.size());
    CHECK(r.by_device("pv-console") == 1);
    CHECK(r.by_reason("io") == 7 + 2 * kMsg.size() + 1);
    CHECK(r.by_reason("hlt") == 1);
    for (const auto& d : r.result["exits"]["by_device"])
        if (d["device"] == "pv-console") CHECK(d["kind"] == "paravirtual");
}

TEST_CASE("microbenchmark guests take their iteration count from the command line") {
    SUBCASE("pio-loop: one exit per OUT") {
        auto r = ptv_run({"pio-loop", "--cmdline", "5000"});
        REQUIRE(r.process.status == 0);
        CHECK(r.result["outcome"] == "guest-exit");
        CHECK(r.by_device("post-code") == 5000);
        CHECK(r.by_device("debug-exit") == 1);
        CHECK(r.result["exits"]["total"] == 5001);
    }
    SUBCASE("mmio-loop: one exit per store to the MMIO page") {
        auto r = ptv_run({"mmio-loop", "--cmdline", "3000"});
        REQUIRE(r.process.status == 0);
        CHECK(r.by_reason("mmio") == 3000);
        CHECK(r.by_device("mmio-scratch") == 3000);
        CHECK(r.by_reason("io") == 1);
    }
    SUBCASE("hlt-loop: HLT with interrupts on resumes the guest") {
        auto r = ptv_run({"hlt-loop", "--cmdline", "2000"});
        REQUIRE(r.process.status == 0);
        CHECK(r.by_reason("hlt") == 2000);
        CHECK(r.by_reason("io") == 1);
    }
    SUBCASE("default count without a command line") {
        auto r = ptv_run({"pio-loop"});
        REQUIRE(r.process.status == 0);
        CHECK(r.by_device("post-code") == 100000);
    }
}

TEST_CASE("multiboot images we did not write the way our guests are written") {
    SUBCASE("ELF32 kernel from NASM, no address fields") {
        auto r = ptv_run({"elf-hello"});
        REQUIRE(r.process.status == 0);
        CHECK(r.result["serial"] == "Hello from an ELF guest!\n");
    }
    SUBCASE("freestanding C kernel, ELF32") {
        auto r = ptv_run({"c-hello"});
        REQUIRE(r.process.status == 0);
        CHECK(r.result["serial"] == "Hello from a C guest!\n");
    }
    SUBCASE("more memory is more memory") {
        auto r = ptv_run({"hello", "--memory", "512"});
        REQUIRE(r.process.status == 0);
        CHECK(r.result["memory_mib"] == 512);
    }
}

TEST_CASE("echo: what is typed reaches the guest through the UART's receiver") {
    auto r = ptv_run({"echo", "--timeout", "20"}, {}, "hello, guest\n.\n");
    REQUIRE(r.process.status == 0);
    CHECK(r.result["serial"] ==
          "echo: type lines; a line with only \".\" ends\n"
          "HELLO, GUEST\n"
          ".\n"
          "echo: bye\n");
}

TEST_CASE("clock: the PIT costs three exits a read, the PV clock page none") {
    auto r = ptv_run({"clock", "--cmdline", "1000"});
    REQUIRE(r.process.status == 0);
    CHECK(r.result["outcome"] == "guest-exit");
    const std::string serial = r.result["serial"];
    CHECK(serial.starts_with("clock: PIT, 1000 reads in "));
    CHECK(serial.find("\nclock: PV clock, 1000 reads in ") != std::string::npos);
    CHECK(r.by_device("pit") == 3 + 3 * 1000);  // start the counter, then latch, LSB, MSB
    CHECK(r.by_device("pv-clock") == 1);        // the page, handed over once
    CHECK(r.by_device("uart") == 7 + 2 * serial.size());
    CHECK(r.by_device("debug-exit") == 1);
    CHECK(r.by_device("unclaimed-pio") == 0);
}

TEST_CASE("pit-wait: N ticks of the PIT take N / 1.193182 MHz of wall time") {
    // One second: long against the worker's start and the UART line (well
    // under a millisecond), short against the run's timeout.
    auto r = ptv_run({"pit-wait", "--cmdline", "1193182", "--timeout", "20"});
    REQUIRE(r.process.status == 0);
    CHECK(r.result["outcome"] == "guest-exit");
    CHECK(r.result["serial"] == "pit-wait: 1193182 ticks\n");
    const double run_s = double(r.result["run_ns"].get<uint64_t>()) / 1e9;
    CHECK(run_s == doctest::Approx(1.0).epsilon(0.05));
    CHECK(r.by_device("unclaimed-pio") == 0);
}
