// ptv viz under Xvfb: each view rendered to PNG from real and synthetic
// traces, checked for structure (the timeline is not blank, one bar per exit
// reason, a plain statement where a category is absent), and bad input.
#include <doctest/doctest.h>

#include <fstream>

#include "ptv/viz/synthetic.hpp"
#include "screenshot.hpp"

using namespace ptv::test;

namespace {

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path) << text;
    return path;
}

std::string kvm_trace(const TempDir& dir) {
    return write(dir, "kvm.json", ptv::viz::synthetic_kvm_trace(300));
}

}  // namespace

TEST_CASE("screenshot: the timeline of a KVM trace is not blank") {
    TempDir dir;
    auto s = screenshot({kvm_trace(dir), "--view", "timeline"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    REQUIRE(s.width == 1280);
    REQUIRE(s.height == 720);
    CHECK(s.layout["view"] == "timeline");
    CHECK(s.layout["tracks"] == 4);
    const auto& area = s.layout["timeline_area"];
    CHECK(s.busy(area) > 2000);
    CHECK(s.colours(area) >= 5);
}

TEST_CASE("screenshot: the exit histogram has one bar per exit reason and device") {
    TempDir dir;
    auto s = screenshot({kvm_trace(dir), "--view", "exits"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    REQUIRE(s.layout["reason_bars"].size() == 3);  // io, mmio, hlt
    CHECK(s.layout["device_bars"].size() == 3);    // uart, mmio-scratch, vcpu
    for (const auto& bar : s.layout["reason_bars"]) {
        const int x = int(bar[0].get<double>() + bar[2].get<double>() / 2);
        const int y = int(bar[1].get<double>() + bar[3].get<double>() / 2);
        CHECK(s.at(x, y) != 0x0f0f0f);  // the bar is drawn where the layout says
        CHECK(s.busy(bar) > size_t(bar[2].get<double>() * bar[3].get<double>() * 0.8));
    }
    CHECK(s.busy(s.layout["rate_area"]) > 300);
}

TEST_CASE("screenshot: notifications draw the exit's path and each device") {
    TempDir dir;
    auto s = screenshot({kvm_trace(dir), "--view", "notifications"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    CHECK(s.layout["devices"] == 3);
    CHECK(s.busy(s.layout["sequence_area"]) > 2000);
    CHECK_FALSE(s.layout.contains("absent"));
}

TEST_CASE("screenshot: views of absent categories say so") {
    TempDir dir;
    const std::string trace = kvm_trace(dir);
    for (const char* view : {"threads", "servers", "migration", "bt"}) {
        auto s = screenshot({trace, "--view", view}, dir);
        INFO(view << ": " << s.run.err);
        REQUIRE(s.run.status == 0);
        CHECK(s.layout["view"] == view);
        CHECK(s.layout["absent"] == true);
    }
}

TEST_CASE("screenshot: threads sim trace as a Gantt of threads over LWPs over CPUs") {
    TempDir dir;
    const std::string trace = dir.file("threads.json");
    auto sim = run({bin("ptv"), "threads", "sim", "--model", "many-to-many", "--cpus", "2", "-s",
                    "3", "--trace", trace});
    REQUIRE(sim.status == 0);
    auto s = screenshot({trace, "--view", "threads"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    CHECK_FALSE(s.layout.contains("absent"));
    CHECK(s.layout["lanes"].get<int>() >= 4);
    CHECK(s.busy(s.layout["gantt_area"]) > 2000);
}

TEST_CASE("screenshot: migrate sim traces as round bars and post-copy's degraded window") {
    TempDir dir;
    const std::string pre = dir.file("pre.json"), post = dir.file("post.json");
    REQUIRE(run({bin("ptv"), "migrate", "sim", "--dirty", "wws:200:500", "--trace", pre}).status ==
            0);
    auto s = screenshot({pre, "--view", "migration"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    CHECK_FALSE(s.layout.contains("absent"));
    CHECK(s.layout["round_bars"].size() == 5);  // 4 rounds and the stop-and-copy
    CHECK_FALSE(s.layout.contains("degraded"));
    REQUIRE(run({bin("ptv"), "migrate", "sim", "--policy", "hybrid", "--dirty", "uniform:500",
                 "--trace", post})
                .status == 0);
    auto h = screenshot({post, "--view", "migration"}, dir);
    INFO(h.run.err);
    REQUIRE(h.run.status == 0);
    CHECK_FALSE(h.layout.contains("absent"));
    CHECK(h.layout["round_bars"].size() == 1);
    CHECK(h.layout["remote_faults"].get<int>() > 0);
    CHECK(h.busy(h.layout["degraded"]) > 100);
}

TEST_CASE("screenshot: servers sim trace as request spans") {
    TempDir dir;
    const std::string trace = dir.file("servers.json");
    auto sim = run({bin("ptv"), "servers", "sim", "-s", "2", "--trace", trace});
    REQUIRE(sim.status == 0);
    auto s = screenshot({trace, "--view", "servers"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    CHECK_FALSE(s.layout.contains("absent"));
    CHECK(s.layout["requests"].get<int>() > 0);
}

TEST_CASE("screenshot: a truncated trace shows what was complete and says so") {
    TempDir dir;
    std::string text = ptv::viz::synthetic_kvm_trace(50);
    text.resize(text.size() / 2);
    auto s = screenshot({write(dir, "cut.json", text)}, dir);
    REQUIRE(s.run.status == 0);
    CHECK(s.run.err.find("truncated") != std::string::npos);
    CHECK(s.busy(s.layout["timeline_area"]) > 500);
}

TEST_CASE("screenshot: an empty trace is an empty view, not a crash") {
    TempDir dir;
    for (const char* text : {"", "{\"traceEvents\":[]}"}) {
        auto s = screenshot({write(dir, "empty.json", text), "--view", "exits"}, dir);
        INFO(s.run.err);
        CHECK(s.run.status == 0);
        CHECK(s.width == 1280);
        CHECK(s.layout["absent"] == true);
    }
}

TEST_CASE("bad use is one clear line and status 2") {
    TempDir dir;
    auto missing =
        run({bin("ptv"), "viz", dir.file("nope.json"), "--screenshot", dir.file("x.png")});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("cannot read trace file") != std::string::npos);
    auto view = run({bin("ptv"), "viz", kvm_trace(dir), "--view", "nope"});
    CHECK(view.status == 2);
    CHECK(view.err.find("unknown view 'nope'") != std::string::npos);
    auto none = run({bin("ptv"), "viz"});
    CHECK(none.status == 2);
    auto sock = run({bin("ptv"), "viz", "--connect", dir.file("no.sock")});
    CHECK(sock.status == 2);
    CHECK(sock.err.find("cannot connect") != std::string::npos);
}
