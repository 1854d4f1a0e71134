// ptv viz under Xvfb: each view rendered to PNG from real and synthetic
// traces, checked for structure (the timeline is not blank, one bar per exit
// reason, a plain statement where a category is absent), and bad input.
#include <doctest/doctest.h>

#include <fstream>

#include "ptv/common/vga_screen.hpp"
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
    for (const char* view : {"threads", "servers", "migration", "bt", "screen", "cluster"}) {
        auto s = screenshot({trace, "--view", view}, dir);
        INFO(view << ": " << s.run.err);
        REQUIRE(s.run.status == 0);
        CHECK(s.layout["view"] == view);
        CHECK(s.layout["absent"] == true);
    }
}

namespace {

// A VM trace with two exits and two frames of its VGA text screen: a boot
// line, then a title screen in a double box with block-character invaders.
ptv::VgaScreen title_screen() {
    ptv::VgaScreen s;
    for (auto& cell : s.cells) cell = {' ', 0x1E};  // yellow on blue
    auto text = [&](int row, int col, std::string_view t, uint8_t attr) {
        for (char c : t) s.at(row, col++) = {uint8_t(c), attr};
    };
    for (int c = 1; c < 79; ++c) s.at(0, c).ch = s.at(22, c).ch = 0xCD;  // ═
    for (int r = 1; r < 22; ++r) s.at(r, 0).ch = s.at(r, 79).ch = 0xBA;  // ║
    s.at(0, 0).ch = 0xC9;
    s.at(0, 79).ch = 0xBB;
    s.at(22, 0).ch = 0xC8;
    s.at(22, 79).ch = 0xBC;
    text(3, 32, "SPACE INVADERS", 0x1F);
    for (int i = 0; i < 6; ++i) {  // a row of invaders, light green on blue
        text(8, 18 + 8 * i, "\xDC\xDB\xDB\xDC", 0x1A);
        text(9, 18 + 8 * i, "\xDF  \xDF", 0x1A);
    }
    text(12, 20, "\xB0\xB0\xB1\xB1\xB2\xB2", 0x1B);
    text(18, 38, "\x1E", 0x1E);                                             // the cannon
    text(24, 0, " SCORE 0042    HIGH 1980 " + std::string(55, ' '), 0x4F);  // white on red
    s.cursor_row = 20;
    s.cursor_col = 10;
    s.cursor_visible = true;
    return s;
}

std::string vga_trace(const TempDir& dir) {
    ptv::VgaScreen boot;
    const std::string word = "booting";
    for (size_t i = 0; i < word.size(); ++i) boot.at(0, int(i)).ch = uint8_t(word[i]);
    std::string t =
        "{\"traceEvents\":[\n"
        "{\"args\":{\"name\":\"vCPU "
        "0\"},\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1},\n"
        "{\"args\":{\"name\":\"vga (emulated)\"},\"name\":\"thread_name\",\"ph\":\"M\","
        "\"pid\":1,\"tid\":103},\n";
    auto exit = [&](double ts) {
        t += "{\"args\":{\"port\":\"0x3d4\",\"device\":\"vga\"},\"cat\":\"vmexit\",\"dur\":1,"
             "\"name\":\"io\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":" +
             std::to_string(ts) + "},\n";
    };
    auto frame = [&](double ts, const ptv::VgaScreen& s) {
        t += "{\"args\":" + ptv::screen_to_json(s).dump() +
             ",\"cat\":\"vga\",\"name\":\"screen\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
             "\"tid\":103,\"ts\":" +
             std::to_string(ts) + "},\n";
    };
    exit(50);
    frame(100, boot);
    exit(150);
    frame(200, title_screen());
    t += "{\"cat\":\"vga\",\"name\":\"screen\",\"ph\":\"i\",\"pid\":1,\"tid\":103,\"ts\":300,"
         "\"args\":{\"text\":[]}}\n]}\n";
    return write(dir, "vga.json", t);
}

// The centre pixel of a cell of the screen view.
uint32_t cell_pixel(const Screenshot& s, int row, int col, double fx = 0.5, double fy = 0.5) {
    const auto& area = s.layout["screen_area"];
    const double cw = s.layout["cell"][0].get<double>(), ch = s.layout["cell"][1].get<double>();
    return s.at(int(area[0].get<double>() + cw * (col + fx)),
                int(area[1].get<double>() + ch * (row + fy)));
}

}  // namespace

