// A request's path through the back end, in the trace: the doorbell a
// back-end thread read, the job it became and the thread that served it,
// the completion, and the vCPU's sleep in HLT that the completion ended.
// Played here by hand on real threads, as the worker's back end plays it.
#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "../support/process.hpp"
#include "ptv/common/clock.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vnd/dispatcher.hpp"
#include "ptv/vnd/trace_export.hpp"

using namespace ptv;
using namespace ptv::vnd;

namespace {

struct Disk : vmb::Device {
    void plug_in(vmb::VirtualMotherboard& b) override { b.claim(vmb::Space::Pio, 0x548, 8, *this); }
    std::string_view name() const override { return "pv-disk"; }
    void read(vmb::Space, uint64_t, std::span<uint8_t>) override {}
    vmb::Response write(vmb::Space, uint64_t, std::span<const uint8_t>) override { return {}; }
};

}  // namespace

TEST_CASE("request path: doorbell, job, completion and wake are tied together across threads") {
    vmb::VirtualMotherboard board;
    Disk disk;
    disk.plug_in(board);
    NotificationDispatcher d(board);
    CHECK(d.path() == nullptr);  // kept only while tracing
    d.enable_log(64);
    RequestPath& path = *d.path();
    path.set_vcpu_thread(0, RequestPath::this_thread());

    // The vCPU sleeps; a back-end thread reads the doorbell and submits a
    // job; another serves it and completes it, which ends the sleep.
    const uint64_t t_block = d.now();
    uint64_t job = 0;
    uint32_t bell_thread = 0, serve_thread = 0;
    std::thread([&] {
        bell_thread = RequestPath::this_thread();
        const uint64_t bell = path.doorbell(d.now(), 0, 3);
        RequestPath::Scope scope(bell, 0);
        job = path.job_submitted(d.now());
        CHECK(RequestPath::current_doorbell() == bell);
    }).join();
    CHECK(RequestPath::current_doorbell() == 0);  // scopes are per thread
    std::thread([&] {
        serve_thread = RequestPath::this_thread();
        const uint64_t t_start = d.now();
        {
            RequestPath::Scope scope(0, job);
            d.complete({0, 0, 0, 0});
        }
        path.job_done(job, t_start, d.now());
    }).join();
    path.block(0, t_block, d.now());

    REQUIRE(path.doorbells().size() == 1);
    CHECK(path.doorbells()[0].rings == 3);
    CHECK(path.doorbells()[0].thread == bell_thread);
    REQUIRE(path.jobs().size() == 1);
    CHECK(path.jobs()[0].doorbell == 1);
    CHECK(path.jobs()[0].thread == serve_thread);
    REQUIRE(d.completion_log().size() == 1);
    CHECK(d.completion_log()[0].job == job);
    CHECK(path.vcpu_of(RequestPath::this_thread()) == 0);
    CHECK(path.vcpu_of(serve_thread) == -1);

    test::TempDir dir;
    const std::string file = dir.file("path.json");
    {
        auto w = trace::TraceWriter::open(file);
        write_tracks(w, d, "t", 0);
        write_request_paths(w, d, 0);
        CHECK(w.finish());
    }
    const auto t = trace::load(file);
    std::map<std::string, int> flows_started, flows_finished;
    std::map<int, std::string> names;
    int serves = 0, doorbells = 0, sleeps = 0;
    for (const auto& e : t.events) {
        const std::string ph = e.value("ph", ""), name = e.value("name", "");
        if (ph == "M" && name == "thread_name") names[e["tid"]] = e["args"]["name"];
        if (ph == "s") ++flows_started[name];
        if (ph == "f") ++flows_finished[name];
        if (name == "serve") {
            ++serves;
            CHECK(e["args"]["job"] == job);
            CHECK(e["args"].contains("waited_us"));
        }
        if (name == "pv-disk doorbell") {
            ++doorbells;
            CHECK(e["args"]["rings"] == 3);
        }
        if (name == "blocked in hlt") {
            ++sleeps;
            CHECK(e["tid"] == 1);  // vCPU 0's track
        }
    }
    CHECK(serves == 1);
    CHECK(doorbells == 1);
    CHECK(sleeps == 1);
    for (const char* f : {"doorbell to job", "job to completion", "wake"}) {
        CAPTURE(f);
        CHECK(flows_started[f] == 1);
        CHECK(flows_finished[f] == 1);
    }
    // Two back-end threads, each a track of its own, named with its tid.
    int back_end_tracks = 0;
    for (const auto& [tid, name] : names)
        if (name.starts_with("back-end thread ")) ++back_end_tracks;
    CHECK(back_end_tracks == 2);
}

TEST_CASE("request path: a job served on the vCPU's own thread is on the vCPU's track") {
    vmb::VirtualMotherboard board;
    Disk disk;
    disk.plug_in(board);
    NotificationDispatcher d(board);
    d.enable_log(8);
    RequestPath& path = *d.path();
    path.set_vcpu_thread(0, RequestPath::this_thread());
    const uint64_t job = path.job_submitted(d.now());  // from an exit: no doorbell
    path.job_done(job, d.now(), d.now());
    CHECK(path.jobs()[0].doorbell == 0);
    test::TempDir dir;
    const std::string file = dir.file("inline.json");
    {
        auto w = trace::TraceWriter::open(file);
        write_request_paths(w, d, 0);
        CHECK(w.finish());
    }
    int serves = 0;
    for (const auto& e : trace::load(file).events)
        if (e.value("name", "") == "serve") {
            ++serves;
            CHECK(e["tid"] == 1);
        }
    CHECK(serves == 1);
}
