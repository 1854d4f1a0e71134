// The worker's back end without KVM: its configuration is checked before
// the machine is built, so a mistake costs one line and status 2 even on a
// host with no /dev/kvm; and its report reads the same from every tool.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "../support/process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/worker/back_end.hpp"
#include "ptv/worker/report.hpp"

using namespace ptv;

namespace {

void check_one_line(const test::Completed& r, const std::string& words) {
    CHECK(r.status == 2);
    CHECK(r.err.find(words) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("back-end mistakes on `ptv kvm run`: one line, status 2, before KVM is asked") {
    auto kvm_run = [](std::vector<std::string> args) {
        std::vector<std::string> argv = {test::bin("ptv"), "kvm", "run", "pvdisk"};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run(argv);
    };
    SUBCASE("an unknown strategy") {
        check_one_line(kvm_run({"--dispatch", "threads"}),
                       "unknown dispatch strategy 'threads': use inline, pool:N");
    }
    SUBCASE("a pool of no threads, of too many, of a word") {
        for (const char* bad : {"pool:0", "pool:65", "pool:x", "pool"}) {
            CAPTURE(bad);
            auto r = kvm_run({"--dispatch", bad});
            CHECK(r.status == 2);
            CHECK(r.err.find(bad) != std::string::npos);
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        }
    }
    SUBCASE("a disk image that is not there") {
        check_one_line(kvm_run({"--disk", "/nonexistent/disk.img"}), "/nonexistent/disk.img");
    }
    SUBCASE("a disk image that is not whole sectors") {
        test::TempDir dir;
        const std::string img = dir.file("odd.img");
        std::ofstream(img) << std::string(1000, 'x');
        check_one_line(kvm_run({"--disk", img}), "odd.img");
    }
    SUBCASE("a latency below zero or past ten seconds") {
        check_one_line(kvm_run({"--disk-latency", "-1"}), "--disk-latency -1 is out of range");
        check_one_line(kvm_run({"--disk-latency", "10001"}),
                       "--disk-latency 10001 is out of range");
    }
}

TEST_CASE("BackEnd::check takes what make_strategy and the disk take") {
    CHECK_NOTHROW(worker::BackEnd::check({"inline", "", 0}));
    CHECK_NOTHROW(worker::BackEnd::check({"pool:1", "", 0.5}));
    CHECK_NOTHROW(worker::BackEnd::check({"pool:64", "", 10000}));
    CHECK_NOTHROW(worker::BackEnd::check({"event", "", 0}));
    CHECK_THROWS_AS(worker::BackEnd::check({"event", "", -0.001}), UsageError);
    CHECK_THROWS_AS(worker::BackEnd::check({"Event", "", 0}), UsageError);
    test::TempDir dir;
    const std::string img = dir.file("disk.img");
    std::ofstream(img) << std::string(4096, '\0');
    CHECK_NOTHROW(worker::BackEnd::check({"inline", img, 0}));
}

TEST_CASE("the back end's two report lines, and none for a guest that never used it") {
    nlohmann::json r = {{"io",
                         {{"dispatch", "pool:16"},
                          {"ioeventfd", true},
                          {"jobs", 64},
                          {"max_waiting", 16},
                          {"disk", "built-in, 4096 sectors"},
                          {"latency_ms", 10.0},
                          {"blocks", 12},
                          {"pv_disk", {{"requests", 64}, {"completions", 64}, {"errors", 0}}},
                          {"event_channel", {{"posts", 64}}}}}};
    CHECK(worker::back_end_text(r) ==
          "back end: pool:16, doorbells as ioeventfds (no exit); 64 jobs, at most 16 waiting at "
          "once\n"
          "pv-disk: 64 requests, 64 completions, 0 errors (built-in, 4096 sectors, 10 ms); event "
          "channel: 64 posts, 12 blocks\n");
    nlohmann::json quiet = {{"io",
                             {{"dispatch", "inline"},
                              {"pv_disk", {{"requests", 0}}},
                              {"event_channel", {{"posts", 0}}}}}};
    CHECK(worker::back_end_text(quiet) == "");
    CHECK(worker::back_end_text(nlohmann::json::object()) == "");
    // A guest that serves the host's clients: a third line.
    r["io"]["host_ring"] = {{"requests", 101},
                            {"responses", 101},
                            {"errors", 1},
                            {"max_outstanding", 8},
                            {"held_back", 93}};
    CHECK(worker::back_end_text(r).ends_with(
        "channel: 64 posts, 12 blocks\n"
        "host-ring: 101 requests, 101 answered, 1 not OK; at most 8 on the ring, 93 held back on "
        "the host\n"));
}
