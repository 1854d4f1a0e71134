// The trace of a real run: one track per vCPU and per device; each exit
// with its port, size, data, instruction and handling time, and a flow
// arrow to the notification that handled it.
#include <doctest/doctest.h>

#include <set>

#include "ptv/common/trace.hpp"
#include "ptv_run.hpp"

using namespace ptv::test;

TEST_CASE("pv-hello's trace shows each exit, its notification and the arrow between them") {
    TempDir dir;
    const std::string path = dir.file("pv.json");
    auto r = ptv_run({"pv-hello", "--trace", path});
    REQUIRE(r.process.status == 0);
    auto t = ptv::trace::load(path);
    CHECK(t.error.empty());
    const uint64_t total = r.result["exits"]["total"];
    CHECK(total == 63);

    std::set<std::string> tracks;
    size_t exits = 0, notes = 0, starts = 0, finishes = 0, doorbells = 0;
    for (const auto& e : t.events) {
        const std::string ph = e["ph"];
        if (ph == "M" && e["name"] == "thread_name") tracks.insert(e["args"]["name"]);
        if (ph == "s") ++starts;
        if (ph == "f") ++finishes;
        if (ph != "X") continue;
        if (e["cat"] == "notification") ++notes;
        if (e["cat"] != "vmexit") continue;
        ++exits;
        const auto& a = e["args"];
        CHECK(a.contains("handling_ns"));
        CHECK(a.contains("instruction"));
        if (e["name"] == "io") {
            CHECK(a.contains("port"));
            CHECK(a.contains("size"));
            CHECK(a.contains("data"));
            const std::string insn = a["instruction"];
            CHECK((insn.starts_with("out ") || insn.starts_with("in ")));
        }
        if (a.value("port", "") == "0x510") {
            ++doorbells;
            CHECK(a["device"] == "pv-console");
            CHECK(a["instruction"] == "out dx, eax");
            CHECK(a["size"] == 4);
            CHECK(a["direction"] == "write");
        }
        if (a.value("port", "") == "0x3fd") CHECK(a["instruction"] == "in al, dx");
    }
    CHECK(exits == total);
    CHECK(notes == total);
    CHECK(starts == total);
    CHECK(finishes == total);
    CHECK(doorbells == 1);
    CHECK(tracks.count("vCPU 0") == 1);
    CHECK(tracks.count("uart (emulated)") == 1);
    CHECK(tracks.count("pv-console (paravirtual)") == 1);
    CHECK(t.metadata["dropped_exits"] == 0);
    CHECK(t.metadata["exits"] == total);
}

TEST_CASE("an MMIO write names the store that caused it, though KVM reports RIP after it") {
    TempDir dir;
    const std::string path = dir.file("mmio.json");
    auto r = ptv_run({"mmio-loop", "--cmdline", "10", "--trace", path});
    REQUIRE(r.process.status == 0);
    auto t = ptv::trace::load(path);
    size_t mmio = 0;
    for (const auto& e : t.events) {
        if (e["ph"] != "X" || e["cat"] != "vmexit" || e["name"] != "mmio") continue;
        ++mmio;
        CHECK(e["args"]["address"] == "0xd0000000");
        CHECK(e["args"]["instruction"].get<std::string>().find("mov") == 0);
    }
    CHECK(mmio == 10);
}

TEST_CASE("a full trace buffer drops and says how many") {
    TempDir dir;
    const std::string path = dir.file("small.json");
    auto r = ptv_run({"pio-loop", "--cmdline", "500", "--trace", path, "--trace-capacity", "100"});
    REQUIRE(r.process.status == 0);
    auto t = ptv::trace::load(path);
    CHECK(t.metadata["recorded_exits"] == 100);
    CHECK(t.metadata["dropped_exits"] == 401);
    CHECK(r.result["exits"]["total"] == 501);
}

TEST_CASE("an unwritable trace path is a usage error") {
    auto r = ptv_run({"hello", "--trace", "/nonexistent/dir/t.json"});
    CHECK(r.process.status == 2);
    CHECK(r.last_error_line().find("cannot write trace file") != std::string::npos);
}
