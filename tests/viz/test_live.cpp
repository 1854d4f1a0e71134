// The live mode on a real guest: ptv kvm run --viz (the worker streams its
// trace while the guest runs) and ptv viz --connect to a worker's socket.
// Needs /dev/kvm (the main of tests/kvm skips or fails without it).
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "screenshot.hpp"

using namespace ptv::test;

TEST_CASE("ptv kvm run --viz shows the guest's exits as they stream") {
    TempDir dir;
    const std::string png = dir.file("shot.png");
    auto s = screenshot({"kvm", "run", "hello", "--viz-screenshot", png}, dir, true);
    INFO(s.run.err);
    CHECK(s.run.status == 0);
    CHECK(s.run.out.find("Hello from a ptvlab guest!") != std::string::npos);
    REQUIRE(s.width == 1280);
    // The timeline's area (right of the track labels, under the ruler).
    CHECK(s.busy(nlohmann::json::array({210, 100, 1050, 80})) > 300);
}

TEST_CASE("ptv viz --connect attaches to a running worker's stream") {
    TempDir dir;
    const std::string sock = dir.file("trace.sock"), png = dir.file("c.png");
    // A guest that spins until the watchdog stops it: the viewer attaches
    // while it runs and gets the whole log from the start.
    const pid_t guest = spawn(
        {bin("ptv"), "kvm", "run", "fault-forever", "--timeout", "3", "--trace-socket", sock});
    for (int i = 0; i < 200 && !std::filesystem::exists(sock); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(std::filesystem::exists(sock));
    auto s = screenshot({"--connect", sock, "--view", "exits"}, dir);
    INFO(s.run.err);
    CHECK(s.run.status == 0);
    CHECK(s.layout["reason_bars"].size() >= 1);
    CHECK(wait_for(guest) != -1);
    CHECK_FALSE(std::filesystem::exists(sock));  // no stray socket
}
