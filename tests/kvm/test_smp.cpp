// Several vCPUs on real KVM (--cpus N): each a thread of the worker, all
// starting at the entry with their own number and stack (the guest checks
// what it was given), running at once, and ending the VM the way a real
// machine ends: halted when every CPU has halted, at once when one faults.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "../vmm/smp_reference.hpp"
#include "ptv/common/trace.hpp"
#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

const nlohmann::json& vcpu_row(const GuestRun& r, unsigned v) {
    return r.result["exits"]["by_vcpu"].at(v);
}

}  // namespace

TEST_CASE("smp on 2 vCPUs: both check in, both work, the VM halts when both have") {
    auto r = ptv_run({"smp", "--cpus", "2", "--cmdline", "20000", "--timeout", "60"});
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "halted");
    CHECK(r.result["message"] == "guest halted: all 2 vCPUs halted with interrupts off");
    CHECK(r.result["cpus"] == 2);
    const std::string serial = r.result["serial"];
    CHECK(serial == smp_line(2, 20000));
    // The boot CPU did all the printing; the other left the guest once, to
    // halt.
    REQUIRE(r.result["exits"]["by_vcpu"].size() == 2);
    CHECK(vcpu_row(r, 0)["by_reason"] == nlohmann::json{{"io", 7 + 2 * serial.size()}, {"hlt", 1}});
    CHECK(vcpu_row(r, 1)["by_reason"] == nlohmann::json{{"hlt", 1}});
    CHECK(vcpu_row(r, 1)["total"] == 1);
    CHECK(r.by_reason("hlt") == 2);
    CHECK(r.result["exits"]["total"] == 7 + 2 * serial.size() + 2);
}

TEST_CASE("smp on 8 vCPUs: every CPU gets its number, the count, its magic and its own stack") {
    auto r = ptv_run({"smp", "--cpus", "8", "--cmdline", "1000", "--timeout", "60"});
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "halted");
    CHECK(r.result["serial"] == smp_line(8, 1000));
    REQUIRE(r.result["exits"]["by_vcpu"].size() == 8);
    for (unsigned v = 1; v < 8; ++v) {
        CAPTURE(v);
        CHECK(vcpu_row(r, v)["by_reason"] == nlohmann::json{{"hlt", 1}});
    }
}

TEST_CASE("smp on 1 vCPU: the machine of before, with the same answer as the CPU model") {
    auto r = ptv_run({"smp", "--cmdline", "1000"});
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "halted");
    CHECK(r.result["message"] == "guest halted (hlt with interrupts off)");
    CHECK(r.result["serial"] == smp_line(1, 1000));
    CHECK(r.result["cpus"] == 1);
    CHECK_FALSE(r.result.contains("vcpu"));
}

TEST_CASE("fault-smp: one of two vCPUs triple-faults, and the outcome names it and its RIP") {
    auto r = ptv_run({"fault-smp", "--cpus", "2", "--timeout", "60"});
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "triple-fault");
    const std::string message = r.result["message"];
    CHECK(message.starts_with("vCPU 1: "));
    CHECK(r.result["vcpu"] == 1);
    const std::string serial = r.result["serial"];
    unsigned at = 0;
    REQUIRE(std::sscanf(serial.c_str(), "fault-smp: vCPU 1 divides by zero at 0x%x", &at) == 1);
    if (host_resets_vcpu_at_shutdown()) {  // AMD SVM: the reset took the RIP with it
        CHECK(r.result["rip"].is_null());
        CHECK(message.find(kStateLost) != std::string::npos);
    } else {
        CHECK(r.result["rip"] == fmt::format("{:#x}", at));
    }
    CHECK(r.process.status == r.result["status"]);
}

TEST_CASE("the watchdog ends every vCPU, and the outcome names none") {
    // Far more rounds than 0.5 s allows, on both CPUs.
    auto r = ptv_run({"smp", "--cpus", "2", "--cmdline", "4000000000", "--timeout", "0.5"});
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "timeout");
    const std::string message = r.result["message"];
    CHECK(message.starts_with("guest timed out"));
    CHECK(r.result["vcpu"] == 0);  // no vCPU decided it
}

TEST_CASE("the trace has a track per vCPU, and each exit is on its own vCPU's track") {
    TempDir dir;
    const std::string path = dir.file("smp.json");
    auto r = ptv_run({"smp", "--cpus", "2", "--cmdline", "100", "--trace", path});
    REQUIRE(r.result.is_object());
    REQUIRE(r.result["outcome"] == "halted");
    auto t = ptv::trace::load(path);
    REQUIRE(t.error.empty());
    std::map<int, std::string> track;
    std::map<int, std::map<std::string, int>> exits;  // tid -> reason -> count
    for (const auto& e : t.events) {
        if (e["ph"] == "M" && e["name"] == "thread_name") track[e["tid"]] = e["args"]["name"];
        if (e["ph"] == "X" && e["cat"] == "vmexit") ++exits[e["tid"]][e["name"]];
    }
    CHECK(track[1] == "vCPU 0");
    CHECK(track[2] == "vCPU 1");
    CHECK(exits[2] == std::map<std::string, int>{{"hlt", 1}});
    CHECK(exits[1]["hlt"] == 1);
    CHECK(exits[1]["io"] == int(vcpu_row(r, 0)["by_reason"]["io"]));
}

TEST_CASE("the text report gives each vCPU's exits") {
    auto r = run({bin("ptv"), "kvm", "run", "smp", "--cpus", "2", "--cmdline", "100"});
    CHECK(r.status == 0);
    CHECK(r.out.find("vCPU") != std::string::npos);
    CHECK(r.out.find("by reason") != std::string::npos);
    CHECK(r.out.find("final state (vCPU 0):") != std::string::npos);
}
