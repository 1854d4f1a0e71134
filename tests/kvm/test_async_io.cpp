// The worker as a server, on real KVM: the pvdisk guest keeps up to Q
// requests outstanding on the asynchronous PV disk and blocks in "sti; hlt"
// until the event channel says some are done. The same guest and the same
// requests under each dispatch strategy give the same answers; the
// strategies differ in where the disk's waits happen (the exit table, the
// back end's gauges) and in how long they take.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

struct GuestCounts {
    unsigned rings = 0, waits = 0, words = 0;
};

// "pvdisk: rings R, waits W, words C" from the guest's second line.
GuestCounts counts(const GuestRun& r) {
    GuestCounts c;
    const std::string serial = r.result["serial"];
    const auto at = serial.find("pvdisk: rings ");
    REQUIRE(at != std::string::npos);
    REQUIRE(std::sscanf(serial.c_str() + at, "pvdisk: rings %u, waits %u, words %u", &c.rings,
                        &c.waits, &c.words) == 3);
    return c;
}

uint64_t doorbells(const GuestRun& r, const std::string& device) {
    for (const auto& d : r.result["exits"]["by_device"])
        if (d["device"] == device) return d.value("doorbells", 0ull);
    return 0;
}

}  // namespace

TEST_CASE("pvdisk: the same requests and answers under every dispatch strategy") {
    for (const std::string dispatch : {"inline", "pool:4", "event"}) {
        CAPTURE(dispatch);
        auto r = ptv_run({"pvdisk", "--cmdline", "64 16 64", "--dispatch", dispatch,
                          "--disk-latency", "1", "--timeout", "60"});
        REQUIRE(r.result.is_object());
        CHECK(r.result["outcome"] == "guest-exit");
        const std::string serial = r.result["serial"];
        CHECK(serial.starts_with("pvdisk: 64 reads, 16 deep, ring 64\n"));
        const GuestCounts c = counts(r);
        CHECK(c.words == 64 * 128);
        const auto& io = r.result["io"];
        CHECK(io["dispatch"] == dispatch);
        CHECK(io["jobs"] == 64);
        CHECK(io["pv_disk"]["requests"] == 64);
        CHECK(io["pv_disk"]["completions"] == 64);
        CHECK(io["pv_disk"]["errors"] == 0);
        CHECK(io["event_channel"]["posts"] == 64);
        // One OUT binds the event page; HLT is the guest's only wait.
        CHECK(r.by_device("event-channel") == 1);
        CHECK(r.by_reason("hlt") == c.waits);
        CHECK(io["blocks"].get<unsigned>() <= c.waits);
        // The queue's address is an exit; each ring is one too, unless the
        // host took it without one (an ioeventfd), where it is a doorbell.
        if (io["ioeventfd"] == true) {
            CHECK(dispatch != "inline");
            CHECK(r.by_device("pv-disk") == 1);
            CHECK(doorbells(r, "pv-disk") == c.rings);
        } else {
            CHECK(r.by_device("pv-disk") == 1 + c.rings);
            CHECK(doorbells(r, "pv-disk") == 0);
        }
        if (dispatch == "inline") CHECK(io["max_waiting"] == 1);
        if (dispatch == "pool:4") CHECK(io["max_waiting"].get<unsigned>() <= 4);
    }
}