TEST_CASE("screenshot: the VGA screen of the timeline's time, in its colours, with the cursor") {
    TempDir dir;
    const std::string trace = vga_trace(dir);
    auto s = screenshot({trace, "--view", "screen"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    CHECK(s.layout["view"] == "screen");
    CHECK_FALSE(s.layout.contains("absent"));
    CHECK(s.layout["frames"] == 2);
    CHECK(s.layout["frame"] == 1);  // nothing selected: the last frame
    CHECK(s.layout["frame_ts"] == 200);
    CHECK(s.layout["rejected"] == 1);  // the record with no cells
    const auto& area = s.layout["screen_area"];
    const double cw = s.layout["cell"][0].get<double>(), ch = s.layout["cell"][1].get<double>();
    CHECK(area[2].get<double>() == 80 * cw);
    CHECK(area[3].get<double>() == 25 * ch);
    CHECK(cw >= 8);
    // Blue background, light green █, white on red status line, ═ in yellow.
    CHECK(cell_pixel(s, 5, 5) == 0x0000AA);
    CHECK(cell_pixel(s, 8, 19) == 0x55FF55);
    CHECK(cell_pixel(s, 9, 19) == 0x0000AA);  // the gap between two legs
    CHECK(cell_pixel(s, 24, 60) == 0xAA0000);
    CHECK(cell_pixel(s, 12, 20) != cell_pixel(s, 12, 24));  // light and dark shade
    CHECK(s.colours(area) >= 6);
    // The cursor: an underline in the cell's foreground, yellow, on blue.
    const auto& cursor = s.layout["cursor"];
    CHECK(cursor[0].get<double>() == area[0].get<double>() + 10 * cw);
    CHECK(s.at(int(cursor[0].get<double>() + cw / 2), int(cursor[1].get<double>() + 1)) ==
          0xFFFF55);
    CHECK(cell_pixel(s, 20, 10, 0.5, 0.3) == 0x0000AA);

    // The second exit selected: the frame before it, the boot line.
    auto at_exit = screenshot({trace, "--view", "screen", "--select", "1"}, dir);
    REQUIRE(at_exit.run.status == 0);
    CHECK(at_exit.layout["frame"] == 0);
    CHECK(at_exit.layout["frame_ts"] == 100);
    CHECK(cell_pixel(at_exit, 5, 5) == 0x000000);
    // The first exit: before any frame, a dark screen.
    auto before = screenshot({trace, "--view", "screen", "--select", "0"}, dir);
    REQUIRE(before.run.status == 0);
    CHECK(before.layout["frame"] == -1);
    CHECK_FALSE(before.layout.contains("cursor"));
    CHECK(before.busy(before.layout["screen_area"]) == 0);
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

TEST_CASE("screenshot: cluster sim trace as hosts, VM bars and migration arrows") {
    TempDir dir;
    const std::string trace = dir.file("cluster.json");
    // Seed 1 on 4 hosts, worst fit, then balance: vm5 moves h3 -> h4 and
    // vm1 h3 -> h2 (sim/cluster/README.md has the rules).
    REQUIRE(run({bin("ptv"), "cluster", "sim", "-s", "1", "--place", "worst-fit", "--rebalance",
                 "balance", "--trace", trace})
                .status == 0);
    auto s = screenshot({trace, "--view", "cluster"}, dir);
    INFO(s.run.err);
    REQUIRE(s.run.status == 0);
    CHECK(s.layout["view"] == "cluster");
    CHECK_FALSE(s.layout.contains("absent"));
    CHECK(s.layout["hosts"] == 4);
    CHECK(s.layout["host_rows"].size() == 4);
    CHECK(s.layout["migrations"] == 2);
    REQUIRE(s.layout["migration_arrows"].size() == 2);
    // 9 VMs, vm4 and vm8 left, vm1 and vm5 on two hosts each: 11 bars.
    CHECK(s.layout["vm_bars"].size() == 11);
    CHECK(s.busy(s.layout["cluster_area"]) > 20000);
    CHECK(s.colours(s.layout["cluster_area"]) >= 5);
    for (const auto& arrow : s.layout["migration_arrows"]) CHECK(s.busy(arrow) > 100);
    // Consolidation instead: h2 is emptied and powered off.
    REQUIRE(run({bin("ptv"), "cluster", "sim", "-s", "1", "--place", "worst-fit", "--trace", trace})
                .status == 0);
    auto c = screenshot({trace, "--view", "cluster"}, dir);
    REQUIRE(c.run.status == 0);
    CHECK(c.layout["migrations"] == 1);
    CHECK(c.layout["powered_off"] == 1);
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
