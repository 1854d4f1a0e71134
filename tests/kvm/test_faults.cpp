// Bad input and guest faults: each ends with one clear line naming what
// happened (and where, for guest faults) and its own exit status, and leaves
// no process behind.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "../support/images.hpp"
#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

void no_workers_left() {
    // Give the kernel a moment to reap, then insist.
    for (int i = 0; i < 50 && !processes_running(bin("ptv-vmwp")).empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(processes_running(bin("ptv-vmwp")).empty());
}

void one_line(const GuestRun& r, const std::string& needle) {
    const std::string line = r.last_error_line();
    INFO("stderr: " << r.process.err);
    CHECK(line.find(needle) != std::string::npos);
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST_CASE("user mistakes: one line, exit status 2, no JSON, no worker left") {
    TempDir dir;
    SUBCASE("missing file") {
        auto r = ptv_run({dir.file("nope.bin")});
        CHECK(r.process.status == 2);
        one_line(r, "no such guest image");
    }
    SUBCASE("unknown guest name lists the guests") {
        auto r = ptv_run({"no-such-guest"});
        CHECK(r.process.status == 2);
        one_line(r, "guests: ");
        CHECK(r.process.err.find("pv-hello") != std::string::npos);
    }
    SUBCASE("a file that is not a multiboot image") {
        write_file(dir.file("junk.bin"), std::vector<uint8_t>(4096, 0xab));
        auto r = ptv_run({dir.file("junk.bin")});
        CHECK(r.process.status == 2);
        one_line(r, "not a bootable multiboot v1 image");
    }
    SUBCASE("a directory") {
        auto r = ptv_run({dir.path});
        CHECK(r.process.status == 2);
        one_line(r, "is a directory");
    }
    SUBCASE("a guest bigger than its memory") {
        auto r = ptv_run({"fault-too-big"});
        CHECK(r.process.status == 2);
        one_line(r, "--memory 129");
        auto ok = ptv_run({"fault-too-big", "--memory", "160"});
        CHECK(ok.process.status == 0);
    }
    SUBCASE("memory out of range") {
        auto r = ptv_run({"hello", "--memory", "1"});
        CHECK(r.process.status == 2);
        one_line(r, "--memory 1 is out of range");
    }
    SUBCASE("a bad flag") {
        auto r = run({bin("ptv"), "kvm", "run", "hello", "--frobnicate"});
        CHECK(r.status == 2);
        CHECK(r.err.find("--frobnicate") != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    SUBCASE("no /dev/kvm") {
        auto r = ptv_run({"hello"}, {{"PTV_KVM_DEVICE", dir.file("kvm")}});
        CHECK(r.process.status == 2);
        one_line(r, "does not exist: this machine has no KVM");
    }
    no_workers_left();
}

TEST_CASE("guest faults are outcomes with the guest RIP and a status of their own") {
    SUBCASE("triple fault: 3") {
        auto r = ptv_run({"fault-triple"});
        CHECK(r.process.status == 3);
        CHECK(r.result["outcome"] == "triple-fault");
        one_line(r, "triple-faulted");
        CHECK(r.by_reason("shutdown") == 1);
        if (host_resets_vcpu_at_shutdown()) {
            // The reset vector is not where the guest was: no RIP, and the
            // line says why.
            CHECK(r.result["rip"].is_null());
            CHECK(r.result["final_state"].is_null());
            one_line(r, kStateLost);
            CHECK(r.last_error_line().find("at RIP") == std::string::npos);
        } else {
            CHECK(r.result["rip"].is_string());
            one_line(r, "at RIP 0x");
        }
    }
    SUBCASE("garbage instead of code: 4") {
        auto r = ptv_run({"fault-garbage"});
        if (host_resets_vcpu_at_shutdown()) {
            // KVM on SVM gives the #UD back to the guest, which has no
            // handler: a triple fault whose bytes are lost with the RIP.
            CHECK(r.process.status == 3);
            CHECK(r.result["outcome"] == "triple-fault");
            one_line(r, kStateLost);
        } else {
            CHECK(r.process.status == 4);
            CHECK(r.result["outcome"] == "invalid-opcode");
            one_line(r, "not an x86 instruction");
            one_line(r, "at RIP 0x");
        }
    }
    SUBCASE("a loop forever, stopped by the watchdog: 5") {
        auto t0 = std::chrono::steady_clock::now();
        auto r = ptv_run({"fault-forever", "--timeout", "0.5"});
        auto took = std::chrono::steady_clock::now() - t0;
        CHECK(r.process.status == 5);
        CHECK(r.result["outcome"] == "timeout");
        one_line(r, "timed out");
        one_line(r, "at RIP 0x");
        CHECK(r.result["serial"] == "fault-forever: spinning\n");
        CHECK(took < std::chrono::seconds(10));
    }
    SUBCASE("writes all over MMIO space: a bus error at the first, 6") {
        auto r = ptv_run({"fault-mmio-spray"});
        CHECK(r.process.status == 6);
        CHECK(r.result["outcome"] == "bus-error");
        one_line(r, "0xe0000000");
        one_line(r, "by 'mov");
        CHECK(r.by_device("unclaimed-mmio") == 1);
    }
    SUBCASE("... or, when allowed, every write dropped and counted") {
        auto r = ptv_run({"fault-mmio-spray", "--allow-unclaimed-mmio"});
        CHECK(r.process.status == 0);
        CHECK(r.by_device("unclaimed-mmio") == 64);
        CHECK(r.by_reason("mmio") == 64);
    }
    SUBCASE("bad PV ring indices: the device refuses them, 7") {
        auto r = ptv_run({"fault-pv-bad-ring"});
        CHECK(r.process.status == 7);
        CHECK(r.result["outcome"] == "device-error");
        one_line(r, "pv-console");
        one_line(r, "head 512 is 512 bytes ahead of tail 0");
        one_line(r, "by 'out dx, eax'");
        // Nothing of the bad ring reached the console.
        CHECK(r.result["serial"].get<std::string>().find("fault-pv-bad-ring:") == 0);
        CHECK(r.by_device("pv-console") == 1);
    }
    no_workers_left();
}

TEST_CASE("a foreign flat image: header at offset 64, loaded at 2 MiB, with bss") {
    TempDir dir;
    write_file(dir.file("foreign.bin"), FlatImage{}.bytes());
    auto r = ptv_run({dir.file("foreign.bin")});
    REQUIRE(r.process.status == 0);
    CHECK(r.result["serial"] == "X\n");
    CHECK(r.by_reason("io") == 2);
    CHECK(r.by_reason("hlt") == 1);
}

namespace {
// Starts `ptv kvm run fault-forever` and returns {ptv, its worker}, once the
// worker exists and has had a moment to enter the guest.
std::pair<pid_t, pid_t> spinning_guest() {
    pid_t ptv = spawn({bin("ptv"), "kvm", "run", "fault-forever"});
    std::vector<pid_t> kids;
    for (int i = 0; i < 200 && kids.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        kids = children_of(ptv);
    }
    REQUIRE(kids.size() == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return {ptv, kids[0]};
}
}  // namespace

TEST_CASE("the worker is a separate process: killing it is reported, not hidden") {
    auto [ptv, worker] = spinning_guest();
    kill(worker, SIGKILL);
    CHECK(wait_for(ptv) == 9);
    no_workers_left();
}

TEST_CASE("Ctrl-C (SIGINT to ptv) stops the guest cleanly with status 10") {
    auto [ptv, worker] = spinning_guest();
    kill(ptv, SIGINT);
    CHECK(wait_for(ptv) == 10);
    no_workers_left();
}

TEST_CASE("if ptv dies, its worker does not outlive it") {
    auto [ptv, worker] = spinning_guest();
    kill(ptv, SIGKILL);
    wait_for(ptv);
    no_workers_left();
}

TEST_CASE("ptv-vmwp on its own prints the outcome and the exit table") {
    auto r = run({bin("ptv-vmwp"), guest("hello")});
    CHECK(r.status == 0);
    CHECK(r.out.find("Hello from a ptvlab guest!") == 0);
    CHECK(r.out.find("exit reason") != std::string::npos);
    CHECK(r.out.find("uart") != std::string::npos);
    CHECK(r.err.find("guest halted") != std::string::npos);
}

TEST_CASE("a guest that prints bytes that are not UTF-8 still gets a valid JSON result") {
    TempDir dir;
    FlatImage img;
    img.code[5] = 0xff;  // mov al, 0xff instead of 'X'
    write_file(dir.file("binary.bin"), img.bytes());
    auto r = ptv_run({dir.file("binary.bin")});
    REQUIRE(r.process.status == 0);
    REQUIRE(r.result.is_object());
    CHECK(r.result["serial"] == "\xEF\xBF\xBD\n");  // U+FFFD, the replacement character
    CHECK(r.result["serial_bytes"] == 2);
    auto alone = run({bin("ptv-vmwp"), dir.file("binary.bin"), "--json"});
    CHECK(alone.status == 0);
    CHECK_FALSE(nlohmann::json::parse(alone.out, nullptr, false).is_discarded());
}