TEST_CASE("pvdisk: 64 requests of 10 ms: inline waits them one by one, event all at once") {
    auto in = ptv_run({"pvdisk", "--cmdline", "64 64 64", "--dispatch", "inline", "--disk-latency",
                       "10", "--timeout", "60"});
    auto ev = ptv_run({"pvdisk", "--cmdline", "64 64 64", "--dispatch", "event", "--disk-latency",
                       "10", "--timeout", "60"});
    auto pool = ptv_run({"pvdisk", "--cmdline", "64 64 64", "--dispatch", "pool:16",
                         "--disk-latency", "10", "--timeout", "60"});
    REQUIRE(in.result.is_object());
    REQUIRE(ev.result.is_object());
    REQUIRE(pool.result.is_object());
    for (auto* r : {&in, &ev, &pool}) {
        CHECK(r->result["outcome"] == "guest-exit");
        CHECK(counts(*r).words == 64 * 128);
    }
    // The iterative server: the vCPU itself sleeps through each request.
    CHECK(in.result["io"]["max_waiting"] == 1);
    CHECK(in.result["run_ns"].get<uint64_t>() >= 640'000'000ull);
    // The pool waits with its 16 threads, the event loop with one timer
    // for everything the guest asked at once.
    CHECK(pool.result["io"]["max_waiting"] == 16);
    CHECK(ev.result["io"]["max_waiting"].get<unsigned>() > 16);
    CHECK(ev.result["run_ns"].get<uint64_t>() < 400'000'000ull);
    CHECK(pool.result["run_ns"].get<uint64_t>() < 400'000'000ull);
}

TEST_CASE("pvdisk: ring indices the guest made up end the run, on the exit path and off it") {
    for (const std::string dispatch : {"inline", "event"}) {
        CAPTURE(dispatch);
        auto r = ptv_run({"fault-pvdisk-bad-ring", "--dispatch", dispatch, "--timeout", "20"});
        REQUIRE(r.result.is_object());
        CHECK(r.result["outcome"] == "device-error");
        CHECK(r.process.status == 7);
        CHECK(r.result["message"].get<std::string>().starts_with("pv-disk: "));
        CHECK(r.result["rip"].is_string());
    }
}

TEST_CASE("pvdisk: a worker killed with requests in flight leaves nothing behind") {
    // 64 requests of 2 s each on 4 threads: killed long before they end.
    // ("[p]tv-vmwp": the pattern must not match this shell's own command.)
    const std::string cmd =
        "'" + bin("ptv") +
        "' kvm run pvdisk --cmdline '64 64 64' --dispatch pool:4 "
        "--disk-latency 2000 --json & sleep 2; pkill -KILL -f "
        "'[p]tv-vmwp.*--disk-latency 2000' && echo KILLED; wait; sleep 0.5; "
        "pgrep -f '[p]tv-vmwp.*--disk-latency 2000' && echo STRAY || echo CLEAN";
    auto p = run({"/bin/sh", "-c", cmd}, {}, 60);
    CHECK(p.out.find("KILLED") != std::string::npos);  // it was there to kill
    CHECK(p.out.find("CLEAN") != std::string::npos);
    CHECK(p.out.find("STRAY") == std::string::npos);
}

TEST_CASE("pvdisk-ping: each round trip is one doorbell, and every wait is one HLT") {
    for (const std::string dispatch : {"inline", "pool:1", "event"}) {
        CAPTURE(dispatch);
        auto r = ptv_run({"pvdisk-ping", "--cmdline", "200", "--dispatch", dispatch});
        REQUIRE(r.result.is_object());
        CHECK(r.result["outcome"] == "guest-exit");
        const std::string serial = r.result["serial"];
        unsigned trips = 0, waits = 0;
        REQUIRE(std::sscanf(serial.c_str(), "pvdisk-ping: %u round trips, %u waits", &trips,
                            &waits) == 2);
        CHECK(trips == 200);
        CHECK(r.by_reason("hlt") == waits);
        CHECK(r.result["io"]["pv_disk"]["completions"] == 200);
        if (dispatch == "inline") {
            // Served inside the doorbell's exit: done before the guest looks.
            CHECK(waits == 0);
            CHECK(r.by_device("pv-disk") == 1 + 200);
        } else if (r.result["io"]["ioeventfd"] == true) {
            CHECK(r.by_device("pv-disk") == 1);
            CHECK(doorbells(r, "pv-disk") == 200);
        } else {
            CHECK(r.by_device("pv-disk") == 1 + 200);
        }
    }
}
